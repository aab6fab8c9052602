package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.model.NativeBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The thread budget: stream threads x ND4J threads per call fit the cores unless the user says otherwise. */
class ClassifierStreamsConfigTest {

  @Test
  void byDefaultOneStreamThreadPerNetworkCallTheCoresAllow() {
    int expected = Math.max(1, Runtime.getRuntime().availableProcessors() / NativeBackend.threadsPerCall());
    assertEquals(expected, ClassifierStreamsConfig.streamThreads(ImagestreamConfig.defaults()));
    assertEquals(expected, ClassifierStreamsConfig.of(ImagestreamConfig.defaults())
        .get(StreamsConfig.NUM_STREAM_THREADS_CONFIG));
  }

  @Test
  void anExplicitCountIsKept() {
    ImagestreamConfig config = ImagestreamConfig.of(Map.of(ImagestreamConfig.STREAM_THREADS, "3"));
    assertEquals(3, ClassifierStreamsConfig.streamThreads(config));
    assertEquals(3, ClassifierStreamsConfig.of(config).get(StreamsConfig.NUM_STREAM_THREADS_CONFIG));
  }

  @Test
  void exactlyOnceAlways() {
    assertEquals(StreamsConfig.EXACTLY_ONCE_V2,
        ClassifierStreamsConfig.of(ImagestreamConfig.defaults()).get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
  }

  @Test
  void aThreadWithNothingToReadLooksAtItsBatchAgainWithinHalfTheMaxWait() {
    assertEquals(10L, ClassifierStreamsConfig.of(ImagestreamConfig.defaults()).get(StreamsConfig.POLL_MS_CONFIG));
    assertEquals(1L, ClassifierStreamsConfig.pollMs(1));
    assertEquals(100L, ClassifierStreamsConfig.pollMs(60_000), "never longer than Kafka's own default");
    ImagestreamConfig userSet = ImagestreamConfig.of(Map.of(StreamsConfig.POLL_MS_CONFIG, "7"));
    assertEquals("7", String.valueOf(ClassifierStreamsConfig.of(userSet).get(StreamsConfig.POLL_MS_CONFIG)),
        "a poll.ms of the user's own wins");
  }

  /** What the Streams producer of a classifier with these settings gets for {@code key} (as a string). */
  private static String producerSetting(Map<String, String> settings, String key) {
    return String.valueOf(new StreamsConfig(ClassifierStreamsConfig.of(ImagestreamConfig.of(settings)))
        .getProducerConfigs("client").get(key));
  }

  @Test
  void theStreamsProducerLingersKafkasDefaultNotStreamsOwn() {
    assertEquals("5", producerSetting(Map.of(), ProducerConfig.LINGER_MS_CONFIG),
        "Kafka Streams alone would give its producer 100 ms");
    assertEquals("50", producerSetting(Map.of("producer.linger.ms", "50"), ProducerConfig.LINGER_MS_CONFIG),
        "a linger of the user's own wins");
  }

  @Test
  void theTransactionalProducerRetriesAConcurrentTransactionSoonerThanKafkasDefault() {
    assertEquals("10", producerSetting(Map.of(), ProducerConfig.RETRY_BACKOFF_MS_CONFIG),
        "Kafka's default would be 100 ms");
    assertEquals("50", producerSetting(Map.of("producer.retry.backoff.ms", "50"),
        ProducerConfig.RETRY_BACKOFF_MS_CONFIG), "a backoff of the user's own wins");
    ImagestreamConfig atLeastOnce = ImagestreamConfig.of(Map.of("processing.guarantee", "at_least_once"));
    assertFalse(ClassifierStreamsConfig.of(atLeastOnce).containsKey("producer.retry.backoff.ms"),
        "no transactions: Kafka's default");
  }

  @Test
  void caughtUpCommitsLeaveStreamsOwnIntervalToTheBacklog() {
    assertEquals(1_000L, ClassifierStreamsConfig.of(ImagestreamConfig.defaults())
        .get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    assertEquals(new BatchClassifierProcessor.CaughtUpCommits(15, 1_000),
        BatchClassifierProcessor.CaughtUpCommits.of(ImagestreamConfig.defaults()));

    ImagestreamConfig off = ImagestreamConfig.of(Map.of(ImagestreamConfig.COMMIT_CAUGHT_UP_INTERVAL_MS, "0"));
    assertFalse(ClassifierStreamsConfig.of(off).containsKey(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG),
        "off: Kafka's own default (100 ms with exactly-once)");
    assertEquals(BatchClassifierProcessor.CaughtUpCommits.OFF, BatchClassifierProcessor.CaughtUpCommits.of(off));

    ImagestreamConfig atLeastOnce = ImagestreamConfig.of(
        Map.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE));
    assertFalse(ClassifierStreamsConfig.of(atLeastOnce).containsKey(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    assertEquals(BatchClassifierProcessor.CaughtUpCommits.OFF,
        BatchClassifierProcessor.CaughtUpCommits.of(atLeastOnce), "outputs are visible before any commit");

    ImagestreamConfig userSet = ImagestreamConfig.of(Map.of(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "250"));
    assertEquals("250", String.valueOf(ClassifierStreamsConfig.of(userSet)
        .get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)), "a commit interval of the user's own wins");
  }

  @Test
  void theStateFolderIsNamedNotMadeAndDeletedWithItsContentsAfterUse() throws Exception {
    Properties streams = ClassifierStreamsConfig.of(ImagestreamConfig.defaults());
    Path dir = Path.of((String) streams.get(StreamsConfig.STATE_DIR_CONFIG));
    assertFalse(Files.exists(dir), "the in-memory store needs no folder on disk: " + dir);
    assertNotEquals(dir.toString(), ClassifierStreamsConfig.of(ImagestreamConfig.defaults())
        .get(StreamsConfig.STATE_DIR_CONFIG), "each instance has a folder of its own");
    Files.createDirectories(dir.resolve("app/0_1"));
    Files.writeString(dir.resolve("app/0_1/.checkpoint"), "0");
    ClassifierStreamsConfig.deleteFreshStateDir(streams);
    assertFalse(Files.exists(dir), "deleted with what Kafka Streams put in it");
  }

  @Test
  void aStateFolderTheUserSetIsLeftAlone(@TempDir Path userDir) throws Exception {
    Properties streams = ClassifierStreamsConfig.of(ImagestreamConfig.of(
        Map.of(StreamsConfig.STATE_DIR_CONFIG, userDir.toString())));
    assertEquals(userDir.toString(), streams.get(StreamsConfig.STATE_DIR_CONFIG));
    Files.writeString(userDir.resolve("keep"), "x");
    ClassifierStreamsConfig.deleteFreshStateDir(streams);
    assertTrue(Files.exists(userDir.resolve("keep")));
  }

  @Test
  void theTopologysOwnConfigHasTheSameSettingsWithoutAStateDirectory() {
    ImagestreamConfig config = ImagestreamConfig.of(Map.of(StreamsConfig.POLL_MS_CONFIG, "7"));
    var topology = ClassifierStreamsConfig.forTopology(config);
    var streams = ClassifierStreamsConfig.of(config);
    assertFalse(topology.containsKey(StreamsConfig.STATE_DIR_CONFIG), "no temporary folder made for it");
    assertTrue(streams.containsKey(StreamsConfig.STATE_DIR_CONFIG));
    streams.remove(StreamsConfig.STATE_DIR_CONFIG);
    assertEquals(streams, topology);
    assertEquals(true, new StreamsConfig(topology).getBoolean("processing.exception.handler.global.enabled"),
        "so a new Topology does not warn at every start that it is off");
  }

  /**
   * Each stream thread's partition assignor builds a StreamsConfig from the main consumer's settings, and one
   * without the global processing exception handler flag logs a warning at every start (twice with two threads).
   */
  @Test
  void theGlobalProcessingExceptionHandlerFlagReachesTheConfigTheAssignorBuilds() {
    StreamsConfig streams = new StreamsConfig(ClassifierStreamsConfig.of(ImagestreamConfig.defaults()));
    assertTrue(streams.getBoolean("processing.exception.handler.global.enabled"));
    Map<String, Object> mainConsumer = streams.getMainConsumerConfigs("group", "client", 0);
    assertEquals(true, mainConsumer.get("processing.exception.handler.global.enabled"), mainConsumer.toString());
    assertTrue(new StreamsConfig(mainConsumer).getBoolean("processing.exception.handler.global.enabled"));
  }

  @Test
  void onAClusterInternalTopicsFollowTheTopicsReplicationFactor() {
    Properties props = ClassifierStreamsConfig.of(ImagestreamConfig.of(Map.of(
        ImagestreamConfig.TOPICS_REPLICATION_FACTOR, "3")));
    assertEquals(3, props.get(StreamsConfig.REPLICATION_FACTOR_CONFIG));
    assertEquals("2", props.get(StreamsConfig.topicPrefix("min.insync.replicas")));
    Properties single = ClassifierStreamsConfig.of(ImagestreamConfig.defaults());
    assertFalse(single.containsKey(StreamsConfig.REPLICATION_FACTOR_CONFIG), "the broker's default otherwise");
    assertFalse(single.containsKey(StreamsConfig.topicPrefix("min.insync.replicas")));
  }

  @Test
  void anInstanceIdMakesStaticMembersAndStandbysAreASetting() {
    Properties dynamic = ClassifierStreamsConfig.of(ImagestreamConfig.defaults());
    assertFalse(dynamic.containsKey(StreamsConfig.mainConsumerPrefix("group.instance.id")));
    Properties props = ClassifierStreamsConfig.of(ImagestreamConfig.of(Map.of(
        ImagestreamConfig.INSTANCE_ID, "classifier-0", ImagestreamConfig.STANDBY_REPLICAS, "1")));
    assertEquals("classifier-0", props.get(StreamsConfig.mainConsumerPrefix("group.instance.id")));
    assertEquals(1, props.get(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG));
    // Kafka Streams gives every stream thread's consumer an id of its own
    Map<String, Object> thread2 = new StreamsConfig(props).getMainConsumerConfigs("g", "c", 2);
    assertEquals("classifier-0-2", thread2.get("group.instance.id"));
  }
}
