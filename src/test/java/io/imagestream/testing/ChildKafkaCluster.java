package io.imagestream.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.awaitility.Awaitility;

/**
 * A real multi-node KRaft cluster for fault tests: each node is the product's own {@code broker --node-id N
 * --controller-port C --quorum ...} in a child JVM on the test classpath, on ports picked at start (kept across its
 * restarts) and a data directory of its own. Nodes can be killed with SIGKILL, stopped with SIGTERM and restarted on
 * their data; {@link #close()} (and a shutdown hook) kill whatever still runs.
 */
public final class ChildKafkaCluster implements AutoCloseable {
  private static final String READY = "broker ready on ";
  private static final Duration START_TIMEOUT = Duration.ofMinutes(5);

  private final Path dir;
  private final String quorum;
  private final Map<Integer, Node> nodes = new TreeMap<>();
  private final Thread killer = new Thread(this::killAll, "child-kafka-cluster-killer");

  /** One node: its fixed ports and data, and the process running it now (null while down). */
  private static final class Node {
    final int id;
    final int port;
    final int controllerPort;
    final Path dataDir;
    Process process;
    int starts;

    Node(int id, int port, int controllerPort, Path dataDir) {
      this.id = id;
      this.port = port;
      this.controllerPort = controllerPort;
      this.dataDir = dataDir;
    }
  }

  private ChildKafkaCluster(Path dir, int size) {
    this.dir = dir;
    List<String> voters = new ArrayList<>();
    for (int id = 1; id <= size; id++) {
      Node node = new Node(id, freePort(), freePort(), dir.resolve("node-" + id));
      nodes.put(id, node);
      voters.add(id + "@127.0.0.1:" + node.controllerPort);
    }
    this.quorum = String.join(",", voters);
    Runtime.getRuntime().addShutdownHook(killer);
  }

