package io.imagestream.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.DeadLetters;
import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.metrics.TrainerMetrics;
import io.imagestream.model.InvalidModelException;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.testing.TestModels;
import io.imagestream.testing.TopicReader;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The trainer against a real broker: learning from labels, the validation gate, restarts and bad records. */
class TrainerIT {
  private static final int HELD_OUT_PERCENT = 30;

  record Setup(ImagestreamConfig config, String labelled, String models, String dlq) {
    static Setup create(String name, int minNewLabels) {
      String labelled = KafkaTestCluster.uniqueTopic(name + "-labelled");
      String models = KafkaTestCluster.uniqueTopic(name + "-models");
      String dlq = KafkaTestCluster.uniqueTopic(name + "-dlq");
      KafkaTestCluster.createTopics(new TopicSpec(labelled, 2, (short) 1, Map.of()),
          new TopicSpec(models, 1, (short) 1, Map.of("cleanup.policy", "compact", "max.message.bytes", "1048588")),
          new TopicSpec(dlq, 1, (short) 1, Map.of()));
      Map<String, String> s = new HashMap<>();
      s.put(ImagestreamConfig.BOOTSTRAP_SERVERS, KafkaTestCluster.bootstrapServers());
      s.put(ImagestreamConfig.TOPIC_LABELLED, labelled);
      s.put(ImagestreamConfig.TOPIC_MODELS, models);
      s.put(ImagestreamConfig.TOPIC_DLQ, dlq);
      s.put(ImagestreamConfig.MODEL_NAME, "dark-light");
      s.put(ImagestreamConfig.TRAINER_GROUP_ID, KafkaTestCluster.uniqueTopic(name + "-group"));
      s.put(ImagestreamConfig.TRAINER_INPUT_SHAPE, TestModels.SHAPE.toString());
      s.put(ImagestreamConfig.TRAINER_MIN_NEW_LABELS, Integer.toString(minNewLabels));
      s.put(ImagestreamConfig.TRAINER_MAX_INTERVAL_MS, "3600000");
      s.put(ImagestreamConfig.TRAINER_HELDOUT_PERCENT, Integer.toString(HELD_OUT_PERCENT));
      s.put(ImagestreamConfig.TRAINER_MIN_HELDOUT, "20");
      s.put(ImagestreamConfig.TRAINER_EPOCHS, "3");
      s.put(ImagestreamConfig.TRAINER_LEARNING_RATE, "0.005");
      return new Setup(ImagestreamConfig.of(s), labelled, models, dlq);
    }
  }

  /** A trainer running on its own thread, with its event lines collected. */
  static final class RunningTrainer implements AutoCloseable {
    final TrainerService service;
    final TrainerMetrics metrics = new TrainerMetrics(new SimpleMeterRegistry());
    final List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    final Thread thread;

    RunningTrainer(Setup setup, LoadedModel fallback) {
      service = new TrainerService(setup.config, fallback, metrics, events::add);
      thread = new Thread(service::run, "test-trainer");
      thread.start();
    }

    double published() {
      return metrics.registry().get("imagestream.trainer.models.published").counter().count();
    }

    double rejected() {
      return metrics.registry().get("imagestream.trainer.models.rejected").counter().count();
    }

    @Override
    public void close() throws InterruptedException {
      service.close();
      thread.join(60_000);
    }
  }

