package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.classify.Prediction;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.metrics.TrainerMetrics;
import io.imagestream.model.KerasFixtures;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.TransferModel;
import io.imagestream.testing.ExactlyOnce;
import io.imagestream.testing.OutputWatch;
import io.imagestream.testing.SteadyLoad;
import io.imagestream.testing.TopicReader;
import io.imagestream.train.TrainerService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.awaitility.Awaitility;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transfer learning end to end on a real broker: the tutorial's VGG16-64 transfer model written as tf.keras saves it
 * (full-size base, 14.7M parameters, random weights of the real layout), {@code fit --base} on folders, published
 * through the models topic at Kafka's default 1 MB record limit (in chunks), served by the classifier as
 * {@code classify} runs it, retrained by the trainer with its base frozen, and hot-swapped while images flow: every
 * image gets exactly one prediction, from the fitted model before the swap and the trainer's after it.
 */
class TransferModelStreamIT {
  private static final String NAME = "vgg16-colours";
  private static final List<String> CLASSES = List.of("blue", "red");
  /** VGG16(include_top=False, input_shape=(64, 64, 3)): 13 convolutions, 5 poolings. */
  private static final int BASE_LAYERS = 18;
  private static final long BASE_PARAMS = 14_714_688;
  private static final int LABELS = 48;

  @Test
  void theVgg16TransferModelIsFittedStreamedRetrainedWithItsBaseFrozenAndHotSwappedExactlyOnce(@TempDir Path dir)
      throws Exception {
    KerasFixtures.assumePython(dir);
    KerasFixtures.write(dir, KerasFixtures.script("make_keras_transfer_h5.py"), List.of("vgg16"));
    Path h5 = dir.resolve("vgg16.h5");

    // fit --base on folders (Keras' flow_from_directory layout): a new head on the frozen VGG16 base
    writeFolder(dir.resolve("data/train"), 14, 1);
    writeFolder(dir.resolve("data/validation"), 4, 2);
    Path fitted = dir.resolve("v1.zip");
    CliTest.Run fit = CliTest.run("fit", dir.resolve("data").toString(), "--base", h5.toString(), "--out",
        fitted.toString(), "--epochs", "6", "--batch-size", "8", "--name", NAME);
    assertEquals(0, fit.exitCode(), fit.toString());
    System.out.print(fit.out());
    assertTrue(fit.out().contains(String.format("(%d layers, %,d parameters)", BASE_LAYERS, BASE_PARAMS)),
        fit.toString());
    LoadedModel v1 = ModelArtifact.load(fitted);
    assertEquals(IntStream.range(0, BASE_LAYERS).boxed().toList(), v1.metadata().frozenLayers());
    assertEquals(CLASSES, v1.classNames());
    assertEquals(1.0, v1.metadata().training().metrics().get("val_accuracy"), fit.toString());

    Map<String, String> settings = settings();
    ImagestreamConfig config = ImagestreamConfig.of(settings);
    ServiceSupport.ensureTopics(config); // the project's own topic definitions, as classify and train create them
    String models = config.getString(ImagestreamConfig.TOPIC_MODELS);
    assertEquals("1048588", topicConfig(models, "max.message.bytes"), "the models topic keeps Kafka's default limit");
    Path configFile = dir.resolve("imagestream.properties");
    Files.writeString(configFile, settings.entrySet().stream().filter(e -> e.getKey().startsWith("imagestream."))
        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("\n")) + "\n");
    CliTest.Run publish = CliTest.run("models", "publish", fitted.toString(), "--config", configFile.toString(),
        "--bootstrap-servers", KafkaTestCluster.bootstrapServers());
    assertEquals(0, publish.exitCode(), publish.toString());
    ModelsTopic.Entry published = single(config, 2);
    assertTrue(published.chunks() > 1, "the " + published.artifact().length + "-byte artifact in " + published.chunks()
        + " chunks");