  /** Starts {@code size} nodes at once (a quorum needs a majority of them) and waits until each is ready. */
  public static ChildKafkaCluster start(Path dir, int size) throws IOException {
    Files.createDirectories(dir);
    ChildKafkaCluster cluster = new ChildKafkaCluster(dir, size);
    try {
      for (Node node : cluster.nodes.values()) {
        cluster.launch(node);
      }
      for (Node node : cluster.nodes.values()) {
        cluster.awaitReady(node);
      }
      return cluster;
    } catch (IOException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private void launch(Node node) throws IOException {
    node.starts++;
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), "io.imagestream.cli.Main",
        "broker", "--node-id", String.valueOf(node.id), "--controller-port", String.valueOf(node.controllerPort),
        "--quorum", quorum, "--port", String.valueOf(node.port), "--data-dir", node.dataDir.toString());
    node.process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log(node).toFile()).start();
  }

  private Path log(Node node) {
    return dir.resolve("node-" + node.id + "-" + node.starts + ".log");
  }

  private void awaitReady(Node node) {
    Process process = node.process;
    Path log = log(node);
    try {
      Awaitility.await("node " + node.id + " ready").atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(200))
          .failFast("node " + node.id + " exited", () -> !process.isAlive())
          .until(() -> Files.exists(log) && Files.readString(log).contains(READY + "127.0.0.1:" + node.port));
    } catch (org.awaitility.core.ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
      throw new IllegalStateException("node " + node.id + " not ready: " + ChildJvm.tail(log), e);
    }
  }

  /** Every node's client address, HOST:PORT,... */
  public String bootstrapServers() {
    return nodes.values().stream().map(n -> "127.0.0.1:" + n.port).collect(Collectors.joining(","));
  }

  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000));
  }

  /** SIGKILL: no controlled shutdown, no flush; the node stays down until {@link #restart}. */
  public void kill(int id) throws InterruptedException {
    Node node = nodes.get(id);
    ChildJvm.kill(node.process);
    node.process = null;
  }

  /** SIGTERM and wait for a clean shutdown. */
  public void stop(int id) throws InterruptedException {
    Node node = nodes.get(id);
    node.process.destroy();
    if (!node.process.waitFor(60, TimeUnit.SECONDS)) {
      node.process.destroyForcibly().waitFor();
    }
    node.process = null;
  }

  /** Starts a stopped node again on its ports and data directory and waits until it is ready. */
  public void restart(int id) throws IOException {
    Node node = nodes.get(id);
    if (node.process != null) {
      throw new IllegalStateException("node " + id + " is running");
    }
    launch(node);
    awaitReady(node);
  }

  /** The node leading the most partitions of these topics (ties: the lowest id). */
  public int busiestLeader(List<String> topics) throws ExecutionException, InterruptedException {
    Map<Integer, Integer> led = new TreeMap<>();
    try (Admin admin = admin()) {
      for (TopicDescription description : admin.describeTopics(topics).allTopicNames().get().values()) {
        for (TopicPartitionInfo partition : description.partitions()) {
          if (partition.leader() != null) {
            led.merge(partition.leader().id(), 1, Integer::sum);
          }
        }
      }
    }
    return led.entrySet().stream().max(Map.Entry.<Integer, Integer>comparingByValue()
        .thenComparing(Map.Entry.comparingByKey(java.util.Comparator.reverseOrder()))).orElseThrow().getKey();
  }

  /**
   * Makes node {@code id} the leader of every partition of the topics: their replicas reordered with it first (a
   * reassignment that moves no data), then a preferred leader election.
   */
  public void lead(int id, List<String> topics) throws ExecutionException, InterruptedException {
    try (Admin admin = admin()) {
      Map<TopicPartition, Optional<NewPartitionReassignment>> order = new HashMap<>();
      for (TopicDescription description : admin.describeTopics(topics).allTopicNames().get().values()) {
        for (TopicPartitionInfo partition : description.partitions()) {
          List<Integer> replicas = new ArrayList<>(partition.replicas().stream()
              .map(org.apache.kafka.common.Node::id).toList());
          if (!replicas.remove(Integer.valueOf(id))) {
            throw new IllegalStateException("node " + id + " has no replica of " + description.name() + "-"
                + partition.partition());
          }
          replicas.add(0, id);
          order.put(new TopicPartition(description.name(), partition.partition()),
              Optional.of(new NewPartitionReassignment(replicas)));
        }
      }
      admin.alterPartitionReassignments(order).all().get();
      Awaitility.await("node " + id + " leads " + topics).atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
            admin.electLeaders(ElectionType.PREFERRED, order.keySet()).partitions().get(); // "not needed" is fine
            return admin.describeTopics(topics).allTopicNames().get().values().stream()
                .flatMap(d -> d.partitions().stream())
                .allMatch(p -> p.leader() != null && p.leader().id() == id);
          });
    }
  }

  /** The nodes in sync for one partition now. */
  public Set<Integer> inSync(String topic, int partition) throws ExecutionException, InterruptedException {
    try (Admin admin = admin()) {
      return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().get(partition).isr()
          .stream().map(org.apache.kafka.common.Node::id).collect(Collectors.toCollection(java.util.TreeSet::new));
    }
  }

  /** Waits until no partition of the topics is led by node {@code id} (after it was killed): the failover. */
  public void awaitLeadersMovedFrom(int id, List<String> topics) {
    Awaitility.await("new leaders for node " + id + "'s partitions").atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
          try (Admin admin = admin()) {
            return admin.describeTopics(topics).allTopicNames().get().values().stream()
                .flatMap(d -> d.partitions().stream())
                .allMatch(p -> p.leader() != null && p.leader().id() != id);
          }
        });
  }

  /** The quorum's leader: the active controller. */
  public int activeController() throws ExecutionException, InterruptedException {
    try (Admin admin = admin()) {
      return admin.describeMetadataQuorum().quorumInfo().get().leaderId();
    }
  }

  /** Waits until every partition of the topics has all its replicas in sync again (e.g. after a restart). */
  public void awaitFullyReplicated(List<String> topics) {
    Awaitility.await("every replica of " + topics + " in sync").atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
          try (Admin admin = admin()) {
            return admin.describeTopics(topics).allTopicNames().get().values().stream()
                .flatMap(d -> d.partitions().stream())
                .allMatch(p -> p.isr().size() == p.replicas().size());
          }
        });
  }

  public String tail(int id) {
    return ChildJvm.tail(log(nodes.get(id)));
  }

  private void killAll() {
    nodes.values().forEach(node -> {
      if (node.process != null) {
        node.process.destroyForcibly();
      }
    });
  }

  @Override
  public void close() {
    killAll();
    for (Node node : nodes.values()) {
      try {
        if (node.process != null) {
          node.process.waitFor(30, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      node.process = null;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killer);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook runs anyway
    }
  }

  /** A port free right now on 127.0.0.1 (the node binds it a moment later). */
  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
