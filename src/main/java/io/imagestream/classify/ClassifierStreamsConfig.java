package io.imagestream.classify;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.model.NativeBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/** Turns imagestream settings into the classifier's Kafka Streams properties. */
public final class ClassifierStreamsConfig {
  /** Large photos and their changelog copies must fit through every client limit (all ~1 MB by default). */
  static final int MAX_RECORD_BYTES = 64 * 1024 * 1024;

  private static final String GLOBAL_PROCESSING_EXCEPTION_HANDLER = "processing.exception.handler.global.enabled";

  private ClassifierStreamsConfig() {}

  public static Properties of(ImagestreamConfig config) {
    return build(config, true);
  }

  /**
   * The same settings without a fresh state directory: for the topology's own config (a {@code new Topology()}
   * without one reads Kafka's defaults, and warns at every start that the processing exception handler is off).
   */
  static Properties forTopology(ImagestreamConfig config) {
    return build(config, false);
  }

  private static Properties build(ImagestreamConfig config, boolean stateDir) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.getString(ImagestreamConfig.APPLICATION_ID));
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads(config));
    if (stateDir) {
      props.put(StreamsConfig.STATE_DIR_CONFIG, freshStateDir());
    }
    // Opt in now to what Kafka 5.0 will make the default (silences a warning at every start). The main consumer too:
    // each stream thread's partition assignor builds a StreamsConfig of its own from the consumer's settings, and
    // without the flag there it logged the warning once per stream thread.
    props.put(GLOBAL_PROCESSING_EXCEPTION_HANDLER, true);
    props.put(StreamsConfig.mainConsumerPrefix(GLOBAL_PROCESSING_EXCEPTION_HANDLER), true);
    // A crashed instance's partitions move on after this, not after the 45 s default.
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 2_000);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), MAX_RECORD_BYTES);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_BYTES_CONFIG), MAX_RECORD_BYTES);
    props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), MAX_RECORD_BYTES);
    // Kafka Streams gives its producer linger.ms 100; with exactly-once every commit flushes the producer anyway, so
    // a long linger only piles the interval's sends into the commit's flush. Kafka's own default (5 ms) sends them
    // as they come: +3 % saturated in three alternating pairs (bench/settings-ab.sh), the same latency at half load.
    props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
    // Exactly-once: a commit's AddOffsetsToTxn that reaches the broker while it still writes the previous
    // transaction's markers is answered CONCURRENT_TRANSACTIONS, and the producer retries after retry.backoff.ms,
    // 100 ms by default, while its stream thread reads nothing (JFR at half load: sendOffsetsToTransaction parked
    // 100-130 ms, several times a minute). Kafka's client lowers it to 20 ms for AddPartitionsToTxn alone; retries
    // that keep failing still back off exponentially up to retry.backoff.max.ms (1 s).
    if (exactlyOnce(config)) {
      props.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), TRANSACTION_RETRY_BACKOFF_MS);
    }
    // A stream thread with nothing to read waits this long in poll before it looks at its batch's wait again
    // (Kafka's default, 100 ms, would hold a partial batch up to that long after its max wait at low load).
    props.put(StreamsConfig.POLL_MS_CONFIG, pollMs(config.getLong(ImagestreamConfig.BATCH_MAX_WAIT_MS)));
    // While the classifier keeps up, it asks for a commit right after it forwards predictions (caught-up commits);
    // Kafka Streams' own interval commits would then only add transactions at moments of their own, which cost the
    // tail (p99 130-142 against 92-104 ms at half load, bench/settings-ab.sh). So its interval serves a backlog
    // only, where 1 s means fewer, larger transactions, and at most a second of work redone after a crash.
    if (caughtUpCommitsOn(config)) {
      props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, BACKLOG_COMMIT_INTERVAL_MS);
    }
    replicationAndMembership(config, props);
    // Passthrough settings (security, tuning) come last so that users can override any of the above.
    props.putAll(config.clientProperties());
    return props;
  }

  /**
   * On a cluster: internal topics (the buffer's changelog) replicated like the project's topics, min.insync.replicas
   * 2 from 3 replicas on; a stable instance id makes each stream thread a static group member (a restart within the
   * session timeout moves no partition); standby replicas keep warm copies of the buffer on other instances.
   */
  private static void replicationAndMembership(ImagestreamConfig config, Properties props) {
    int replication = config.getInt(ImagestreamConfig.TOPICS_REPLICATION_FACTOR);
    if (replication > 0) {
      props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, replication);
      if (replication >= MIN_INSYNC_FROM) {
        props.put(StreamsConfig.topicPrefix(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG), "2");
      }
    }
    String instanceId = config.getString(ImagestreamConfig.INSTANCE_ID);
    if (!instanceId.isBlank()) {
      // Kafka Streams appends "-<thread index>" per stream thread.
      props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), instanceId.strip());
    }
    props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.getInt(ImagestreamConfig.STANDBY_REPLICAS));
  }

  private static final int MIN_INSYNC_FROM = 3;

  /** Kafka Streams' commit.interval.ms while caught-up commits are on (they are, by default, with exactly-once). */
  static final long BACKLOG_COMMIT_INTERVAL_MS = 1_000;

  /**
   * Caught-up commits ({@code imagestream.commit.caught.up.interval.ms} > 0) apply with exactly-once only: at least
   * once, outputs are visible before any commit, so a commit sooner would only cost round trips.
   */
  static boolean caughtUpCommitsOn(ImagestreamConfig config) {
    return config.getLong(ImagestreamConfig.COMMIT_CAUGHT_UP_INTERVAL_MS) > 0 && exactlyOnce(config);
  }

  /** Exactly-once unless the user passed processing.guarantee=at_least_once through. */
  static boolean exactlyOnce(ImagestreamConfig config) {
    Object guarantee = config.clientProperties()
        .getOrDefault(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    return !StreamsConfig.AT_LEAST_ONCE.equals(String.valueOf(guarantee));
  }

  /** The Streams producer's retry.backoff.ms with exactly-once (see {@link #build}). */
  static final long TRANSACTION_RETRY_BACKOFF_MS = 10;

  /** Half the batch's max wait, between 1 and 100 ms (Kafka's default). */
  static long pollMs(long batchMaxWaitMs) {
    return Math.max(1, Math.min(100, batchMaxWaitMs / 2));
  }

  /**
   * imagestream.classifier.stream.threads, with -1 resolved to cores / ND4J's threads per network call (at least 1):
   * each stream thread runs its own network calls, so together they use every core without oversubscribing.
   */
  public static int streamThreads(ImagestreamConfig config) {
    int configured = config.getInt(ImagestreamConfig.STREAM_THREADS);
    return configured > 0 ? configured
        : Math.max(1, Runtime.getRuntime().availableProcessors() / NativeBackend.threadsPerCall());
  }

  private static final String STATE_DIR_PREFIX = "imagestream-streams-";

  /**
   * A folder of this instance's own under java.io.tmpdir, named but not made: the in-memory store restores from its
   * changelog, so no state needs to outlive the process, and Kafka Streams makes its state folder only for persistent
   * stores. (Each start used to make one here, and none was ever removed: hundreds piled up in /tmp.)
   */
  private static String freshStateDir() {
    return Path.of(System.getProperty("java.io.tmpdir"), STATE_DIR_PREFIX + UUID.randomUUID()).toString();
  }

  /**
   * Deletes the state folder {@link #of} named, with anything a Kafka Streams version made in it; leaves alone a
   * state.dir the user set. Call it once Kafka Streams is closed.
   */
  static void deleteFreshStateDir(Properties streamsProperties) {
    Object configured = streamsProperties.get(StreamsConfig.STATE_DIR_CONFIG);
    if (configured == null) {
      return;
    }
    Path dir = Path.of(configured.toString());
    boolean ours = dir.getFileName().toString().startsWith(STATE_DIR_PREFIX)
        && Path.of(System.getProperty("java.io.tmpdir")).equals(dir.getParent());
    if (!ours || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the Kafka Streams state folder " + dir, e);
    }
  }
}
