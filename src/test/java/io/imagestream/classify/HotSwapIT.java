package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.InputShape;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.model.Architectures;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import io.imagestream.testing.TestModels;
import io.imagestream.testing.TopicReader;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** Models arriving on the models topic while images flow: swapped in between batches, or refused. */
class HotSwapIT {

  private record Running(ClassifierIT.Setup setup, String models, ClassifierService service, ModelFollower follower,
                         ClassifierMetrics metrics) implements AutoCloseable {
    @Override
    public void close() {
      follower.close();
      service.close();
    }
  }

  private static Running start(String name) {
    ClassifierIT.Setup setup = ClassifierIT.Setup.create(name);
    String models = KafkaTestCluster.uniqueTopic(name + "-models");
    KafkaTestCluster.createTopics(new TopicSpec(models, 1, (short) 1, Map.of("cleanup.policy", "compact",
        "max.message.bytes", "1048588")));
    ServingModel serving = new ServingModel(TestModels.darkLight());
    ClassifierMetrics metrics = ClassifierMetrics.discarding();
    ClassifierService service = new ClassifierService(setup.config(), serving, metrics);
    ModelFollower follower = new ModelFollower(new ModelsTopic(setup.config().clientProperties(), models),
        "dark-light", serving, metrics, 8);
    follower.start();
    service.start();
    return new Running(setup, models, service, follower, metrics);
  }

  private static void publish(Running r, byte[] artifact) throws Exception {
    try (ModelsTopic.Publisher publisher = new ModelsTopic.Publisher(r.setup.config().clientProperties(), r.models,
        "test-publisher-" + r.models)) {
      publisher.publish(artifact);
    }
  }

  /** Publishes raw records (for artifacts a correct publisher would never write). */
  private static void publishRaw(Running r, byte[] artifact, long version, String sha256) {
    try (KafkaProducer<byte[], byte[]> producer = ClassifierIT.producer()) {
      ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(r.models, "dark-light".getBytes(StandardCharsets.UTF_8),
          artifact);
      record.headers().add(ModelsTopic.VERSION_HEADER, Long.toString(version).getBytes(StandardCharsets.UTF_8));
      record.headers().add(ModelsTopic.SHA256_HEADER, sha256.getBytes(StandardCharsets.UTF_8));
      producer.send(record);
    }
  }

  static byte[] version(long version) throws Exception {
    return ModelArtifact.restamp(TestModels.darkLightArtifact(), m -> m.withVersion(version, version - 1));
  }

  /** Sends images at a steady pace on a thread; returns the ids sent when stopped. */
  private static final class Load implements AutoCloseable {
    final List<String> ids = java.util.Collections.synchronizedList(new ArrayList<>());
    final AtomicBoolean running = new AtomicBoolean(true);
    final Thread thread;

