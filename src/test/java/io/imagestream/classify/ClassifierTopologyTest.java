package io.imagestream.classify;

import io.imagestream.kafka.DeadLetters;

import static io.imagestream.testing.TestRecords.header;
import static io.imagestream.testing.TestRecords.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.TestImages;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.model.Architectures;
import io.imagestream.model.LoadedModel;
import io.imagestream.testing.TestModels;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The topology without a broker: batching, order, prediction shape and dead letters. */
class ClassifierTopologyTest {

  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> images;
  private TestOutputTopic<byte[], byte[]> predictions;
  private TestOutputTopic<byte[], byte[]> deadLetters;
  private TestOutputTopic<byte[], byte[]> toLabel;
  private ClassifierMetrics metrics;

  private void start(int batchSize, long maxWaitMs, LoadedModel model) {
    start(batchSize, maxWaitMs, model, Map.of());
  }

  private void start(int batchSize, long maxWaitMs, LoadedModel model, Map<String, String> more) {
    Map<String, String> settings = new HashMap<>(more);
    settings.put(ImagestreamConfig.BATCH_SIZE, Integer.toString(batchSize));
    settings.put(ImagestreamConfig.BATCH_MAX_WAIT_MS, Long.toString(maxWaitMs));
    // Batches on the (test driver's) stream thread: outputs are there when pipeInput returns. Batches on network
    // threads: ThreadBatchTest, and the integration tests on a real broker.
    settings.putIfAbsent(ImagestreamConfig.INFERENCE_OVERLAP, "false");
    ImagestreamConfig config = ImagestreamConfig.of(settings);
    metrics = ClassifierMetrics.discarding();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver = new TopologyTestDriver(ClassifierTopology.build(config, new ServingModel(model), metrics), props);
    images = driver.createInputTopic("images", new StringSerializer(), new ByteArraySerializer());
    predictions = driver.createOutputTopic("predictions", new ByteArrayDeserializer(), new ByteArrayDeserializer());
    deadLetters = driver.createOutputTopic("images-dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer());
    toLabel = driver.createOutputTopic("to-label", new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  private static byte[] png(Color colour) {
    return TestImages.solid("png", 16, 16, colour);
  }

  @Test
  void aBatchRunsWhenItReachesTheBatchSize() {
    start(4, 60_000, TestModels.darkLight());
    for (int i = 0; i < 3; i++) {
      images.pipeInput("img-" + i, png(Color.BLACK));
    }
    assertTrue(predictions.isEmpty(), "3 of 4: still buffered");
    images.pipeInput("img-3", png(Color.WHITE));
    assertEquals(4, predictions.readRecordsToList().size());
    assertEquals(1, metrics.registry().get("imagestream.batch.size").summary().count());
    assertEquals(4.0, metrics.registry().get("imagestream.batch.size").summary().totalAmount());
  }

  @Test
  void aBatchRunsWhenItsOldestImageHasWaitedLongEnough() {
    start(100, 50, TestModels.darkLight());
    images.pipeInput("a", png(Color.BLACK));
    images.pipeInput("b", png(Color.WHITE));
    driver.advanceWallClockTime(Duration.ofMillis(10));
    assertTrue(predictions.isEmpty(), "not yet waited 50 ms");
    driver.advanceWallClockTime(Duration.ofMillis(60));
    List<String> ids = predictions.readValuesToList().stream().map(v -> json(v).get("id").asText()).toList();
    assertEquals(List.of("a", "b"), ids);
  }

  @Test
  void predictionsSayWhenTheClassifierReadTheirImageAndTheWaitBeforeItIsMeasured() {
    long before = System.currentTimeMillis(); // the test driver's wall clock starts at the real clock
    start(100, 50, TestModels.darkLight());
    java.time.Instant produced = java.time.Instant.ofEpochMilli(before - 1_000);
    images.pipeInput("a", png(Color.BLACK), produced);
    driver.advanceWallClockTime(Duration.ofMillis(10));
    images.pipeInput("b", png(Color.WHITE), produced.plusMillis(500));
    driver.advanceWallClockTime(Duration.ofMillis(60));
    List<JsonNode> out = predictions.readValuesToList().stream().map(v -> json(v).get("timestamps")).toList();
    assertEquals(2, out.size());
    long receivedA = out.get(0).get("received").asLong();
    assertTrue(receivedA >= before, "read after the test began: " + receivedA);
    assertEquals(10, out.get(1).get("received").asLong() - receivedA, "b was read 10 ms of wall clock after a");
    for (JsonNode t : out) {
      assertTrue(t.get("produced").asLong() < t.get("received").asLong(), t.toString());
      // received is the driver's wall clock, classified the real one (after the network call): the driver's runs
      // ahead of the real clock by at most the 70 ms this test advanced it, when the test itself takes less
      assertTrue(t.get("received").asLong() <= t.get("classified").asLong() + 70, t.toString());
      assertTrue(t.get("classified").asLong() >= before, t.toString());
    }
    io.micrometer.core.instrument.Timer wait = metrics.registry().get("imagestream.input.wait").timer();
    assertEquals(2, wait.count());
    assertEquals(receivedA - (before - 1_000), wait.max(java.util.concurrent.TimeUnit.MILLISECONDS), 0.5);
  }

  @Test
  void predictionsKeepInputOrderAndHaveTheContractShape() {
    start(7, 60_000, TestModels.darkLight());
    for (int i = 0; i < 14; i++) {
      images.pipeInput("img-" + i, png(i % 2 == 0 ? new Color(20, 20, 20) : new Color(235, 235, 235)));
    }
    List<TestRecord<byte[], byte[]>> out = predictions.readRecordsToList();
    assertEquals(14, out.size());
    for (int i = 0; i < out.size(); i++) {
      TestRecord<byte[], byte[]> record = out.get(i);
      assertEquals("img-" + i, new String(record.key(), StandardCharsets.UTF_8));
      JsonNode p = json(record.value());
      assertEquals("img-" + i, p.get("id").asText());
      assertEquals(i % 2 == 0 ? "dark" : "light", p.get("label").asText(), "an easy case is classified right");
      double sum = p.get("probabilities").get("dark").asDouble() + p.get("probabilities").get("light").asDouble();
      assertEquals(1.0, sum, 1e-5);
      assertEquals(p.get("probability").asDouble(), p.get("probabilities").get(p.get("label").asText()).asDouble());
      assertEquals("dark-light", p.get("model").get("name").asText());
      assertEquals(1, p.get("model").get("version").asLong());
      assertEquals("images", p.get("source").get("topic").asText());
      assertEquals(0, p.get("source").get("partition").asInt());
      assertEquals(i, p.get("source").get("offset").asLong());
      assertEquals(record.timestamp().longValue(), p.get("timestamps").get("produced").asLong());
      assertTrue(p.get("timestamps").get("received").asLong() > 0);
      assertTrue(p.get("timestamps").get("classified").asLong() >= p.get("timestamps").get("received").asLong());
      assertEquals("1", header(record, ClassifierTopology.MODEL_VERSION_HEADER));
    }
    for (String label : List.of("dark", "light")) {
      assertEquals(7.0, metrics.registry().get("imagestream.predictions").tag("label", label).counter().count(), label);
    }
  }

  @Test
  void decodingOnTheStreamThreadOrOnDecodeThreadsGivesTheSameOutputs() {
    Map<String, TestImages.BadInput> bad = TestImages.badInputs(5);
    List<List<String>> runs = new ArrayList<>();
    List<List<Double>> probabilities = new ArrayList<>();
    for (String threads : List.of("0", "2")) {
      start(3, 60_000, TestModels.darkLight(), Map.of(ImagestreamConfig.DECODE_THREADS, threads));
      int i = 0;
      for (Map.Entry<String, TestImages.BadInput> entry : bad.entrySet()) {
        images.pipeInput("good-" + i, png(new Color(i * 20 % 256, i * 20 % 256, i * 20 % 256)));
        images.pipeInput(entry.getKey(), entry.getValue().bytes());
        i++;
      }
      driver.advanceWallClockTime(Duration.ofMinutes(2));
      List<String> outputs = new ArrayList<>();
      List<Double> probability = new ArrayList<>();
      predictions.readValuesToList().forEach(v -> {
        outputs.add(json(v).get("id").asText() + "=" + json(v).get("label").asText());
        probability.add(json(v).get("probability").asDouble());
      });
      probabilities.add(probability);
      deadLetters.readRecordsToList().stream().map(r -> new String(r.key(), StandardCharsets.UTF_8) + ":"
          + header(r, DeadLetters.REASON)).sorted().forEach(outputs::add);
      runs.add(outputs);
      driver.close();
      driver = null;
    }
    assertEquals(bad.size() * 2, runs.get(0).size(), "one output per input");
    assertEquals(runs.get(0), runs.get(1));
    for (int i = 0; i < probabilities.get(0).size(); i++) { // batches differ in size: float sums may differ a hair
      assertEquals(probabilities.get(0).get(i), probabilities.get(1).get(i), 1e-4, "prediction " + i);
    }
  }

  @Test
  void aNullKeyBecomesTopicPartitionOffset() {
    start(1, 60_000, TestModels.darkLight());
    images.pipeInput((String) null, png(Color.BLACK));
    TestRecord<byte[], byte[]> record = predictions.readRecord();
    assertEquals("images-0-0", json(record.value()).get("id").asText());
    assertEquals("images-0-0", new String(record.key(), StandardCharsets.UTF_8));
  }

  @Test
  void badInputGoesToTheDeadLetterTopicUnchangedWithItsReasonAndTheRestIsClassified() {
    start(2, 60_000, TestModels.darkLight());
    Map<String, TestImages.BadInput> bad = TestImages.badInputs(3);
    images.pipeInput("good-0", png(Color.BLACK));
    for (Map.Entry<String, TestImages.BadInput> entry : bad.entrySet()) {
      images.pipeInput(entry.getKey(), entry.getValue().bytes());
    }
    images.pipeInput("good-1", png(Color.WHITE));
    // Input that fails only when decoded (on the decode threads) held a batch slot until then: flush the rest.
    driver.advanceWallClockTime(Duration.ofMinutes(2));

    List<TestRecord<byte[], byte[]>> dead = new ArrayList<>(deadLetters.readRecordsToList());
    dead.sort(Comparator.comparing(r -> Long.parseLong(header(r, DeadLetters.SOURCE_OFFSET))));
    assertEquals(bad.size(), dead.size());
    long offset = 1;
    for (TestRecord<byte[], byte[]> record : dead) {
      String key = new String(record.key(), StandardCharsets.UTF_8);
      TestImages.BadInput input = bad.get(key);
      assertEquals(input.expected().name(), header(record, DeadLetters.REASON), key);
      assertTrue(java.util.Arrays.equals(input.bytes(), record.value()) || (input.bytes() == null
          && record.value() == null), key + ": the original bytes, unchanged");
      assertTrue(!header(record, DeadLetters.MESSAGE).isEmpty());
      assertEquals("images", header(record, DeadLetters.SOURCE_TOPIC));
      assertEquals("0", header(record, DeadLetters.SOURCE_PARTITION));
      assertEquals(Long.toString(offset++), header(record, DeadLetters.SOURCE_OFFSET));
    }
    List<String> ids = predictions.readValuesToList().stream().map(v -> json(v).get("id").asText()).toList();
    assertEquals(List.of("good-0", "good-1"), ids);
  }

  @Test
  void aModelThatFailsAtInferenceDeadLettersTheBatchAsInternal() {
    // The metadata promises 16x16 input but the network was built for 20x20: inference throws.
    var network = Architectures.build(Architectures.KERAS_TUTORIAL_CNN, new io.imagestream.image.InputShape(20, 20,
        1), 2, 1, 1e-3);
    LoadedModel broken = LoadedModel.of(network, TestModels.metadata("broken", 9, TestModels.DARK_LIGHT,
        TestModels.SHAPE, io.imagestream.model.ModelMetadata.SIGMOID));
    start(3, 60_000, broken);
    for (int i = 0; i < 3; i++) {
      images.pipeInput("img-" + i, png(Color.BLACK));
    }
    List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
    assertEquals(3, dead.size());
    dead.forEach(r -> assertEquals("INTERNAL", header(r, DeadLetters.REASON)));
    assertTrue(predictions.isEmpty());
    images.pipeInput("after", png(Color.BLACK)); // and the stream goes on
    assertEquals(0, predictions.getQueueSize());
  }

  /** Mid-grey (130) is where the dark/light model hesitates (about 0.57 dark); 20 and 235 are sure cases. */
  private static final List<Color> MIXED = List.of(new Color(20, 20, 20), new Color(130, 130, 130),
      new Color(235, 235, 235), new Color(130, 130, 130), new Color(20, 20, 20), new Color(235, 235, 235));

  @Test
  void uncertainPredictionsAlsoGoToLabelWithTheOriginalBytesAndThePrediction() {
    start(3, 60_000, TestModels.darkLight());
    Map<String, byte[]> sent = new HashMap<>();
    for (int i = 0; i < MIXED.size(); i++) {
      byte[] bytes = png(MIXED.get(i));
      sent.put("img-" + i, bytes);
      images.pipeInput("img-" + i, bytes);
    }
    List<String> expected = new java.util.ArrayList<>();
    for (byte[] value : predictions.readValuesToList()) {
      JsonNode p = json(value);
      if (p.get("probability").asDouble() < 0.6) {
        expected.add(p.get("id").asText());
      }
    }
    assertEquals(List.of("img-1", "img-3"), expected, "the mid-grey images, and only they, are uncertain");

    List<TestRecord<byte[], byte[]>> out = toLabel.readRecordsToList();
    assertEquals(expected, out.stream().map(r -> new String(r.key(), StandardCharsets.UTF_8)).toList());
    for (TestRecord<byte[], byte[]> record : out) {
      String id = new String(record.key(), StandardCharsets.UTF_8);
      assertTrue(java.util.Arrays.equals(sent.get(id), record.value()), id + ": the original bytes");
      JsonNode p = json(header(record, ClassifierTopology.PREDICTION_HEADER).getBytes(StandardCharsets.UTF_8));
      assertEquals(id, p.get("id").asText());
      assertTrue(p.get("probability").asDouble() < 0.6 && p.get("probability").asDouble() >= 0.5, p.toString());
      assertEquals("1", header(record, ClassifierTopology.MODEL_VERSION_HEADER));
    }
    assertEquals(2.0, metrics.registry().get("imagestream.images.uncertain").counter().count());
    assertEquals(6.0, metrics.registry().get("imagestream.images.classified").counter().count());
  }

  @Test
  void aThresholdOfZeroSendsNothingToLabel() {
    start(3, 60_000, TestModels.darkLight(), Map.of(ImagestreamConfig.ACTIVE_UNCERTAINTY_THRESHOLD, "0"));
    for (int i = 0; i < MIXED.size(); i++) {
      images.pipeInput("img-" + i, png(MIXED.get(i)));
    }
    assertEquals(6, predictions.readRecordsToList().size());
    assertTrue(toLabel.isEmpty());
    assertEquals(0.0, metrics.registry().get("imagestream.images.uncertain").counter().count());
  }

}
