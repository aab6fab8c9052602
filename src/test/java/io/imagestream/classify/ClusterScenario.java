package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.ProjectTopics;
import io.imagestream.kafka.TopicInitializer;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.testing.ChildJvm;
import io.imagestream.testing.ChildKafkaCluster;
import io.imagestream.testing.ExactlyOnce;
import io.imagestream.testing.OutputWatch;
import io.imagestream.testing.SteadyLoad;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;

/**
 * One fault test of {@link ClusterFaultsIT} on the shared three-node cluster: its topics, application id and
 * classifier config file, the classifier processes it starts (child JVMs of the product's {@code classify}), the
 * steady stream and the read_committed watch on the outputs.
 */
final class ClusterScenario implements AutoCloseable {
  static final int IMAGES_PER_SECOND = 20;
  static final int PARTITIONS = 6;
  static final Duration MOVE_TIMEOUT = Duration.ofMinutes(3);
  /** Two classifier JVMs and three brokers starting on two cores take a while. */
  static final Duration START_TIMEOUT = Duration.ofMinutes(5);
  static final Duration READ_TIMEOUT = Duration.ofMinutes(5);

  private final ChildKafkaCluster cluster;
  private final Path dir;
  private final Path model;
  final String name;
  final String images;
  final List<String> outputs;
  final String models;
  final Path config;
  final List<Process> classifiers = new ArrayList<>();
  final List<Path> logs = new ArrayList<>();
  SteadyLoad load;
  OutputWatch watch;

  /**
   * Creates the scenario's topics (replication 3: images, predictions and dead letters with {@link #PARTITIONS}
   * partitions, a compacted models topic with one) and the classifier's config file; starts nothing yet.
   */
  ClusterScenario(ChildKafkaCluster cluster, Path dir, Path model, String name, String... extraSettings)
      throws IOException {
    this.cluster = cluster;
    this.dir = dir;
    this.model = model;
    this.name = name + "-" + UUID.randomUUID().toString().substring(0, 6);
    this.images = this.name + "-images";
    this.outputs = List.of(this.name + "-predictions", this.name + "-dlq");
    List<TopicSpec> specs = new ArrayList<>();
    for (String topic : List.of(images, outputs.get(0), outputs.get(1))) {
      specs.add(ProjectTopics.withReplicationFactor(new TopicSpec(topic, PARTITIONS, (short) 1, Map.of()), 3));
    }
    this.models = this.name + "-models";
    specs.add(ProjectTopics.withReplicationFactor(new TopicSpec(models, 1, (short) 1,
        Map.of("cleanup.policy", "compact")), 3));
    try (Admin admin = cluster.admin()) {
      new TopicInitializer(admin).ensure(specs, Duration.ofMinutes(2));
    }
    Files.createDirectories(dir.resolve("no-topics"));
    List<String> lines = new ArrayList<>(List.of(
        ImagestreamConfig.TOPIC_IMAGES + "=" + images,
        ImagestreamConfig.TOPIC_PREDICTIONS + "=" + outputs.get(0),
        ImagestreamConfig.TOPIC_DLQ + "=" + outputs.get(1),
        ImagestreamConfig.TOPIC_MODELS + "=" + models,
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

  /** Stops the stream, then checks one output per acknowledged input; returns the outputs read. */
  List<ConsumerRecord<byte[], byte[]>> assertExactlyOnce() throws InterruptedException {
    load.close();
    assertEquals(0, load.failed(), "every send was acknowledged: " + load.firstFailure());
    awaitCaughtUp(load.acked().size());
    try {
      return ExactlyOnce.assertOneOutputEach(cluster.bootstrapServers(), outputs, load.acked(), READ_TIMEOUT);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + " (" + load.acked().size() + " inputs, " + watch.count()
          + " outputs seen by the watch); classifier logs: " + logTails(), e);
    }
  }

  /**
   * Waits until the watch has seen {@code outputs} outputs for as long as they keep coming: on a starved machine the
   * classifier may be minutes behind its input, yet a stream that stops for {@link #READ_TIMEOUT} is not waited for
   * (the exactly-once check then says what is missing).
   */
  private void awaitCaughtUp(int outputs) {
    int seen = -1;
    while (watch.count() < outputs && watch.count() > seen) {
      seen = watch.count();
      int before = seen;
      try {
        Awaitility.await("outputs catching up").atMost(READ_TIMEOUT).pollInterval(Duration.ofMillis(500))
            .until(() -> watch.count() >= outputs || watch.count() > before);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        return;
      }
    }
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