  /** Labelled dark/light PNGs; {@code labeller} chooses the label sent for (id, true label). */
  static void sendLabelled(Setup setup, String prefix, int count, long seed,
                           java.util.function.BiFunction<String, String, String> labeller) {
    Random random = new Random(seed);
    Map<String, Object> props = new HashMap<>(setup.config.clientProperties());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < count; i++) {
        String id = prefix + i;
        String truth = i % 2 == 0 ? "dark" : "light";
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(setup.labelled,
            id.getBytes(StandardCharsets.UTF_8), TestImages.solid("png", 16, 16, TestModels.colourOf(truth, random)));
        record.headers().add("label", labeller.apply(id, truth).getBytes(StandardCharsets.UTF_8));
        producer.send(record);
      }
    }
  }

  static List<ModelsTopic.Entry> models(Setup setup) {
    return new ModelsTopic(setup.config.clientProperties(), setup.models).readAll(Duration.ofSeconds(30));
  }

  /**
   * The models topic once it shows at least {@code count} versions: a publish reaches read_committed readers when
   * its transaction's markers are written, a moment after the publisher's commit has returned.
   */
  static List<ModelsTopic.Entry> awaitModels(Setup setup, int count) {
    return Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> models(setup), e -> e.size() >= count);
  }

  @Test
  void fromLabelsAloneItPublishesAModelThatPassesTheGate() throws Exception {
    Setup setup = Setup.create("from-labels", 300);
    sendLabelled(setup, "img-", 300, 1, (id, truth) -> truth);
    try (RunningTrainer trainer = new RunningTrainer(setup, null)) {
      Awaitility.await().atMost(Duration.ofSeconds(180)).until(() -> trainer.published() + trainer.rejected() >= 1);
      assertEquals(1.0, trainer.published(), "events: " + trainer.events);
    }
    List<ModelsTopic.Entry> entries = awaitModels(setup, 1);
    assertEquals(1, entries.size());
    assertEquals(1, entries.get(0).version());
    LoadedModel model = ModelArtifact.load(entries.get(0).artifact(), "published");
    assertEquals(TestModels.DARK_LIGHT, model.classNames());
    assertTrue(model.metadata().training().metrics().get("heldout_accuracy") >= 0.9,
        "held-out accuracy " + model.metadata().training().metrics());
    assertEquals(ModelArtifact.sha256(entries.get(0).artifact()), entries.get(0).declaredSha256());
  }

  @Test
  void aCandidateTrainedOnShuffledLabelsIsRejectedAndNeverPublished() throws Exception {
    Setup base = Setup.create("gate", 400);
    // From scratch: a warm start from the (perfect) live model would keep its answers on this easy problem.
    Map<String, String> values = new HashMap<>();
    base.config.originalsStrings().forEach(values::put);
    values.put(ImagestreamConfig.TRAINER_WARM_START, "false");
    Setup setup = new Setup(ImagestreamConfig.of(values), base.labelled, base.models, base.dlq);
    LoadedModel live = TestModels.darkLight();
    try (ModelsTopic.Publisher publisher = new ModelsTopic.Publisher(setup.config.clientProperties(), setup.models,
        "test-" + setup.models)) {
      publisher.publish(TestModels.darkLightArtifact()); // v1, the good live model
    }
    Random random = new Random(4);
    // Training images get random labels; held-out images keep their true labels (the split is by id hash).
    sendLabelled(setup, "img-", 400, 2, (id, truth) -> HeldOutSplit.isHeldOut(id, HELD_OUT_PERCENT) ? truth
        : (random.nextBoolean() ? "dark" : "light"));
    try (RunningTrainer trainer = new RunningTrainer(setup, null)) {
      Awaitility.await().atMost(Duration.ofSeconds(180)).until(() -> trainer.published() + trainer.rejected() >= 1);
      assertEquals(1.0, trainer.rejected(), "events: " + trainer.events);
      assertEquals(0.0, trainer.published());
    }
    List<ModelsTopic.Entry> entries = models(setup);
    assertEquals(List.of(1L), entries.stream().map(ModelsTopic.Entry::version).toList(), "only the live v1");
    assertTrue(live.metadata().version() == 1);
  }

  @Test
  void aRestartedTrainerKeepsEveryLabelAndPublishesNoVersionTwice() throws Exception {
    Setup setup = Setup.create("restart", 200);
    sendLabelled(setup, "a-", 200, 5, (id, truth) -> truth);
    double published;
    try (RunningTrainer first = new RunningTrainer(setup, null)) {
      Awaitility.await().atMost(Duration.ofSeconds(180)).until(() -> first.published() >= 1);
      published = first.published();
    }
    try (RunningTrainer second = new RunningTrainer(setup, null)) {
      // It rebuilds the dataset from the topic: all 200 labels back, none counted as new (v1 learned them).
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> second.service.datasetSize() == 200);
      assertEquals(0, second.service.newLabels());
      sendLabelled(setup, "b-", 200, 6, (id, truth) -> truth);
      Awaitility.await().atMost(Duration.ofSeconds(180))
          .until(() -> second.published() + second.rejected() >= 1);
      assertEquals(400, second.service.datasetSize());
      published += second.published();
    }
    List<Long> versions = awaitModels(setup, (int) published).stream().map(ModelsTopic.Entry::version).toList();
    assertEquals(versions.size(), new java.util.HashSet<>(versions).size(), "no version twice: " + versions);
    assertEquals(1L, versions.get(0));
    assertTrue(versions.size() <= 2 && versions.stream().allMatch(v -> v <= 2), versions.toString());
  }

  @Test
  void badLabelledRecordsAreDeadLetteredWithTheirReasonAndTheTrainerGoesOn() throws Exception {
    Setup setup = Setup.create("bad", 100_000);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(new HashMap<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestCluster.bootstrapServers())), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      byte[] png = TestImages.solid("png", 16, 16, java.awt.Color.BLACK);
      producer.send(new ProducerRecord<>(setup.labelled, 0, "no-label".getBytes(StandardCharsets.UTF_8), png));
      ProducerRecord<byte[], byte[]> empty = new ProducerRecord<>(setup.labelled, 0,
          "empty-label".getBytes(StandardCharsets.UTF_8), png);
      empty.headers().add("label", "  ".getBytes(StandardCharsets.UTF_8));
      producer.send(empty);
      ProducerRecord<byte[], byte[]> garbage = new ProducerRecord<>(setup.labelled, 0,
          "garbage".getBytes(StandardCharsets.UTF_8), "not an image".getBytes(StandardCharsets.UTF_8));
      garbage.headers().add("label", "dark".getBytes(StandardCharsets.UTF_8));
      producer.send(garbage);
      ProducerRecord<byte[], byte[]> odd = new ProducerRecord<>(setup.labelled, 0,
          "odd-label".getBytes(StandardCharsets.UTF_8), png);
      odd.headers().add("label", "chat noir / 黑猫 ✓".getBytes(StandardCharsets.UTF_8));
      producer.send(odd);
    }
    try (RunningTrainer trainer = new RunningTrainer(setup, null)) {
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> trainer.service.datasetSize() == 1);
      List<ConsumerRecord<byte[], byte[]>> dead = TopicReader.readAtLeast(List.of(setup.dlq), 3,
          Duration.ofSeconds(60));
      Map<String, String> reasons = new HashMap<>();
      dead.forEach(r -> reasons.put(new String(r.key(), StandardCharsets.UTF_8),
          new String(r.headers().lastHeader(DeadLetters.REASON).value(), StandardCharsets.UTF_8)));
      assertEquals(Map.of("no-label", "MISSING_LABEL", "empty-label", "MISSING_LABEL", "garbage", "UNDECODABLE"),
          reasons);
      assertTrue(trainer.thread.isAlive(), "the trainer keeps running");
    }
  }

  static LoadedModel load(byte[] artifact) throws InvalidModelException {
    return ModelArtifact.load(artifact, "test");
  }
}
