package io.imagestream.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.classify.ClassifierService;
import io.imagestream.classify.ClassifierTopology;
import io.imagestream.classify.Prediction;
import io.imagestream.classify.ServingModel;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.Interpolation;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.testing.TestModels;
import io.imagestream.testing.TopicReader;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The active-learning loop against a real broker: classifier → to-label → a "person" labels → labelled-images →
 * trainer → a better model on exactly the images the first one was unsure about.
 *
 * <p>The first model (TestModels.darkLight) only ever saw dark (0..90) and light (165..255) images and put its
 * boundary near grey 130. The labellers' boundary is 135 (grey 135 and above is light), so on mid-greys the first
 * model hesitates and is wrong on 131..134: their labels are what teaches the next model.
 */
class ActiveLearningIT {
  private static final double THRESHOLD = 0.99;
  private static final int LABELLERS_BOUNDARY = 135;
  private static final int IMAGES = 600;

  private static String truth(int grey) {
    return grey < LABELLERS_BOUNDARY ? "dark" : "light";
  }

  private static int greyOf(String id) {
    return Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
  }

  @Test
  void uncertainImagesGetLabelledAndTheNextModelGetsThemRight() throws Exception {
    TrainerIT.Setup trainerTopics = TrainerIT.Setup.create("active", 1);
    String images = KafkaTestCluster.uniqueTopic("active-images");
    String predictions = KafkaTestCluster.uniqueTopic("active-predictions");
    String toLabel = KafkaTestCluster.uniqueTopic("active-to-label");
    for (String topic : List.of(images, predictions, toLabel)) {
      KafkaTestCluster.createTopics(new TopicSpec(topic, 2, (short) 1, Map.of()));
    }
    Map<String, String> values = new HashMap<>(trainerTopics.config().originalsStrings());
    values.put(ImagestreamConfig.TOPIC_IMAGES, images);
    values.put(ImagestreamConfig.TOPIC_PREDICTIONS, predictions);
    values.put(ImagestreamConfig.TOPIC_TO_LABEL, toLabel);
    values.put(ImagestreamConfig.APPLICATION_ID, KafkaTestCluster.uniqueTopic("active-app"));
    values.put(ImagestreamConfig.BATCH_MAX_WAIT_MS, "20");
    values.put(ImagestreamConfig.ACTIVE_UNCERTAINTY_THRESHOLD, Double.toString(THRESHOLD));

    // v1 on the models topic: the live model the trainer compares with and warm-starts from.
    try (ModelsTopic.Publisher publisher = new ModelsTopic.Publisher(trainerTopics.config().clientProperties(),
        trainerTopics.models(), "test-" + trainerTopics.models())) {
      publisher.publish(TestModels.darkLightArtifact());
    }

    // 1. The stream: mid-greys 110..150, classified by v1.
    try (ClassifierService classifier = new ClassifierService(ImagestreamConfig.of(values),
        new ServingModel(TestModels.darkLight()), ClassifierMetrics.discarding())) {
      classifier.start();
      try (KafkaProducer<byte[], byte[]> producer = producer()) {
        for (int i = 0; i < IMAGES; i++) {
          int grey = 110 + i % 41;
          producer.send(new ProducerRecord<>(images, utf8("mid-" + i + "-" + grey),
              TestImages.solid("png", 16, 16, new Color(grey, grey, grey))));
        }
      }
      List<ConsumerRecord<byte[], byte[]>> predicted = TopicReader.readAtLeast(List.of(predictions), IMAGES,
          Duration.ofSeconds(120));
      assertEquals(IMAGES, predicted.size());
      Set<String> unsure = new TreeSet<>();
      for (ConsumerRecord<byte[], byte[]> record : predicted) {
        Prediction p = Prediction.fromJson(record.value());
        if (p.probability() < THRESHOLD) {
          unsure.add(p.id());
        }
      }
      assertTrue(unsure.size() >= 100 && unsure.size() < IMAGES, unsure.size() + " uncertain");

      // 2. Exactly those appear on to-label, with the original image and the prediction.
      List<ConsumerRecord<byte[], byte[]>> queued = TopicReader.readAtLeast(List.of(toLabel), unsure.size(),
          Duration.ofSeconds(60));
      Set<String> queuedIds = new TreeSet<>();
      queued.forEach(r -> queuedIds.add(new String(r.key(), StandardCharsets.UTF_8)));
      assertEquals(unsure, queuedIds);
      assertEquals(unsure.size(), queued.size(), "no duplicates");

      // 3. A person labels them: the same key and bytes onto labelled-images, with a 'label' header.
      List<Map.Entry<String, byte[]>> labelledSet = new ArrayList<>();
      ImagePreprocessor preprocessor = new ImagePreprocessor(TestModels.SHAPE, 1_000_000, 1_000_000,
          Interpolation.BILINEAR);
      try (KafkaProducer<byte[], byte[]> producer = producer()) {
        for (ConsumerRecord<byte[], byte[]> record : queued) {
          Prediction p = Prediction.fromJson(record.headers().lastHeader(ClassifierTopology.PREDICTION_HEADER).value());
          assertTrue(p.probability() < THRESHOLD, p.toJsonString());
          String label = truth(greyOf(p.id()));
          ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(trainerTopics.labelled(), record.key(),
              record.value());
          out.headers().add(TrainerService.LABEL_HEADER, utf8(label));
          producer.send(out);
          labelledSet.add(Map.entry(label, preprocessor.toPixels(record.value())));
        }
      }

      // 4. The trainer retrains once all those labels are in, and publishes v2.
      Map<String, String> trainerValues = new HashMap<>(values);
      trainerValues.put(ImagestreamConfig.TRAINER_MIN_NEW_LABELS, Integer.toString(unsure.size()));
      trainerValues.put(ImagestreamConfig.TRAINER_MIN_HELDOUT, "10");
      trainerValues.put(ImagestreamConfig.TRAINER_MIN_EXAMPLES_PER_CLASS, "5");
      trainerValues.put(ImagestreamConfig.TRAINER_EPOCHS, "30"); // moving a learned boundary takes a few steps
      trainerValues.put(ImagestreamConfig.TRAINER_LEARNING_RATE, "0.01");
      trainerValues.put(ImagestreamConfig.TRAINER_AUGMENT_SHEAR, "0"); // solid greys: augmentation only adds noise
      trainerValues.put(ImagestreamConfig.TRAINER_AUGMENT_ZOOM, "0");
      TrainerIT.Setup trainerSetup = new TrainerIT.Setup(ImagestreamConfig.of(trainerValues),
          trainerTopics.labelled(), trainerTopics.models(), trainerTopics.dlq());
      try (TrainerIT.RunningTrainer trainer = new TrainerIT.RunningTrainer(trainerSetup, null)) {
        Awaitility.await().atMost(Duration.ofSeconds(240))
            .until(() -> trainer.published() + trainer.rejected() >= 1);
        assertEquals(1.0, trainer.published(), "events: " + trainer.events);
      }

      // 5. Both models on the same images: those v1 was unsure about, with the labellers' labels.
      List<ModelsTopic.Entry> entries = TrainerIT.models(trainerSetup);
      assertEquals(List.of(1L, 2L), entries.stream().map(ModelsTopic.Entry::version).toList());
      LoadedModel first = TestModels.darkLight();
      LoadedModel next = ModelArtifact.load(entries.get(1).artifact(), "v2");
      double before = ValidationGate.accuracy(first, labelledSet);
      double after = ValidationGate.accuracy(next, labelledSet);
      System.out.printf("active learning: accuracy on %d uncertain images %.4f (v1) -> %.4f (v2)%n",
          labelledSet.size(), before, after);
      assertTrue(before < 0.85, "v1 is wrong on 131..134: " + before);
      // Measured: 0.71 -> 0.79 (v2 learns part of the shift; it does not reach the labellers' boundary exactly).
      assertTrue(after >= before + 0.05, before + " -> " + after);
    }
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestCluster.bootstrapServers());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
