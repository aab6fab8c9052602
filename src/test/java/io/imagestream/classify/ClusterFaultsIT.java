package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.kafka.ProjectTopics;
import io.imagestream.kafka.TopicInitializer;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.metrics.TrainerMetrics;
import io.imagestream.testing.ChildJvm;
import io.imagestream.testing.ChildKafkaCluster;
import io.imagestream.testing.ExactlyOnce;
import io.imagestream.testing.OutputWatch;
import io.imagestream.testing.SteadyLoad;
import io.imagestream.testing.TestModels;
import io.imagestream.testing.TopicReader;
import io.imagestream.train.TrainerService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The classifier on a real three-node cluster (replication 3, min.insync.replicas 2, every node the product's own
 * {@code broker} in a child JVM), each fault under a steady stream: the broker leading the most input and output
 * partitions killed with SIGKILL and restarted; the active controller killed and restarted; one of two classifier
 * instances killed; both instances restarted one after the other with SIGTERM. Read with read_committed, every input
 * has exactly one prediction or dead letter. The figures (worst latency, time until outputs are on time again) are
 * printed as {@code CLUSTER-FIGURE} lines for docs/cluster.md.
 *
 * <p>{@code -Dcluster.instance.ids=true} runs the classifiers as static members (imagestream.instance.id),
 * {@code -Dcluster.standby.replicas=1} with a standby, and {@code -Dcluster.settings=k=v;k=v} with more settings,
 * to measure a rolling restart each way (bench/cluster-figures.sh).
 */
