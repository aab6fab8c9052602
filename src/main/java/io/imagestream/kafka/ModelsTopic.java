package io.imagestream.kafka;

import io.imagestream.model.InvalidModelException;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The compacted models topic. An artifact travels cut into chunks of at most ~1 MB, each under its own key, closed by
 * a manifest record ({@link ModelChunks}); readers put it back together ({@link ModelAssembler}). Single-record
 * artifacts written before chunking (key = model name, value = artifact, headers {@code imagestream.model.version}
 * and {@code imagestream.model.sha256}) are still read. Versions only grow: a new one is the highest seen + 1.
 */
public final class ModelsTopic {
  public static final String VERSION_HEADER = "imagestream.model.version";
  public static final String SHA256_HEADER = "imagestream.model.sha256";
  /** Hex HMAC-SHA256 of the artifact under imagestream.model.signing.key, when one is configured. */
  public static final String SIGNATURE_HEADER = "imagestream.model.signature";

  /**
   * One artifact of the topic, as read and put back together (not yet verified); partition, offset and timestamp are
   * its manifest's (or its single record's); chunks = 0 for a single-record artifact.
   */
  public record Entry(String name, long version, String declaredSha256, String declaredSignature, byte[] artifact,
                      int partition, long offset, long timestamp, int chunks) {
    /** Parsed metadata without loading the network, or empty when the artifact is unreadable. */
    public Optional<ModelMetadata> metadata() {
      try {
        return Optional.of(ModelArtifact.readMetadata(artifact));
      } catch (InvalidModelException | RuntimeException e) {
        return Optional.empty();
      }
    }
  }

  private final Map<String, Object> clientProperties;
  private final String topic;

  public ModelsTopic(Map<String, Object> clientProperties, String topic) {
    this.clientProperties = clientProperties;
    this.topic = topic;
  }

  public String topic() {
    return topic;
  }

  /** What the topic holds now: the complete versions, and those that cannot be put together. */
  public record Contents(List<Entry> entries, List<ModelAssembler.Incomplete> incomplete) {
    /** The highest version seen, complete or not, 0 when there is none: the next one must be higher. */
    public long highestVersion() {
      return Math.max(entries.stream().mapToLong(Entry::version).max().orElse(0),
          incomplete.stream().mapToLong(ModelAssembler.Incomplete::version).max().orElse(0));
    }
  }

  /** Every complete version now on the topic (committed records only), in the order they were completed. */
  public List<Entry> readAll(Duration timeout) {
    return scan(timeout).entries();
  }

