package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.ProjectTopics;
import io.imagestream.kafka.TopicInitializer;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.testing.ChildJvm;
import io.imagestream.testing.ChildKafkaCluster;
import io.imagestream.testing.ExactlyOnce;
import io.imagestream.testing.OutputWatch;
import io.imagestream.testing.SteadyLoad;
import io.imagestream.testing.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
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
  private static final int IMAGES_PER_SECOND = 20;
  private static final int PARTITIONS = 6;
  private static final Duration MOVE_TIMEOUT = Duration.ofMinutes(3);
  /** Two classifier JVMs and three brokers starting on two cores take a while. */
  private static final Duration START_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration READ_TIMEOUT = Duration.ofMinutes(5);

  @TempDir
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

  /** One test's topics, application id, classifier config file and the processes it started. */
  private static final class Scenario implements AutoCloseable {
    final String name;
    final String images;
    final List<String> outputs;
    final Path config;
    final List<Process> classifiers = new ArrayList<>();
    final List<Path> logs = new ArrayList<>();
    SteadyLoad load;
    OutputWatch watch;

    Scenario(String name, String... extraSettings) throws IOException {
      this.name = name + "-" + UUID.randomUUID().toString().substring(0, 6);
      this.images = this.name + "-images";
      this.outputs = List.of(this.name + "-predictions", this.name + "-dlq");
      List<TopicSpec> specs = new ArrayList<>();
      for (String topic : List.of(images, outputs.get(0), outputs.get(1))) {
        specs.add(ProjectTopics.withReplicationFactor(new TopicSpec(topic, PARTITIONS, (short) 1, Map.of()), 3));
      }
      specs.add(ProjectTopics.withReplicationFactor(new TopicSpec(this.name + "-models", 1, (short) 1,
          Map.of("cleanup.policy", "compact")), 3));
      try (Admin admin = cluster.admin()) {
        new TopicInitializer(admin).ensure(specs, Duration.ofMinutes(2));
      }
      Files.createDirectories(dir.resolve("no-topics"));
      List<String> lines = new ArrayList<>(List.of(
          ImagestreamConfig.TOPIC_IMAGES + "=" + images,
          ImagestreamConfig.TOPIC_PREDICTIONS + "=" + outputs.get(0),
          ImagestreamConfig.TOPIC_DLQ + "=" + outputs.get(1),
          ImagestreamConfig.TOPIC_MODELS + "=" + this.name + "-models",
          ImagestreamConfig.TOPIC_TO_LABEL + "=" + this.name + "-to-label",
          ImagestreamConfig.ACTIVE_UNCERTAINTY_THRESHOLD + "=0",
          ImagestreamConfig.APPLICATION_ID + "=" + this.name,
          ImagestreamConfig.TOPICS_DIR + "=" + dir.resolve("no-topics"), // the test made the topics
          ImagestreamConfig.TOPICS_REPLICATION_FACTOR + "=3",
          ImagestreamConfig.STREAM_THREADS + "=1",
          ImagestreamConfig.STANDBY_REPLICAS + "=" + Integer.getInteger("cluster.standby.replicas", 0),
          ImagestreamConfig.BATCH_SIZE + "=16",
          ImagestreamConfig.BATCH_MAX_WAIT_MS + "=20"));
      lines.addAll(List.of(extraSettings));
      String measured = System.getProperty("cluster.settings", ""); // e.g. consumer.session.timeout.ms=30000;...
      lines.addAll(List.of(measured.split(";")));
      config = Files.writeString(dir.resolve(this.name + ".properties"), String.join("\n", lines) + "\n");
    }

    /** Starts classifier instance {@code index} (a new process; instance ids stay with the index). */
    Process startClassifier(int index) throws IOException {
      Path instanceConfig = config;
      if (Boolean.getBoolean("cluster.instance.ids")) {
        instanceConfig = Files.writeString(dir.resolve(name + "-" + index + ".properties"),
            Files.readString(config) + ImagestreamConfig.INSTANCE_ID + "=" + name + "-" + index + "\n");
      }
      Path log = dir.resolve(name + "-classifier-" + index + "-" + logs.size() + ".log");
      Process process = ChildJvm.start(log, "classify", "--bootstrap-servers", cluster.bootstrapServers(),
          "--config", instanceConfig.toString(), "--model", model.toString(), "--metrics-port", "0");
      while (classifiers.size() <= index) {
        classifiers.add(null);
      }
      classifiers.set(index, process);
      logs.add(log);
      return process;
    }

    /** The steady stream and the watch on the outputs; returns once outputs flow. */
    void streamUntilFlowing() {
      load = new SteadyLoad(cluster.bootstrapServers(), images, IMAGES_PER_SECOND, name.hashCode());
      watch = new OutputWatch(cluster.bootstrapServers(), outputs);
      awaitMoving();
    }

    void awaitMoving() {
      try {
        watch.awaitMoving(IMAGES_PER_SECOND * 3, MOVE_TIMEOUT);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError("outputs stopped; classifier logs: " + logTails(), e);
      }
    }

    /** Waits until the application's consumer group has {@code members} members (one stream thread each). */
    void awaitGroupMembers(int members) {
      Awaitility.await(members + " members in " + name).atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(500))
          .ignoreExceptions().until(() -> {
            try (Admin admin = cluster.admin()) {
              var group = admin.describeConsumerGroups(List.of(name)).all().get().get(name);
              return group.members().size() == members
                  && group.groupState() == org.apache.kafka.common.GroupState.STABLE;
            }
          });
    }

    /** Stops the stream, then checks one output per acknowledged input. */
    void assertExactlyOnce() throws InterruptedException {
      load.close();
      assertEquals(0, load.failed(), "every send was acknowledged: " + load.firstFailure());
      ExactlyOnce.assertOneOutputEach(cluster.bootstrapServers(), outputs, load.acked(), READ_TIMEOUT);
    }

    /** Kafka Streams made the buffer's changelog with the topics' factor: 3 replicas, 2 in sync. */
    void assertChangelogReplicated() throws Exception {
      String changelog = name + "-" + ClassifierTopology.PENDING_STORE + "-changelog";
      try (Admin admin = cluster.admin()) {
        var description = admin.describeTopics(List.of(changelog)).allTopicNames().get().get(changelog);
        assertEquals(PARTITIONS, description.partitions().size(), changelog);
        description.partitions().forEach(p -> assertEquals(3, p.replicas().size(), changelog + " " + p));
        var resource = new org.apache.kafka.common.config.ConfigResource(
            org.apache.kafka.common.config.ConfigResource.Type.TOPIC, changelog);
        assertEquals("2", admin.describeConfigs(List.of(resource)).all().get().get(resource)
            .get("min.insync.replicas").value(), changelog);
      }
    }

    String logTails() {
      StringBuilder text = new StringBuilder();
      logs.forEach(log -> text.append("\n--- ").append(log.getFileName()).append(":\n").append(ChildJvm.tail(log)));
      return text.toString();
    }

    @Override
    public void close() throws Exception {
      if (load != null) {
        load.abort();
      }
      if (watch != null) {
        watch.close();
      }
      for (Process process : classifiers) {
        ChildJvm.kill(process);
      }
    }
  }

  private static void figure(String fault, OutputWatch.Disruption disruption) {
    System.out.printf("CLUSTER-FIGURE %s: %s%n", fault, disruption);
  }

  @Test
  void theBrokerLeadingTheStreamIsKilledAndRestarted() throws Exception {
    try (Scenario s = new Scenario("leader-kill")) {
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
    try (Scenario s = new Scenario("controller-kill")) {
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
    try (Scenario s = new Scenario("instance-kill")) {
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
    try (Scenario s = new Scenario("rolling")) {
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
}