    String images = config.getString(ImagestreamConfig.TOPIC_IMAGES);
    String predictions = config.getString(ImagestreamConfig.TOPIC_PREDICTIONS);
    String dlq = config.getString(ImagestreamConfig.TOPIC_DLQ);
    Map<String, String> truth;
    try (RunningClassifier classifier = RunningClassifier.start(config, null, new SimpleMeterRegistry())) {
      assertEquals("topic " + models, classifier.initialSource);
      assertEquals(2, classifier.initial.metadata().version());
      try (OutputWatch watch = new OutputWatch(KafkaTestCluster.bootstrapServers(), List.of(predictions, dlq));
           Images load = new Images(images, 4, watch)) {
        TopicReader.readUntil(List.of(predictions), Duration.ofMinutes(5), out -> out.size() >= 8);

        TrainerMetrics metrics = new TrainerMetrics(new SimpleMeterRegistry());
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        TrainerService trainer = new TrainerService(config, null, metrics, events::add);
        Thread thread = new Thread(trainer::run, "transfer-trainer");
        thread.start();
        try {
          sendLabelled(config.getString(ImagestreamConfig.TOPIC_LABELLED));
          Awaitility.await("the trainer judges a candidate").atMost(Duration.ofMinutes(10))
              .pollInterval(Duration.ofSeconds(1))
              .until(() -> count(metrics, "published") + count(metrics, "rejected") >= 1);
          assertEquals(1.0, count(metrics, "published"), "events: " + events);
        } finally {
          trainer.close();
          thread.join(120_000);
          events.forEach(e -> System.out.println("[trainer] " + e));
        }
        Awaitility.await("the classifier serves v3").atMost(Duration.ofMinutes(5))
            .until(() -> classifier.service.model().current().metadata().version() == 3);
        List<ConsumerRecord<byte[], byte[]>> sofar = TopicReader.readUntil(List.of(predictions), Duration.ofMinutes(5),
            out -> out.stream().filter(r -> Prediction.fromJson(r.value()).model().version() == 3).count() >= 10);
        assertTrue(sofar.size() >= 18, sofar.size() + " predictions while the stream flows");
        load.close();
        assertEquals(0, load.failed.get(), "every image sent was acknowledged");
        truth = new HashMap<>(load.truth);
        ExactlyOnce.assertOneOutputEach(KafkaTestCluster.bootstrapServers(), List.of(predictions, dlq),
            new HashSet<>(load.acked), Duration.ofMinutes(10));
      }
    }

    // read_committed: one prediction each, v2 then v3 per partition, and right
    List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readAtLeast(List.of(predictions, dlq), truth.size(),
        Duration.ofMinutes(2));
    Map<Long, Integer> byVersion = new HashMap<>();
    Map<Long, Integer> wrong = new HashMap<>();
    Map<Integer, TreeMap<Long, Long>> sequence = new HashMap<>(); // input partition: offset to version
    for (ConsumerRecord<byte[], byte[]> record : out) {
      assertEquals(predictions, record.topic(), "no image is dead-lettered");
      Prediction p = Prediction.fromJson(record.value());
      long version = p.model().version();
      byVersion.merge(version, 1, Integer::sum);
      if (!p.label().equals(truth.get(p.id()))) {
        wrong.merge(version, 1, Integer::sum);
      }
      sequence.computeIfAbsent(p.source().partition(), k -> new TreeMap<>()).put(p.source().offset(), version);
    }
    assertEquals(Set.of(2L, 3L), byVersion.keySet(), "the fitted model, then the trainer's: " + byVersion);
    assertEquals(Map.of(), wrong, "wrong predictions per version, of " + byVersion);
    for (TreeMap<Long, Long> inOrder : sequence.values()) {
      List<Long> versions = new ArrayList<>(inOrder.values());
      List<Long> sorted = new ArrayList<>(versions);
      Collections.sort(sorted);
      assertEquals(sorted, versions, "in each input partition's order: all v2, then all v3");
    }

