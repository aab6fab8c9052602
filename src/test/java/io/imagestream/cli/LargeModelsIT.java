package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.classify.ClassifierService;
import io.imagestream.classify.ModelFollower;
import io.imagestream.classify.Prediction;
import io.imagestream.classify.ServingModel;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.InputShape;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.kafka.ModelChunks;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.model.Architectures;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import io.imagestream.testing.TopicReader;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model of several MB through a models topic at Kafka's default 1 MB record limit with compaction turned
 * aggressive: published, listed, swapped in by a running classifier, rolled back, half-published versions skipped,
 * and all of it still there after the log cleaner has compacted the topic.
 */
class LargeModelsIT {
  private static final String NAME = "wide";
  private static final String SIGNING_KEY = "a shared secret for the large-models test";
  private static final InputShape SHAPE = new InputShape(96, 96, 3);

  @Test
  void aLargeModelTravelsInSmallRecordsIsServedRolledBackAndSurvivesCompaction(@TempDir Path dir) throws Exception {
    String models = KafkaTestCluster.uniqueTopic("large-models");
    String images = KafkaTestCluster.uniqueTopic("large-images");
    String predictions = KafkaTestCluster.uniqueTopic("large-predictions");
    String dlq = KafkaTestCluster.uniqueTopic("large-dlq");
    KafkaTestCluster.createTopics(new TopicSpec(models, 1, (short) 1, Map.of("cleanup.policy", "compact",
        "max.message.bytes", "1048588", "segment.ms", "100", "min.cleanable.dirty.ratio", "0.001",
        "min.compaction.lag.ms", "0", "delete.retention.ms", "100")),
        new TopicSpec(images, 1, (short) 1, Map.of()), new TopicSpec(predictions, 1, (short) 1, Map.of()),
        new TopicSpec(dlq, 1, (short) 1, Map.of()));
    Map<String, String> settings = new HashMap<>();
    settings.put(ImagestreamConfig.BOOTSTRAP_SERVERS, KafkaTestCluster.bootstrapServers());
    settings.put(ImagestreamConfig.TOPIC_MODELS, models);
    settings.put(ImagestreamConfig.TOPIC_IMAGES, images);
    settings.put(ImagestreamConfig.TOPIC_PREDICTIONS, predictions);
    settings.put(ImagestreamConfig.TOPIC_DLQ, dlq);
    settings.put(ImagestreamConfig.APPLICATION_ID, KafkaTestCluster.uniqueTopic("large-app"));
    settings.put(ImagestreamConfig.MODEL_NAME, NAME);
    settings.put(ImagestreamConfig.MODEL_SIGNING_KEY, SIGNING_KEY);
    settings.put(ImagestreamConfig.BATCH_SIZE, "8");
    settings.put(ImagestreamConfig.BATCH_MAX_WAIT_MS, "20");
    ImagestreamConfig config = ImagestreamConfig.of(settings);
    Path configFile = dir.resolve("c.properties");
    Files.writeString(configFile, settings.entrySet().stream().filter(e -> e.getKey().startsWith("imagestream."))
        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("\n")) + "\n");
    String[] connection = {"--config", configFile.toString(), "--bootstrap-servers",
        KafkaTestCluster.bootstrapServers()};