    Load(String topic, int max) {
      byte[] dark = TestImages.solid("png", 16, 16, Color.BLACK);
      thread = new Thread(() -> {
        try (KafkaProducer<byte[], byte[]> producer = ClassifierIT.producer()) {
          long start = System.nanoTime();
          for (int i = 0; i < max && running.get(); i++) {
            String id = "img-" + i;
            producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), dark));
            ids.add(id);
            java.util.concurrent.locks.LockSupport.parkNanos(Math.max(0, start + i * 3_000_000L - System.nanoTime()));
          }
        }
      });
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join();
    }
  }

  private static Map<String, Long> versionsById(List<ConsumerRecord<byte[], byte[]>> out) {
    Map<String, Long> versions = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : out) {
      Prediction p = Prediction.fromJson(record.value());
      assertTrue(versions.put(p.id(), p.model().version()) == null, "duplicate prediction for " + p.id());
    }
    return versions;
  }

  @Test
  void aNewerModelIsSwappedInAtOnePointPerPartitionWithNothingLostOrDuplicated() throws Exception {
    try (Running r = start("swap")) {
      List<String> sent;
      try (Load load = new Load(r.setup.images(), 2000)) {
        TopicReader.readUntil(List.of(r.setup.predictions()), Duration.ofSeconds(60), out -> out.size() >= 300);
        publish(r, version(2));
        load.thread.join();
        sent = new ArrayList<>(load.ids);
      }
      List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readAtLeast(List.of(r.setup.predictions()), sent.size(),
          Duration.ofSeconds(120));
      Map<String, Long> versions = versionsById(out);
      assertEquals(new HashSet<>(sent), versions.keySet(), "one prediction per input, none lost");
      assertEquals(sent.size(), out.size());
      // Within each partition, in offset order: all v1, then all v2 (one switch point).
      Map<Integer, List<Long>> byPartition = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> record : out) {
        Prediction p = Prediction.fromJson(record.value());
        byPartition.computeIfAbsent(p.source().partition(), k -> new ArrayList<>()).add(p.model().version());
      }
      for (List<Long> sequence : byPartition.values()) {
        int switches = 0;
        for (int i = 1; i < sequence.size(); i++) {
          assertTrue(sequence.get(i) >= sequence.get(i - 1), "never back to an older version");
          if (!sequence.get(i).equals(sequence.get(i - 1))) {
            switches++;
          }
        }
        assertTrue(switches <= 1, "one switch point per partition");
      }
      assertTrue(versions.containsValue(1L) && versions.containsValue(2L), "both versions served: " + 
          new HashSet<>(versions.values()));
      assertEquals(1.0, r.metrics.registry().get("imagestream.model.swaps").counter().count());
      assertEquals(java.util.OptionalInt.of(BackgroundPriority.LOWEST),
          BackgroundPriorityTest.niceOfThread("model-follower"), "v2 loaded at the lowest CPU priority");
    }
  }

  @Test
  void twoInstancesSharingThePartitionsConvergeOnTheNewVersion() throws Exception {
    try (Running first = start("converge")) {
      ServingModel serving = new ServingModel(TestModels.darkLight());
      ClassifierMetrics metrics = ClassifierMetrics.discarding();
      try (ClassifierService second = new ClassifierService(first.setup.config(), serving, metrics);
           ModelFollower follower = new ModelFollower(new ModelsTopic(first.setup.config().clientProperties(),
               first.models), "dark-light", serving, metrics, 8)) {
        follower.start();
        second.start();
        publish(first, version(2));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
            first.service.model().current().metadata().version() == 2 && serving.current().metadata().version() == 2);
        try (KafkaProducer<byte[], byte[]> producer = ClassifierIT.producer()) {
          for (int i = 0; i < 60; i++) {
            producer.send(new ProducerRecord<>(first.setup.images(), i % 3, ("after-" + i).getBytes(StandardCharsets.UTF_8),
                TestImages.solid("png", 16, 16, Color.WHITE)));
          }
        }
        List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readAtLeast(List.of(first.setup.predictions()), 60,
            Duration.ofSeconds(90));
        assertEquals(60, out.size());
        assertEquals(Set.of(2L), new HashSet<>(versionsById(out).values()), "both instances serve v2");
      }
    }
  }

  @Test
  void corruptedTamperedOrMisshapenModelsAreRefusedAndTheOldOneKeepsServing() throws Exception {
    try (Running r = start("refuse")) {
      byte[] corrupt = new byte[4096];
      new java.util.Random(1).nextBytes(corrupt);
      publishRaw(r, corrupt, 2, ModelArtifact.sha256(corrupt));              // not a model at all
      byte[] v3 = version(3);
      publishRaw(r, v3, 3, ModelArtifact.sha256(version(99)));              // sha256 header does not match
      var network20 = Architectures.build(Architectures.KERAS_TUTORIAL_CNN, new InputShape(20, 20, 1), 2, 1, 1e-3);
      byte[] misshapen = ModelArtifact.toBytes(network20, TestModels.metadata("dark-light", 4, TestModels.DARK_LIGHT,
          TestModels.SHAPE, ModelMetadata.SIGMOID));                          // declares 16x16, takes 20x20
      publishRaw(r, misshapen, 4, ModelArtifact.sha256(misshapen));

      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
          r.metrics.registry().get("imagestream.model.refused").counter().count() >= 3);
      assertEquals(3.0, r.metrics.registry().get("imagestream.model.refused").counter().count());
      assertEquals(1, r.service.model().current().metadata().version(), "the old model keeps serving");

      AtomicInteger id = new AtomicInteger();
      try (KafkaProducer<byte[], byte[]> producer = ClassifierIT.producer()) {
        for (int i = 0; i < 20; i++) {
          producer.send(new ProducerRecord<>(r.setup.images(), ("before-" + id.getAndIncrement())
              .getBytes(StandardCharsets.UTF_8), TestImages.solid("png", 16, 16, Color.WHITE)));
        }
      }
      List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readAtLeast(List.of(r.setup.predictions()), 20,
          Duration.ofSeconds(60));
      Set<Long> served = new HashSet<>(versionsById(out).values());
      assertEquals(Set.of(1L), served);

      publish(r, version(5)); // a good one after the bad ones is still taken
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() ->
          r.service.model().current().metadata().version() == 5);
    }
  }
}