class ClusterFaultsIT {
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) // a failure leaves the nodes' and classifiers' logs
  static Path dir;
  static ChildKafkaCluster cluster;
  static Path model;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = ChildKafkaCluster.start(dir.resolve("kafka"), 3);
    model = Files.write(dir.resolve("model.zip"), TestModels.darkLightArtifact());
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static ClusterScenario scenario(String name, String... extraSettings) throws IOException {
    return new ClusterScenario(cluster, dir, model, name, extraSettings);
  }

  private static void figure(String fault, OutputWatch.Disruption disruption) {
    System.out.printf("CLUSTER-FIGURE %s: %s%n", fault, disruption);
  }

  @Test
  void theBrokerLeadingTheStreamIsKilledAndRestarted() throws Exception {
    try (ClusterScenario s = scenario("leader-kill")) {
      s.startClassifier(0);
      s.awaitGroupMembers(1);
      s.streamUntilFlowing();
      int leader = cluster.busiestLeader(List.of(s.images, s.outputs.get(0)));
      long killed = System.currentTimeMillis();
      cluster.kill(leader);
      cluster.awaitLeadersMovedFrom(leader, List.of(s.images, s.outputs.get(0)));
      long failover = System.currentTimeMillis() - killed;
      s.awaitMoving();
      cluster.restart(leader);
      s.awaitMoving();
      s.assertExactlyOnce();
      s.assertChangelogReplicated();
      figure("broker " + leader + " (leader) SIGKILL", s.watch.disruption(killed));
      System.out.printf("CLUSTER-FIGURE broker %d (leader) SIGKILL: its partitions had new leaders after %d ms%n",
          leader, failover);
      assertTrue(s.classifiers.get(0).isAlive(), "the same classifier process ran throughout: " + s.logTails());
      cluster.awaitFullyReplicated(List.of(s.images));
    }
  }

  @Test
  void theActiveControllerIsKilledAndRestarted() throws Exception {
    try (ClusterScenario s = scenario("controller-kill")) {
      s.startClassifier(0);
      s.awaitGroupMembers(1);
      s.streamUntilFlowing();
      int controller = cluster.activeController();
      long killed = System.currentTimeMillis();
      cluster.kill(controller);
      Awaitility.await("a new active controller").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
          .ignoreExceptions().until(() -> cluster.activeController() != controller);
      long failover = System.currentTimeMillis() - killed;
      s.awaitMoving();
      cluster.restart(controller);
      s.awaitMoving();
      s.assertExactlyOnce();
      figure("controller " + controller + " SIGKILL", s.watch.disruption(killed));
      System.out.printf("CLUSTER-FIGURE controller %d SIGKILL: a new active controller after %d ms%n", controller,
          failover);
      cluster.awaitFullyReplicated(List.of(s.images));
    }
  }

  @Test
  void oneOfTwoClassifierInstancesIsKilled() throws Exception {
    try (ClusterScenario s = scenario("instance-kill")) {
      s.startClassifier(0);
      s.startClassifier(1);
      s.awaitGroupMembers(2);
      s.streamUntilFlowing();
      long killed = System.currentTimeMillis();
      ChildJvm.kill(s.classifiers.get(0));
      s.awaitMoving();
      s.awaitGroupMembers(1);
      s.awaitMoving();
      s.assertExactlyOnce();
      figure("classifier instance SIGKILL (1 of 2)", s.watch.disruption(killed));
    }
  }

  @Test
  void bothClassifierInstancesAreRestartedOneAfterTheOther() throws Exception {
    try (ClusterScenario s = scenario("rolling")) {
      s.startClassifier(0);
      s.startClassifier(1);
      s.awaitGroupMembers(2);
      s.streamUntilFlowing();
      long[] stopped = new long[3];
      for (int index = 0; index < 2; index++) {
        Process old = s.classifiers.get(index);
        stopped[index] = System.currentTimeMillis();
        old.destroy(); // SIGTERM, as Kubernetes does
        assertTrue(old.waitFor(60, TimeUnit.SECONDS), "instance " + index + " stops within 60 s: " + s.logTails());
        s.startClassifier(index);
        s.awaitGroupMembers(2);
        s.awaitMoving();
      }
      stopped[2] = Long.MAX_VALUE;
      s.assertExactlyOnce();
      for (int index = 0; index < 2; index++) {
        figure("rolling restart (SIGTERM), instance " + index + " of 2 (static members: "
            + Boolean.getBoolean("cluster.instance.ids") + ", standbys: "
            + Integer.getInteger("cluster.standby.replicas", 0) + ", " + System.getProperty("cluster.settings", "")
            + ")", s.watch.disruption(stopped[index], stopped[index + 1]));
      }
    }
  }

  private static final String PUBLISHED = "imagestream.trainer.models.published";
  private static final String REJECTED = "imagestream.trainer.models.rejected";
  /** Labels the trainer needs for a retraining; it gets 20 before the outage and this many more during it. */
  private static final int LABELS = 200;
  /** Failover, a retraining and a hot swap on two busy cores. */
  private static final Duration OUTAGE_TIMEOUT = Duration.ofMinutes(5);

  /**
   * Fault (e): the trainer retrains and publishes v2 and the classifier hot-swaps to it while a broker is down. The
   * broker killed is the one the trainer depends on most: it leads the models partition and both labelled-images
   * partitions (moved to it first) and is the transaction coordinator of the trainer's transactional id, so the
   * trainer's consumer, its publishing transaction and the classifier's model follower all have to fail over to the
   * two brokers left, which are exactly min.insync.replicas.
   */
  @Test
  void theTrainerPublishesAndTheClassifierHotSwapsWhileABrokerIsDown() throws Exception {
    try (ClusterScenario s = scenario("trainer-outage")) {
      String labelled = s.name + "-labelled";
      String trainerDlq = s.name + "-trainer-dlq";
      try (Admin admin = cluster.admin()) {
        new TopicInitializer(admin).ensure(List.of(replicated(labelled, 2), replicated(trainerDlq, 1)),
            Duration.ofMinutes(2));
      }
      ImagestreamConfig config = trainerConfig(s, labelled, trainerDlq);
      String transactionalId = TrainerService.transactionalId(config);
      // v1 on the models topic under the trainer's transactional id, as an earlier round of the trainer leaves it.
      try (ModelsTopic.Publisher publisher = new ModelsTopic.Publisher(config.clientProperties(), s.models,
          transactionalId)) {
        publisher.publish(TestModels.darkLightArtifact());
      }
      int broker;
      try (Admin admin = cluster.admin()) {
        broker = admin.describeTransactions(List.of(transactionalId)).description(transactionalId).get()
            .coordinatorId();
      }
      cluster.lead(broker, List.of(s.models, labelled));
      s.startClassifier(0);
      s.awaitGroupMembers(1);
      s.streamUntilFlowing();
      long killed;
      long published;
      long swapped;
      try (InProcessTrainer trainer = new InProcessTrainer(config)) {
        sendLabelled(labelled, "before-", 20, 1);
        trainer.await("the trainer read the first labels", () -> trainer.service.datasetSize() == 20);
        killed = System.currentTimeMillis();
        cluster.kill(broker);
        sendLabelled(labelled, "during-", LABELS, 2);
        trainer.await("a retraining's verdict", () -> trainer.count(PUBLISHED) + trainer.count(REJECTED) >= 1);
        published = System.currentTimeMillis() - killed;
        assertEquals(1.0, trainer.count(PUBLISHED), "v2 published; events: " + trainer.events);
        // The verdict is counted before the publication; read_committed readers see v2 once its transaction is
        // committed and its markers are written.
        ModelsTopic models = new ModelsTopic(config.clientProperties(), s.models);
        assertEquals(List.of(1L, 2L), Awaitility.await("v2 on " + s.models).atMost(OUTAGE_TIMEOUT)
            .pollInterval(Duration.ofMillis(500)).until(() -> models.readAll(Duration.ofMinutes(1)).stream()
                .map(ModelsTopic.Entry::version).toList(), versions -> versions.size() >= 2));
        Set<Integer> others = new TreeSet<>(Set.of(1, 2, 3));
        others.remove(broker);
        assertEquals(others, cluster.inSync(s.models, 0), "v2 is on the two brokers left, min.insync.replicas");
        List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readUntil(cluster.bootstrapServers(),
            List.of(s.outputs.get(0)), OUTAGE_TIMEOUT, o -> o.stream().anyMatch(r -> versionOf(r) == 2));
        assertTrue(out.stream().anyMatch(r -> versionOf(r) == 2), "the classifier serves v2 while broker " + broker
            + " is down: " + s.logTails());
        swapped = System.currentTimeMillis() - killed;
        assertTrue(trainer.thread.isAlive(), "the trainer runs on: " + trainer.failure.get());
      }
      cluster.restart(broker);
      cluster.awaitFullyReplicated(List.of(s.models, labelled, s.images, s.outputs.get(0)));
      s.awaitMoving();
      assertV1ThenV2(s.assertExactlyOnce(), s.outputs.get(0));
      assertTrue(s.classifiers.get(0).isAlive(), "the same classifier process ran throughout: " + s.logTails());
      figure("broker " + broker + " (models and labelled-images leader, trainer's transaction coordinator) SIGKILL, "
          + "trainer publishes v2 meanwhile", s.watch.disruption(killed));
      System.out.printf("CLUSTER-FIGURE broker %d SIGKILL with the trainer: v2 published after %d ms, served after"
          + " %d ms%n", broker, published, swapped);
    }
  }

  private static TopicSpec replicated(String topic, int partitions) {
    return ProjectTopics.withReplicationFactor(new TopicSpec(topic, partitions, (short) 1, Map.of()), 3);
  }

  /** The trainer of the dark/light test model on the scenario's models topic: small threshold, 16x16 images. */
  private static ImagestreamConfig trainerConfig(ClusterScenario s, String labelled, String dlq) {
    return ImagestreamConfig.of(Map.ofEntries(
        Map.entry(ImagestreamConfig.BOOTSTRAP_SERVERS, cluster.bootstrapServers()),
        Map.entry(ImagestreamConfig.TOPIC_LABELLED, labelled),
        Map.entry(ImagestreamConfig.TOPIC_MODELS, s.models),
        Map.entry(ImagestreamConfig.TOPIC_DLQ, dlq),
        Map.entry(ImagestreamConfig.MODEL_NAME, TestModels.darkLight().metadata().name()),
        Map.entry(ImagestreamConfig.TRAINER_GROUP_ID, s.name + "-trainer"),
        Map.entry(ImagestreamConfig.TRAINER_INPUT_SHAPE, TestModels.SHAPE.toString()),
        Map.entry(ImagestreamConfig.TRAINER_MIN_NEW_LABELS, Integer.toString(LABELS)),
        Map.entry(ImagestreamConfig.TRAINER_MAX_INTERVAL_MS, "3600000"),
        Map.entry(ImagestreamConfig.TRAINER_MIN_HELDOUT, "20"),
        Map.entry(ImagestreamConfig.TRAINER_EPOCHS, "2"),
        Map.entry(ImagestreamConfig.TRAINER_LEARNING_RATE, "0.005"),
        // The quality gate is not what this test is about: any candidate passes it.
        Map.entry(ImagestreamConfig.TRAINER_MARGIN, "-1")));
  }

  /** Labelled dark/light PNGs, sent by a producer that waits out a broker outage; returns once all are acknowledged. */
  private static void sendLabelled(String topic, String prefix, int count, long seed) throws Exception {
    Random random = new Random(seed);
    try (KafkaProducer<byte[], byte[]> producer = SteadyLoad.producer(cluster.bootstrapServers())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String truth = i % 2 == 0 ? "dark" : "light";
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic,
            (prefix + i).getBytes(StandardCharsets.UTF_8),
            TestImages.solid("png", 16, 16, TestModels.colourOf(truth, random)));
        record.headers().add(TrainerService.LABEL_HEADER, truth.getBytes(StandardCharsets.UTF_8));
        sent.add(producer.send(record));
      }
      for (Future<RecordMetadata> future : sent) {
        future.get();
      }
    }
  }

  private static long versionOf(ConsumerRecord<byte[], byte[]> prediction) {
    return Prediction.fromJson(prediction.value()).model().version();
  }

  /** Every output partition of the predictions served v1, then v2, and never v1 again after v2. */
  private static void assertV1ThenV2(List<ConsumerRecord<byte[], byte[]>> outputs, String predictions) {
    Map<Integer, List<Long>> byPartition = new TreeMap<>();
    outputs.stream().filter(r -> r.topic().equals(predictions)).forEach(r ->
        byPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(versionOf(r)));
    byPartition.forEach((partition, versions) -> {
      int firstV2 = versions.indexOf(2L);
      assertTrue(firstV2 > 0, "partition " + partition + " served v1, then v2: " + new TreeSet<>(versions));
      assertEquals(Set.of(1L), Set.copyOf(versions.subList(0, firstV2)), "partition " + partition);
      assertEquals(Set.of(2L), Set.copyOf(versions.subList(firstV2, versions.size())),
          "partition " + partition + ": never back to v1");
    });
  }

  /** The trainer service as {@code train} runs it, on a thread of this JVM; what stopped it, if anything did. */
  private static final class InProcessTrainer implements AutoCloseable {
    final TrainerMetrics metrics = new TrainerMetrics(new SimpleMeterRegistry());
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final TrainerService service;
    final Thread thread;

    InProcessTrainer(ImagestreamConfig config) {
      service = new TrainerService(config, null, metrics, events::add);
      thread = new Thread(() -> {
        try {
          service.run();
        } catch (Throwable e) {
          failure.set(e);
        }
      }, "cluster-trainer");
      thread.start();
    }

    double count(String counter) {
      return metrics.registry().get(counter).counter().count();
    }

    /** Waits for the condition; fails at once, saying why, when the trainer stops. */
    void await(String what, Callable<Boolean> condition) {
      try {
        Awaitility.await(what).atMost(OUTAGE_TIMEOUT).pollInterval(Duration.ofMillis(200))
            .failFast(() -> !thread.isAlive()).until(condition);
      } catch (ConditionTimeoutException | TerminalFailureException e) {
        throw new AssertionError(what + ": the trainer " + (thread.isAlive() ? "runs" : "stopped: " + failure.get())
            + "; events: " + events, e);
      }
    }

    @Override
    public void close() throws InterruptedException {
      service.close();
      thread.join(60_000);
    }
  }
}