    byte[] first = wideModel(11);
    byte[] second = wideModel(12);
    assertTrue(first.length > 5_000_000, "a model of " + first.length + " bytes");
    Path firstFile = Files.write(dir.resolve("first.zip"), first);
    Path secondFile = Files.write(dir.resolve("second.zip"), second);
    ServingModel serving = new ServingModel(ModelArtifact.load(first, "v1"));
    ClassifierMetrics metrics = ClassifierMetrics.discarding();
    try (ClassifierService classifier = new ClassifierService(config, serving, metrics);
         ModelFollower follower = ModelFollower.of(config, new ModelsTopic(config.clientProperties(), models), NAME,
             serving, metrics)) {
      follower.start();
      classifier.start();

      assertOk(CliTest.run(concat(connection, "models", "publish", firstFile.toString())));   // v2
      assertOk(CliTest.run(concat(connection, "models", "publish", secondFile.toString())));  // v3
      awaitServing(serving, 3);
      assertEquals(3, predictedVersion(images, predictions, 0), "the classifier predicts with v3");

      // a publisher dies half-way through v4 (chunks, no manifest), another one's v5 lacks a chunk
      byte[] third = ModelArtifact.restamp(first, m -> m.withName(NAME).withVersion(4, 3));
      List<ProducerRecord<byte[], byte[]>> v4 = ModelChunks.records(models, 0, NAME, 4, third,
          SIGNING_KEY.getBytes(StandardCharsets.UTF_8), ModelChunks.CHUNK_BYTES);
      byte[] fifth = ModelArtifact.restamp(third, m -> m.withVersion(5, 3));
      List<ProducerRecord<byte[], byte[]>> v5 = ModelChunks.records(models, 0, NAME, 5, fifth,
          SIGNING_KEY.getBytes(StandardCharsets.UTF_8), ModelChunks.CHUNK_BYTES);
      try (KafkaProducer<byte[], byte[]> producer = rawProducer()) {
        v4.subList(0, 3).forEach(producer::send);
        v5.subList(1, v5.size()).forEach(producer::send);
      }
      CliTest.Run list = CliTest.run(concat(connection, "models", "list"));
      assertOk(list);
      assertTrue(list.out().contains("incomplete: " + NAME + " v4: 3 of " + (v4.size() - 1) + " chunks, no manifest"),
          list.toString());
      assertTrue(list.out().contains("incomplete: " + NAME + " v5: " + (v5.size() - 2) + " of " + (v5.size() - 1)
          + " chunks, manifest present"), list.toString());

      assertOk(CliTest.run(concat(connection, "models", "publish", firstFile.toString())));   // v6, past v4 and v5
      awaitServing(serving, 6);
      CliTest.Run rollback = CliTest.run(concat(connection, "models", "rollback", "3"));       // v7 = v3's network
      assertOk(rollback);
      awaitServing(serving, 7);
      assertEquals(networkSha(second), serving.current().metadata().networkSha256(), "v7 is v3's network");
      assertEquals(7, predictedVersion(images, predictions, 1));

      // v3 published again with the same keys: compaction must keep one record per key and lose no version
      try (ModelsTopic.Publisher publisher = new ModelsTopic.Publisher(config.clientProperties(), models, "again",
          SIGNING_KEY.getBytes(StandardCharsets.UTF_8))) {
        publisher.publish(ModelArtifact.restamp(second, m -> m.withName(NAME).withVersion(3, 2)));
      }
      assertOk(CliTest.run(concat(connection, "models", "retire", "2")));
      assertOk(CliTest.run(concat(connection, "models", "publish", secondFile.toString())));  // v8, rolls the segment
      awaitServing(serving, 8);
      ModelsTopic.Entry v3 = new ModelsTopic(config.clientProperties(), models).readAll(Duration.ofSeconds(60))
          .stream().filter(e -> e.version() == 3).findFirst().orElseThrow();
      String v3chunk0 = ModelChunks.chunkKey(NAME, 3, 0, v3.chunks());
      String v2prefix = ModelChunks.manifestKey(NAME, 2);
      // v2's chunks go only when the cleaner compacts the topic (a tombstone hides, compaction deletes)
      // the shared broker's one cleaner thread also serves every other test's compacted topics: on a busy machine
      // it reached this one after more than 2 minutes
      Awaitility.await("the log cleaner compacts " + models).atMost(Duration.ofSeconds(300))
          .pollInterval(Duration.ofSeconds(1)).until(() -> {
            Map<String, Integer> keys = keyCounts(models);
            return keys.get(v3chunk0) == 1 && keys.keySet().stream().noneMatch(k -> k.startsWith(v2prefix));
          });
    }

