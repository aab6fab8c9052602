package io.imagestream.cli;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.EmbeddedKafkaBroker;
import io.imagestream.kafka.KraftQuorum;
import io.imagestream.kafka.TopicInitializer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "broker", mixinStandardHelpOptions = true,
    description = {"A real Apache Kafka broker (KRaft) on 127.0.0.1, with the topics from topics/ created: a "
        + "single-node cluster, or with --node-id, --controller-port and --quorum one node (broker + controller) of a "
        + "multi-node cluster.",
        "Cluster nodes started with the same --quorum form one cluster; give each its own --data-dir to keep across "
            + "restarts (a node restarted on it rejoins). From three nodes on, topics and Kafka's internal topics are "
            + "replicated 3 times with min.insync.replicas 2."})
final class BrokerCommand implements Callable<Integer> {
  /** A cluster node waits this long for enough brokers to replicate the project's topics. */
  private static final Duration CLUSTER_WAIT = Duration.ofMinutes(5);

  @Spec
  CommandSpec spec;

  @Option(names = "--port", defaultValue = "9092", description = "Client port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Where the broker keeps its logs; reused across restarts (default: a temporary folder, deleted on exit).")
  Path dataDir;

  @Option(names = "--node-id", paramLabel = "N", description = "This node's id in --quorum (cluster mode).")
  Integer nodeId;

  @Option(names = "--controller-port", paramLabel = "C",
      description = "This node's KRaft controller port, as in --quorum (cluster mode).")
  Integer controllerPort;

  @Option(names = "--quorum", paramLabel = "1@HOST:C1,2@HOST:C2,...",
      description = "Every controller of the cluster, the same list on every node (cluster mode); this node's "
          + "listeners bind to its HOST.")
  String quorum;

  @Override
  public Integer call() {
    KraftQuorum cluster = quorum();
    EmbeddedKafkaBroker broker = ServiceSupport.startBroker(port, dataDir, cluster);
    try {
      Map<String, String> settings = new HashMap<>();
      settings.put(ImagestreamConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
      if (cluster != null) {
        settings.put(ImagestreamConfig.TOPICS_REPLICATION_FACTOR, String.valueOf(cluster.replicationFactor()));
        awaitBrokers(broker.bootstrapServers(), cluster.replicationFactor());
      }
      TopicInitializer.Report report = ServiceSupport.ensureTopics(ImagestreamConfig.of(settings));
      report.differences().forEach(d -> System.err.println("topic difference: " + d));
      System.out.println("broker ready on " + broker.bootstrapServers());
      System.out.flush();
    } catch (RuntimeException e) {
      broker.close();
      throw e;
    }
    ServiceSupport.runUntilStopped(null, broker::close);
    return 0;
  }

  /** The quorum from the three cluster options (all or none), or null for a single node; usage errors exit 2. */
  private KraftQuorum quorum() {
    if (nodeId == null && controllerPort == null && quorum == null) {
      return null;
    }
    if (nodeId == null || controllerPort == null || quorum == null) {
      throw new ParameterException(spec.commandLine(),
          "--node-id, --controller-port and --quorum go together (one node of a multi-node cluster)");
    }
    try {
      return KraftQuorum.parse(nodeId, controllerPort, quorum);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** Topics replicated N times can be created once N brokers have registered. */
  private static void awaitBrokers(String bootstrapServers, int count) {
    long deadline = System.nanoTime() + CLUSTER_WAIT.toNanos();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
      while (true) {
        int registered = admin.describeCluster().nodes().get().size();
        if (registered >= count) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new Errors.UserException("only " + registered + " of " + count + " brokers joined the cluster within "
              + CLUSTER_WAIT.toMinutes() + " minutes; start the other nodes of --quorum", 3);
        }
        Thread.sleep(200); // a poll of the cluster's membership, not a guess at how long nodes take
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Errors.UserException("interrupted while waiting for the cluster's brokers", 3);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new Errors.UserException("cannot list the cluster's brokers: " + Errors.describe(e.getCause()), 3);
    }
  }
}
