package io.imagestream.kafka;

import io.imagestream.model.InvalidModelException;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
 * The compacted models topic: key = model name, value = model artifact, headers {@code imagestream.model.version} and
 * {@code imagestream.model.sha256} (of the whole artifact). Versions only grow: a new one is the newest + 1.
 */
public final class ModelsTopic {
  public static final String VERSION_HEADER = "imagestream.model.version";
  public static final String SHA256_HEADER = "imagestream.model.sha256";
  /** Hex HMAC-SHA256 of the artifact under imagestream.model.signing.key, when one is configured. */
  public static final String SIGNATURE_HEADER = "imagestream.model.signature";
  static final int MAX_BYTES = 64 * 1024 * 1024;

  /** One record of the topic, as read (not yet verified). */
  public record Entry(String name, long version, String declaredSha256, String declaredSignature, byte[] artifact,
                      int partition, long offset, long timestamp) {
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

  /** Every committed record now on the topic, in offset order (records with no value, i.e. deletions, skipped). */
  public List<Entry> readAll(Duration timeout) {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
      List<TopicPartition> partitions = partitions(consumer, timeout);
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
      List<Entry> entries = new ArrayList<>();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new org.apache.kafka.common.errors.TimeoutException("reading " + topic + " took over " + timeout);
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          toEntry(record).ifPresent(entries::add);
        }
      }
      return entries;
    }
  }

  /** The highest version on the topic, 0 when there is none. */
  public long latestVersion(Duration timeout) {
    return readAll(timeout).stream().mapToLong(Entry::version).max().orElse(0);
  }

  public KafkaConsumer<byte[], byte[]> consumer() {
    return new KafkaConsumer<>(consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** The settings of {@link #consumer()}: the client properties given (security...) plus ours. */
  public Map<String, Object> consumerProperties() {
    Map<String, Object> props = new HashMap<>(clientProperties);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, MAX_BYTES);
    props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, MAX_BYTES);
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

  public static Optional<Entry> toEntry(ConsumerRecord<byte[], byte[]> record) {
    if (record.value() == null || record.key() == null) {
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
        record.offset(), record.timestamp()));
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
   * Publishes an artifact under its metadata's name and version, in a transaction whose id is fixed per publisher
   * name: a newer publisher fences an older one (e.g. a trainer restarted while its predecessor still hangs).
   */
  public static final class Publisher implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final byte[] signingKey;

    /** An unsigned publisher. */
    public Publisher(Map<String, Object> clientProperties, String topic, String transactionalId) {
      this(clientProperties, topic, transactionalId, null);
    }

    /** @param signingKey when not null, every record carries the artifact's HMAC-SHA256 signature */
    public Publisher(Map<String, Object> clientProperties, String topic, String transactionalId, byte[] signingKey) {
      this.signingKey = signingKey == null ? null : signingKey.clone();
      this.producer = new KafkaProducer<>(properties(clientProperties, transactionalId), new ByteArraySerializer(),
          new ByteArraySerializer());
      this.topic = topic;
      producer.initTransactions();
    }

    /** The publisher's producer settings: the client properties given (security...) plus ours. */
    public static Map<String, Object> properties(Map<String, Object> clientProperties, String transactionalId) {
      Map<String, Object> props = new HashMap<>(clientProperties);
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
      props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_BYTES);
      props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
      return props;
    }

    public void publish(byte[] artifact) throws InvalidModelException {
      ModelMetadata metadata = ModelArtifact.readMetadata(artifact);
      ProducerRecord<byte[], byte[]> record = record(topic, artifact, metadata, signingKey);
      producer.beginTransaction();
      try {
        producer.send(record).get();
        producer.commitTransaction();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        producer.abortTransaction();
        throw new IllegalStateException("interrupted while publishing a model", e);
      } catch (ExecutionException e) {
        producer.abortTransaction();
        throw new IllegalStateException("publishing model " + metadata.name() + " v" + metadata.version() + " to "
            + topic + " failed: " + e.getCause().getMessage(), e.getCause());
      }
    }

    static ProducerRecord<byte[], byte[]> record(String topic, byte[] artifact, ModelMetadata metadata,
                                                 byte[] signingKey) {
      ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic,
          metadata.name().getBytes(StandardCharsets.UTF_8), artifact);
      record.headers().add(VERSION_HEADER, Long.toString(metadata.version()).getBytes(StandardCharsets.UTF_8));
      record.headers().add(SHA256_HEADER, ModelArtifact.sha256(artifact).getBytes(StandardCharsets.UTF_8));
      if (signingKey != null) {
        record.headers().add(SIGNATURE_HEADER, signature(signingKey, artifact).getBytes(StandardCharsets.UTF_8));
      }
      return record;
    }

    @Override
    public void close() {
      producer.close(Duration.ofSeconds(10));
    }
  }
}