    // the trainer's v3 went through the chunked topic; its VGG16 base is v2's (and the fitted file's) bit for bit
    ModelsTopic.Entry retrained = single(config, 3);
    assertTrue(retrained.chunks() > 1, retrained.chunks() + " chunks");
    LoadedModel v3 = ModelArtifact.load(retrained.artifact(), "v3");
    assertEquals(TransferModel.ARCHITECTURE, v3.metadata().architecture());
    assertEquals(2, v3.metadata().parentVersion());
    assertEquals(v1.metadata().frozenLayers(), v3.metadata().frozenLayers());
    long compared = 0;
    for (int layer = 0; layer < BASE_LAYERS; layer++) {
      if (v1.network().getLayer(layer).numParams() > 0) {
        assertArrayEquals(params(v1.network(), layer), params(v3.network(), layer), "frozen layer " + layer);
        compared += v1.network().getLayer(layer).numParams();
      }
    }
    assertEquals(BASE_PARAMS, compared);
    assertFalse(java.util.Arrays.equals(params(v1.network(), BASE_LAYERS), params(v3.network(), BASE_LAYERS)),
        "the head was retrained");
    int largest = TopicReader.readAtLeast(List.of(models), 1, Duration.ofMinutes(1)).stream()
        .mapToInt(r -> r.serializedKeySize() + r.serializedValueSize()).max().orElse(0);
    assertTrue(largest <= 1_048_588, "the largest record on the models topic has " + largest + " bytes");
  }

  private static Map<String, String> settings() {
    Map<String, String> s = new HashMap<>();
    s.put(ImagestreamConfig.BOOTSTRAP_SERVERS, KafkaTestCluster.bootstrapServers());
    for (String topic : List.of(ImagestreamConfig.TOPIC_IMAGES, ImagestreamConfig.TOPIC_PREDICTIONS,
        ImagestreamConfig.TOPIC_DLQ, ImagestreamConfig.TOPIC_LABELLED, ImagestreamConfig.TOPIC_MODELS,
        ImagestreamConfig.TOPIC_TO_LABEL)) {
      s.put(topic, KafkaTestCluster.uniqueTopic("transfer-" + topic.substring("imagestream.topic.".length())));
    }
    s.put(ImagestreamConfig.APPLICATION_ID, KafkaTestCluster.uniqueTopic("transfer-app"));
    s.put(ImagestreamConfig.TRAINER_GROUP_ID, KafkaTestCluster.uniqueTopic("transfer-trainer"));
    s.put(ImagestreamConfig.MODEL_NAME, NAME);
    s.put(ImagestreamConfig.BATCH_SIZE, "8");
    s.put(ImagestreamConfig.BATCH_MAX_WAIT_MS, "20");
    // a retraining on the labels sent below, no augmentation (base outputs computed once per image), small scoring
    s.put(ImagestreamConfig.TRAINER_MIN_NEW_LABELS, Integer.toString(LABELS));
    s.put(ImagestreamConfig.TRAINER_MAX_INTERVAL_MS, "3600000");
    s.put(ImagestreamConfig.TRAINER_HELDOUT_PERCENT, "30");
    s.put(ImagestreamConfig.TRAINER_MIN_HELDOUT, "6");
    s.put(ImagestreamConfig.TRAINER_MIN_EXAMPLES_PER_CLASS, "5");
    s.put(ImagestreamConfig.TRAINER_EPOCHS, "4");
    s.put(ImagestreamConfig.TRAINER_BATCH_SIZE, "8");
    s.put(ImagestreamConfig.TRAINER_AUGMENT_SHEAR, "0");
    s.put(ImagestreamConfig.TRAINER_AUGMENT_ZOOM, "0");
    s.put(ImagestreamConfig.TRAINER_AUGMENT_FLIP, "false");
    s.put(ImagestreamConfig.TRAINER_SHADOW_WINDOW, "8");
    return s;
  }

  /**
   * A 64x64 RGB PNG of per-pixel noise, mostly blue or mostly red: classes a random VGG16 base maps to different
   * directions (dark against light images would differ mainly in scale, which a few head epochs separate badly).
   */
  private static byte[] image(String label, Random random) {
    byte[] rgb = new byte[64 * 64 * 3];
    int strong = "red".equals(label) ? 0 : 2;
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (byte) (i % 3 == strong ? 150 + random.nextInt(106) : random.nextInt(90));
    }
    return TestImages.encode(TestImages.rgbImage(rgb, 64, 64), "png");
  }

  private static void writeFolder(Path dir, int perClass, long seed) throws Exception {
    Random random = new Random(seed);
    for (String label : CLASSES) {
      Path classDir = Files.createDirectories(dir.resolve(label));
      for (int i = 0; i < perClass; i++) {
        Files.write(classDir.resolve(label + "-" + i + ".png"), image(label, random));
      }
    }
  }

  private static void sendLabelled(String topic) {
    Random random = new Random(3);
    try (KafkaProducer<byte[], byte[]> producer = SteadyLoad.producer(KafkaTestCluster.bootstrapServers())) {
      for (int i = 0; i < LABELS; i++) {
        String label = CLASSES.get(i % 2);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic,
            ("labelled-" + i).getBytes(StandardCharsets.UTF_8), image(label, random));
        record.headers().add(TrainerService.LABEL_HEADER, label.getBytes(StandardCharsets.UTF_8));
        producer.send(record);
      }
    }
  }

  /**
   * Images at a steady pace on a thread until closed, never more than {@link #AHEAD} ahead of the outputs (VGG16 on a
   * busy machine can be slower than any fixed pace): ids alternate blue and red; the acknowledged ids kept.
   */
  private static final class Images implements AutoCloseable {
    final Map<String, String> truth = new ConcurrentHashMap<>();
    final Set<String> acked = ConcurrentHashMap.newKeySet();
    final java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
    final AtomicBoolean running = new AtomicBoolean(true);
    final Thread thread;

    static final int AHEAD = 24;

    Images(String topic, int perSecond, OutputWatch watch) {
      Random random = new Random(7);
      Map<String, List<byte[]>> pool = new HashMap<>();
      for (String label : CLASSES) {
        pool.put(label, IntStream.range(0, 16).mapToObj(i -> image(label, random)).toList());
      }
      thread = new Thread(() -> {
        try (KafkaProducer<byte[], byte[]> producer = SteadyLoad.producer(KafkaTestCluster.bootstrapServers())) {
          long start = System.nanoTime();
          for (int i = 0; running.get(); i++) {
            while (running.get() && i - watch.count() >= AHEAD) {
              LockSupport.parkNanos(50_000_000L); // back-pressure, not synchronisation: the classifier is behind
            }
            if (!running.get()) {
              break;
            }
            String id = "img-" + i;
            String label = CLASSES.get(i % 2);
            truth.put(id, label);
            producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8),
                pool.get(label).get(i / 2 % 16)), (meta, e) -> {
                  if (e == null) {
                    acked.add(id);
                  } else {
                    failed.incrementAndGet();
                  }
                });
            LockSupport.parkNanos(Math.max(0, start + (i + 1) * 1_000_000_000L / perSecond - System.nanoTime()));
          }
        }
      }, "transfer-images");
      thread.start();
    }

    /** Stops sending; returns once every send is acknowledged or failed (the producer's close flushes). */
    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(320_000);
    }
  }

  /** The model version published on the topic, which must be complete. */
  private static ModelsTopic.Entry single(ImagestreamConfig config, long version) {
    return Awaitility.await("v" + version + " on the models topic").atMost(Duration.ofMinutes(2))
        .until(() -> new ModelsTopic(config.clientProperties(), config.getString(ImagestreamConfig.TOPIC_MODELS))
            .readAll(Duration.ofSeconds(60)).stream().filter(e -> e.version() == version).findFirst(),
            java.util.Optional::isPresent).orElseThrow();
  }

  private static double count(TrainerMetrics metrics, String what) {
    return metrics.registry().get("imagestream.trainer.models." + what).counter().count();
  }

  private static float[] params(MultiLayerNetwork network, int layer) {
    return network.getLayer(layer).params().dup().data().asFloat();
  }

  private static String topicConfig(String topic, String name) throws Exception {
    try (Admin admin = KafkaTestCluster.admin()) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
      return config.get(name).value();
    }
  }
}