  /**
   * Reads the topic from the beginning to its current end. A version published twice (same name and version) counts
   * once, the later publication; a version whose manifest was deleted by a tombstone is gone.
   */
  public Contents scan(Duration timeout) {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
      List<TopicPartition> partitions = partitions(consumer, timeout);
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
      ModelAssembler assembler = new ModelAssembler();
      Map<String, Entry> entries = new LinkedHashMap<>();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new org.apache.kafka.common.errors.TimeoutException("reading " + topic + " took over " + timeout);
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          if (record.value() == null && record.key() != null) {
            entries.remove(new String(record.key(), StandardCharsets.UTF_8)); // a retired version's manifest
          }
          assembler.add(record).ifPresent(e -> entries.put(ModelChunks.manifestKey(e.name(), e.version()), e));
        }
      }
      List<ModelAssembler.Incomplete> incomplete = assembler.incomplete().stream()
          .filter(i -> !entries.containsKey(ModelChunks.manifestKey(i.name(), i.version()))).toList();
      return new Contents(new ArrayList<>(entries.values()), incomplete);
    }
  }

  /** The highest version on the topic, complete or not, 0 when there is none. */
  public long latestVersion(Duration timeout) {
    return scan(timeout).highestVersion();
  }

  public KafkaConsumer<byte[], byte[]> consumer() {
    return new KafkaConsumer<>(consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** The settings of {@link #consumer()}: the client properties given (security...) plus ours. */
  public Map<String, Object> consumerProperties() {
    Map<String, Object> props = new HashMap<>(clientProperties);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    return props;
  }

  public List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, Duration timeout) {
    List<TopicPartition> partitions = new ArrayList<>();
    consumer.partitionsFor(topic, timeout).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
    if (partitions.isEmpty()) {
      throw new IllegalStateException("topic " + topic + " does not exist");
    }
    return partitions;
  }

  /** A single-record artifact as read; empty for tombstones, chunks and manifests (see {@link ModelAssembler}). */
  public static Optional<Entry> toEntry(ConsumerRecord<byte[], byte[]> record) {
    if (record.value() == null || record.key() == null || ModelChunks.isChunked(record)) {
      return Optional.empty();
    }
    long version;
    try {
      version = Long.parseLong(header(record, VERSION_HEADER));
    } catch (NumberFormatException | NullPointerException e) {
      version = -1; // unusable: the follower refuses it with a reason
    }
    return Optional.of(new Entry(new String(record.key(), StandardCharsets.UTF_8), version,
        header(record, SHA256_HEADER), header(record, SIGNATURE_HEADER), record.value(), record.partition(),
        record.offset(), record.timestamp(), 0));
  }

  /** Hex HMAC-SHA256 of the artifact bytes under the key. */
  public static String signature(byte[] key, byte[] artifact) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
      return java.util.HexFormat.of().formatHex(mac.doFinal(artifact));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("the JVM has no HmacSHA256", e);
    }
  }

  /**
   * With a signing key, an entry must carry the artifact's signature under that key; without one, anything passes
   * (signing is opt-in). Compared in constant time: the header is attacker-controlled.
   */
  public static void checkSignature(Entry entry, byte[] key, String origin) throws InvalidModelException {
    if (key == null) {
      return;
    }
    if (entry.declaredSignature() == null) {
      throw new InvalidModelException(origin + ": no " + SIGNATURE_HEADER + " header, and "
          + "imagestream.model.signing.key is set: only signed models are served");
    }
    byte[] expected = signature(key, entry.artifact()).getBytes(StandardCharsets.UTF_8);
    byte[] declared = entry.declaredSignature().toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.UTF_8);
    if (!java.security.MessageDigest.isEqual(expected, declared)) {
      throw new InvalidModelException(origin + ": the " + SIGNATURE_HEADER + " header does not match "
          + "(signed with another imagestream.model.signing.key, or the artifact was changed)");
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  /**
   * Publishes artifacts under their metadata's name and version, each as its chunks and manifest in one transaction
   * whose id is fixed per publisher name: a newer publisher fences an older one (e.g. a trainer restarted while its
   * predecessor still hangs), and a publisher that dies half-way leaves an aborted transaction that read_committed
   * readers skip (and, written without a transaction, a manifest-less version that is never served).
   */
  public static final class Publisher implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final byte[] signingKey;
    private final int chunkBytes;

    /** An unsigned publisher. */
    public Publisher(Map<String, Object> clientProperties, String topic, String transactionalId) {
      this(clientProperties, topic, transactionalId, null);
    }

    /** @param signingKey when not null, every manifest carries the artifact's HMAC-SHA256 signature */
    public Publisher(Map<String, Object> clientProperties, String topic, String transactionalId, byte[] signingKey) {
      this(clientProperties, topic, transactionalId, signingKey, ModelChunks.CHUNK_BYTES);
    }

    /** @param chunkBytes payload bytes per chunk record (tests use small ones) */
    public Publisher(Map<String, Object> clientProperties, String topic, String transactionalId, byte[] signingKey,
                     int chunkBytes) {
      this.signingKey = signingKey == null ? null : signingKey.clone();
      this.chunkBytes = chunkBytes;
      this.producer = new KafkaProducer<>(properties(clientProperties, transactionalId), new ByteArraySerializer(),
          new ByteArraySerializer());
      this.topic = topic;
      producer.initTransactions();
    }

    /**
     * The publisher's producer settings: the client properties given (security...) plus ours. Kafka's default size
     * limits stay: no record is larger than a chunk.
     */
    public static Map<String, Object> properties(Map<String, Object> clientProperties, String transactionalId) {
      Map<String, Object> props = new HashMap<>(clientProperties);
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
      props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
      return props;
    }

    public void publish(byte[] artifact) throws InvalidModelException {
      ModelMetadata metadata = ModelArtifact.readMetadata(artifact);
      String what = "model " + metadata.name() + " v" + metadata.version();
      send(ModelChunks.records(topic, partitionOf(metadata.name()), metadata.name(), metadata.version(), artifact,
          signingKey, chunkBytes), "publishing " + what);
    }

    /**
     * Removes a chunked version from the topic with tombstones (its manifest, then its chunks): compaction then
     * deletes its records. Single-record artifacts share their key with newer versions and cannot be retired alone.
     */
    public void retire(Entry entry) {
      if (entry.chunks() < 1) {
        throw new IllegalArgumentException("model " + entry.name() + " v" + entry.version() + " is a single-record "
            + "artifact: it goes when compaction keeps a newer record of key " + entry.name());
      }
      send(ModelChunks.tombstones(topic, partitionOf(entry.name()), entry.name(), entry.version(), entry.chunks()),
          "retiring model " + entry.name() + " v" + entry.version());
    }

    /** All records of a model go to one partition (the one its name hashes to), so that they stay in order. */
    private int partitionOf(String name) {
      int partitions = producer.partitionsFor(topic).size();
      return org.apache.kafka.common.utils.Utils.toPositive(
          org.apache.kafka.common.utils.Utils.murmur2(name.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    private void send(List<ProducerRecord<byte[], byte[]>> records, String what) {
      producer.beginTransaction();
      try {
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>(records.size());
        for (ProducerRecord<byte[], byte[]> record : records) {
          sent.add(producer.send(record));
        }
        for (java.util.concurrent.Future<?> future : sent) {
          future.get();
        }
        producer.commitTransaction();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        producer.abortTransaction();
        throw new IllegalStateException("interrupted while " + what, e);
      } catch (ExecutionException e) {
        producer.abortTransaction();
        throw new IllegalStateException(what + " to " + topic + " failed: " + e.getCause().getMessage(), e.getCause());
      }
    }

    @Override
    public void close() {
      producer.close(Duration.ofSeconds(10));
    }
  }
}