    // after compaction: every version offered is complete, verifies, and serves; rollback still works
    ModelsTopic.Contents contents = new ModelsTopic(config.clientProperties(), models).scan(Duration.ofSeconds(60));
    assertEquals(List.of(3L, 6L, 7L, 8L), contents.entries().stream().map(ModelsTopic.Entry::version).sorted()
        .toList(), "v2 retired, v4 and v5 never complete");
    contents.entries().forEach(e -> assertEquals(e.declaredSha256(), ModelArtifact.sha256(e.artifact())));
    assertEquals(List.of(4L, 5L), contents.incomplete().stream().map(i -> i.version()).toList());
    CliTest.Run list = CliTest.run(concat(connection, "models", "list"));
    assertOk(list);
    for (String version : new String[] {" 3 ", " 6 ", " 7 ", " 8 "}) {
      assertTrue(list.out().contains(version), list.toString());
    }
    assertOk(CliTest.run(concat(connection, "models", "rollback", "6")));                     // v9 = v6 = v1's network
    ServingModel restarted = new ServingModel(ModelArtifact.load(first, "v1"));
    try (ModelFollower follower = ModelFollower.of(config, new ModelsTopic(config.clientProperties(), models), NAME,
        restarted, ClassifierMetrics.discarding())) {
      follower.start();
      awaitServing(restarted, 9);
      assertEquals(networkSha(first), restarted.current().metadata().networkSha256());
    }
    int largest = maxRecordBytes(models);
    assertTrue(largest < 1_000_000, "the largest record has " + largest + " bytes");
  }

  /** A keras-tutorial-cnn on 96x96x3 with random weights: ~2 M parameters, an artifact of ~7 MB. */
  private static byte[] wideModel(long seed) throws Exception {
    ModelMetadata metadata = new ModelMetadata(NAME, 1, 0, Architectures.KERAS_TUTORIAL_CNN, List.of("dark", "light"),
        ModelMetadata.Input.of(SHAPE), new ModelMetadata.Preprocessing(1.0 / 255, "bilinear", "rgb"),
        ModelMetadata.SIGMOID, null, null, null);
    return ModelArtifact.toBytes(Architectures.build(Architectures.KERAS_TUTORIAL_CNN, SHAPE, 2, seed, 1e-3),
        metadata);
  }

  private static String networkSha(byte[] artifact) throws Exception {
    return ModelArtifact.load(artifact, "test").metadata().networkSha256();
  }

  private static void awaitServing(ServingModel serving, long version) {
    Awaitility.await("serving v" + version).atMost(Duration.ofSeconds(90))
        .until(() -> serving.current().metadata().version() == version);
  }

  /** Sends one image and returns the model version of its prediction (the n-th prediction on the topic). */
  private static long predictedVersion(String images, String predictions, int n) {
    try (KafkaProducer<byte[], byte[]> producer = rawProducer()) {
      producer.send(new ProducerRecord<>(images, ("img-" + n).getBytes(StandardCharsets.UTF_8),
          TestImages.solid("png", 16, 16, Color.WHITE)));
    }
    List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readAtLeast(List.of(predictions), n + 1,
        Duration.ofSeconds(60));
    assertEquals(n + 1, out.size(), "one prediction per image");
    return Prediction.fromJson(out.get(n).value()).model().version();
  }

  /** How many records with a value (not tombstones) of each key the topic holds now, read from its start. */
  private static Map<String, Integer> keyCounts(String topic) {
    Map<String, Integer> counts = new HashMap<>();
    readAll(topic, record -> {
      if (record.value() != null) {
        counts.merge(new String(record.key(), StandardCharsets.UTF_8), 1, Integer::sum);
      }
    });
    return counts;
  }

  private static int maxRecordBytes(String topic) {
    int[] max = {0};
    readAll(topic, record -> max[0] = Math.max(max[0], record.serializedKeySize() + record.serializedValueSize()));
    return max[0];
  }

  private static void readAll(String topic, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestCluster.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      while (consumer.position(partition) < end) {
        consumer.poll(Duration.ofMillis(200)).forEach(each);
      }
    }
  }

  private static KafkaProducer<byte[], byte[]> rawProducer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestCluster.bootstrapServers(),
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static void assertOk(CliTest.Run run) {
    assertEquals(0, run.exitCode(), run.toString());
  }

  private static String[] concat(String[] connection, String... command) {
    String[] all = java.util.Arrays.copyOf(command, command.length + connection.length);
    System.arraycopy(connection, 0, all, command.length, connection.length);
    return all;
  }
}
