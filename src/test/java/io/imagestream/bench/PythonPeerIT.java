package io.imagestream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.InputShape;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.model.Architectures;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelMetadata;
import io.imagestream.testing.TestRecords;
import io.imagestream.testing.TopicReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's Python peer (bench/peer/peer.py) on a real broker: one prediction per decodable input, none lost or
 * duplicated, keys kept, bad records skipped, and the same probabilities as our Java model for the same image (the
 * weights are exported by {@link PeerWeights#exportWeights}). Skipped without /usr/bin/python3 and its modules.
 */
class PythonPeerIT {
  /** float32 in two libraries (DL4J im2col/oneDNN, PyTorch oneDNN): differences are ~1e-7; JSON rounds to 1e-6. */
  private static final double TOLERANCE = 2e-5;
  private static final InputShape SHAPE = new InputShape(64, 64, 3);

  @BeforeAll
  static void needsPython() {
    PythonPeer.Availability peer = PythonPeer.check();
    Assumptions.assumeTrue(peer.ok(), "Python peer unavailable: " + peer.reason());
  }

  @Test
  void softmaxModelOnePredictionPerImageWithJavaProbabilities() throws Exception {
    LoadedModel model = sharpened(Benchmark.untrained(SHAPE));
    Map<String, byte[]> images = new LinkedHashMap<>();
    byte[][] jpegs = BenchImages.make(BenchImages.Kind.JPEG_64, 190, 11);
    for (int i = 0; i < jpegs.length; i++) {
      images.put("img-" + i, jpegs[i]);
    }
    // a few that need resizing (Pillow's bilinear on both sides), from lossless PNGs so that only the resize counts
    for (int i = 0; i < 8; i++) {
      images.put("resize-" + i, TestImages.noise("png", 50 + 9 * i, 80 - 3 * i, 100 + i));
    }
    Map<String, byte[]> bad = Map.of("bad-text", "not an image".getBytes(StandardCharsets.UTF_8),
        "bad-empty", new byte[0]);

    Map<String, float[]> predictions = runAndCheck("softmax", model, images, bad);
    // the check means something only if the outputs differ from image to image
    double spread = 0;
    float[] first = predictions.values().iterator().next();
    for (float[] p : predictions.values()) {
      for (int c = 0; c < p.length; c++) {
        spread = Math.max(spread, Math.abs(p[c] - first[c]));
      }
    }
    assertTrue(spread > 0.05, "outputs barely vary across images (" + spread + "): a weak comparison");
  }

  @Test
  void sigmoidModelGivesJavaProbabilities() throws Exception {
    List<String> classes = List.of("cats", "dogs");
    ModelMetadata metadata = new ModelMetadata("peer-binary", 1, 0, Architectures.KERAS_TUTORIAL_CNN, classes,
        ModelMetadata.Input.of(SHAPE), new ModelMetadata.Preprocessing(1.0 / 255, "bilinear", "rgb"),
        ModelMetadata.SIGMOID, null, null, null);
    LoadedModel model = sharpened(LoadedModel.of(
        Architectures.build(Architectures.KERAS_TUTORIAL_CNN, SHAPE, 2, 7, 1e-3), metadata));
    Map<String, byte[]> images = new LinkedHashMap<>();
    byte[][] jpegs = BenchImages.make(BenchImages.Kind.JPEG_64, 40, 12);
    for (int i = 0; i < jpegs.length; i++) {
      images.put("b-" + i, jpegs[i]);
    }
    runAndCheck("sigmoid", model, images, Map.of());
  }

  /**
   * Opt-in quick throughput run (not an assertion): {@code -Dimagestream.peer.bench=5000} produces that many 64x64
   * JPEGs and prints the peer's images/s at batch 32, as Benchmark would measure it.
   */
  @Test
  void quickThroughput() throws Exception {
    int n = Integer.getInteger("imagestream.peer.bench", 0);
    Assumptions.assumeTrue(n > 0, "set -Dimagestream.peer.bench=<images> to measure the peer");
    LoadedModel model = Benchmark.untrained(SHAPE);
    byte[][] jpegs = BenchImages.make(BenchImages.Kind.JPEG_64, 200, 1);
    String in = KafkaTestCluster.uniqueTopic("peer-bench-images");
    String out = KafkaTestCluster.uniqueTopic("peer-bench-predictions");
    KafkaTestCluster.createTopics(new TopicSpec(in, 3, (short) 1, Map.of("max.message.bytes", "16777216")),
        new TopicSpec(out, 3, (short) 1, Map.of()));
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestCluster.bootstrapServers());
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < n; i++) {
        producer.send(new ProducerRecord<>(in, key("img-" + i), jpegs[i % jpegs.length]));
      }
    }
    for (int batch : List.of(32)) {
      PythonPeer.Result result = PythonPeer.run(KafkaTestCluster.bootstrapServers(), in, out, model, batch, 20, n,
          Duration.ofMinutes(10));
      System.out.printf("PythonPeerIT throughput: %d x 64x64 JPEG, batch %d: %.0f images/s (peer's own clock %.0f)"
          + "; %s%n", n, batch, result.imagesPerSecond(), result.peerImagesPerSecond(), result.summary());
    }
  }

  /** Runs the peer on the images and checks its output record by record; returns the peer's probabilities by id. */
  private static Map<String, float[]> runAndCheck(String name, LoadedModel model, Map<String, byte[]> images,
                                                  Map<String, byte[]> bad) throws Exception {
    String in = KafkaTestCluster.uniqueTopic("peer-" + name + "-images");
    String out = KafkaTestCluster.uniqueTopic("peer-" + name + "-predictions");
    KafkaTestCluster.createTopics(new TopicSpec(in, 3, (short) 1, Map.of("max.message.bytes", "16777216")),
        new TopicSpec(out, 3, (short) 1, Map.of()));
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestCluster.bootstrapServers());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    int total = images.size() + bad.size();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      int i = 0;
      for (Map.Entry<String, byte[]> image : images.entrySet()) {
        producer.send(new ProducerRecord<>(in, key(image.getKey()), image.getValue()));
        if (++i == images.size() / 2) {
          bad.forEach((id, value) -> producer.send(new ProducerRecord<>(in, key(id), value)));
        }
      }
    }

    PythonPeer.Result result = PythonPeer.run(KafkaTestCluster.bootstrapServers(), in, out, model, 32, 20, total,
        Duration.ofMinutes(3));
    assertEquals(images.size(), result.images(), result.toString());
    assertEquals(bad.size(), result.skipped(), result.toString());
    assertEquals(images.size(), result.outputsSeen(), result.toString());
    assertTrue(result.imagesPerSecond() > 0 && result.peerImagesPerSecond() > 0, result.toString());

    List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAtLeast(List.of(out), images.size(),
        Duration.ofSeconds(60));
    assertEquals(images.size(), records.size(), "one prediction per decodable input, no duplicates");

    ImagePreprocessor preprocessor = Benchmark.preprocessor(SHAPE);
    List<String> classes = model.classNames();
    Map<String, float[]> byId = new HashMap<>();
    double worst = 0;
    for (ConsumerRecord<byte[], byte[]> record : records) {
      String key = new String(record.key(), StandardCharsets.UTF_8);
      JsonNode prediction = TestRecords.json(record.value());
      assertEquals(key, prediction.path("id").asText(), "the prediction keeps the input's key");
      assertTrue(images.containsKey(key), "prediction for an unknown or bad input " + key);
      assertFalse(byId.containsKey(key), "duplicate prediction " + key);
      float[] peer = new float[classes.size()];
      for (int c = 0; c < classes.size(); c++) {
        peer[c] = (float) prediction.path("probabilities").path(classes.get(c)).asDouble(Double.NaN);
      }
      byId.put(key, peer);

      float[] java = model.predictPixels(List.of(preprocessor.toPixels(images.get(key))))[0];
      for (int c = 0; c < classes.size(); c++) {
        double diff = Math.abs(java[c] - peer[c]);
        worst = Math.max(worst, diff);
        assertTrue(diff <= TOLERANCE, key + " class " + classes.get(c) + ": Java " + java[c] + ", peer " + peer[c]);
      }
      assertEquals(classes.get(LoadedModel.argMax(java)), prediction.path("label").asText(), key);
    }
    assertEquals(images.keySet(), byId.keySet());
    System.out.printf("PythonPeerIT %s: %d predictions, worst difference to Java %.2e; %s%n", name, byId.size(),
        worst, result);
    return byId;
  }

  /** Scales the output layer's weights so an untrained network's outputs differ visibly from image to image. */
  private static LoadedModel sharpened(LoadedModel model) {
    int last = model.network().getnLayers() - 1;
    model.network().getLayer(last).setParam("W", model.network().getLayer(last).getParam("W").mul(20));
    // A LoadedModel serves from a copy made when it was built: wrap the changed network anew.
    return LoadedModel.of(model.network(), model.metadata());
  }

  private static byte[] key(String id) {
    return id.getBytes(StandardCharsets.UTF_8);
  }
}
