package io.imagestream.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka node (KRaft, combined broker + controller) running inside this JVM: by default a single-node cluster
 * listening on 127.0.0.1 only, used by the demo ("run everything on one machine") and by tests when no Docker engine
 * is available; with a {@link KraftQuorum}, one node of a multi-node cluster whose defaults suit replication.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final String HOST = "127.0.0.1";
  private static final int NODE_ID = 1;
  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final String SASL_SSL_LISTENER = "SASL_SSL";
  private static final String SCRAM_MECHANISM = "SCRAM-SHA-512";
  /** Photos and model files are several MB; Kafka's ~1 MB defaults would reject them. */
  private static final String MAX_BYTES = String.valueOf(64 * 1024 * 1024);

  private final KafkaRaftServer server;
  private final String host;
  private final int port;
  private final int controllerPort;
  private final int saslSslPort; // 0: no SASL_SSL listener
  private final Path dataDir;
  private final boolean deleteOnClose;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EmbeddedKafkaBroker(KafkaRaftServer server, String host, int port, int controllerPort, int saslSslPort,
                              Path dataDir, boolean deleteOnClose) {
    this.server = server;
    this.host = host;
    this.port = port;
    this.controllerPort = controllerPort;
    this.saslSslPort = saslSslPort;
    this.dataDir = dataDir;
    this.deleteOnClose = deleteOnClose;
  }

  /**
   * Starts a single-node KRaft broker+controller on 127.0.0.1 and returns once it serves requests.
   *
   * @param port      client port; 0 picks a free one
   * @param dataDir   log directory; null means a fresh temporary directory deleted on close, otherwise it is kept
   *                  and reused across restarts (formatted only if it is not formatted yet)
   * @param overrides broker properties applied last (e.g. "auto.create.topics.enable"); may be null
   */
  public static EmbeddedKafkaBroker start(int port, Path dataDir, Map<String, String> overrides) {
    return start(port, dataDir, overrides, null);
  }

  /**
   * An extra listener on 127.0.0.1 for clients that use SASL_SSL with SCRAM-SHA-512 (the PLAINTEXT listener stays, for
   * the broker itself and for set-up). The SCRAM users are written when the storage is formatted, so they exist as soon
   * as the broker serves requests; a data directory that is already formatted keeps the users it has.
   *
   * @param keystore         PKCS12 keystore holding the broker's key and certificate
   * @param keystorePassword the keystore's password (also the key's)
   * @param scramUsers       user name to password (neither may contain ',', ']' or '"': kafka-storage syntax)
   */
  public record SaslSslListener(Path keystore, String keystorePassword, Map<String, String> scramUsers) {
    public SaslSslListener {
      scramUsers = Map.copyOf(scramUsers);
      scramUsers.forEach((user, password) -> {
        if ((user + password).matches(".*[,\\]\"].*")) {
          throw new IllegalArgumentException("SCRAM user names and passwords cannot contain ',', ']' or '\"'");
        }
      });
    }
  }

  /** As {@link #start(int, Path, Map)}, plus a SASL_SSL listener when {@code saslSsl} is not null. */
  public static EmbeddedKafkaBroker start(int port, Path dataDir, Map<String, String> overrides,
                                          SaslSslListener saslSsl) {
    return start(port, dataDir, overrides, saslSsl, null);
  }

  /**
   * As {@link #start(int, Path, Map, SaslSslListener)}; with a {@code quorum}, this node joins the multi-node cluster
   * it describes (its listeners on the quorum's host for this node, its controller port from the quorum) and returns
   * once the quorum has elected a leader and this broker has caught up with the metadata, i.e. once enough of the other
   * nodes run too.
   */
  public static EmbeddedKafkaBroker start(int port, Path dataDir, Map<String, String> overrides,
                                          SaslSslListener saslSsl, KraftQuorum quorum) {
    long startNanos = System.nanoTime();
    boolean temporary = dataDir == null;
    Path dir;
    try {
      dir = temporary ? Files.createTempDirectory("imagestream-kafka-") : Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create Kafka data directory " + dataDir, e);
    }
    int brokerPort = port == 0 ? freePort() : port;
    // The controller port must be known up front: it is part of controller.quorum.voters.
    int controllerPort = quorum == null ? freePort() : quorum.controllerPort();
    String host = quorum == null ? HOST : quorum.host();
    int saslSslPort = saslSsl == null ? 0 : freePort();

    KafkaRaftServer server = null;
    try {
      Map<String, String> extra = saslSsl == null ? Map.of() : saslSslProperties(saslSsl);
      Map<String, String> props = brokerProperties(host, brokerPort, controllerPort, saslSslPort, dir, extra);
      if (quorum != null) {
        props.putAll(clusterProperties(quorum));
      }
      if (overrides != null) {
        props.putAll(overrides);
      }
      KafkaConfig config = KafkaConfig.fromProps(asProperties(props));
      String clusterId = quorum == null ? Uuid.randomUuid().toString() : quorum.clusterId();
      formatIfNeeded(config, dir, clusterId, saslSsl == null ? Map.of() : saslSsl.scramUsers());
      server = new KafkaRaftServer(config, Time.SYSTEM);
      server.startup();
    } catch (RuntimeException | Error e) {
      if (server != null) {
        shutdownQuietly(server);
      }
      if (temporary) {
        deleteRecursively(dir);
      }
      throw e;
    }
    log.info("Kafka broker listening on {}:{} (data in {}), started in {} ms",
        host, brokerPort, dir, (System.nanoTime() - startNanos) / 1_000_000);
    return new EmbeddedKafkaBroker(server, host, brokerPort, controllerPort, saslSslPort, dir, temporary);
  }

  /** Security settings of the SASL_SSL listener: SCRAM-SHA-512 over TLS, with the given keystore. */
  private static Map<String, String> saslSslProperties(SaslSslListener saslSsl) {
    String prefix = "listener.name." + SASL_SSL_LISTENER.toLowerCase(Locale.ROOT) + ".";
    Map<String, String> p = new HashMap<>();
    p.put("sasl.enabled.mechanisms", SCRAM_MECHANISM);
    p.put(prefix + SCRAM_MECHANISM.toLowerCase(Locale.ROOT) + ".sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    p.put(prefix + "ssl.keystore.type", "PKCS12");
    p.put(prefix + "ssl.keystore.location", saslSsl.keystore().toAbsolutePath().toString());
    p.put(prefix + "ssl.keystore.password", saslSsl.keystorePassword());
    p.put(prefix + "ssl.key.password", saslSsl.keystorePassword());
    return p;
  }


  private static Map<String, String> brokerProperties(String host, int port, int controllerPort, int saslSslPort,
                                                      Path dir, Map<String, String> extra) {
    Map<String, String> p = new HashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(NODE_ID));
    // A static quorum (kraft.version 0): the voters are read from config, so the controller port may change across
    // restarts on the same data directory. A dynamic quorum would store the endpoint in the metadata log.
    p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
    p.put("controller.listener.names", CONTROLLER_LISTENER);
    // All listeners on one address, 127.0.0.1 unless a quorum names another: the demo broker must not be reachable
    // from the network.
    String saslSsl = saslSslPort == 0 ? "" : "," + SASL_SSL_LISTENER + "://" + host + ":" + saslSslPort;
    p.put("listeners", "PLAINTEXT://" + host + ":" + port + "," + CONTROLLER_LISTENER + "://" + host + ":" + controllerPort
        + saslSsl);
    p.put("advertised.listeners", "PLAINTEXT://" + host + ":" + port + saslSsl);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT"
        + (saslSslPort == 0 ? "" : "," + SASL_SSL_LISTENER + ":SASL_SSL"));
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", dir.toAbsolutePath().toString());
    // Internal topics default to replication factor 3; with one node they would never be created
    // (consumer groups, exactly-once transactions and share groups would hang).
    p.put("offsets.topic.replication.factor", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    // No point waiting for more group members to join on a single-process setup.
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("message.max.bytes", MAX_BYTES);
    p.put("replica.fetch.max.bytes", MAX_BYTES);
    p.putAll(extra);
    return p;
  }

  /**
   * A node of a multi-node cluster: the quorum's voters, and internal and new topics replicated as the cluster allows
   * (three nodes or more: replication 3 with min.insync.replicas 2, so one broker may be down without stopping writes
   * with acks=all or exactly-once transactions).
   */
  static Map<String, String> clusterProperties(KraftQuorum quorum) {
    String replicas = String.valueOf(quorum.replicationFactor());
    String minIsr = String.valueOf(quorum.minInSyncReplicas());
    Map<String, String> p = new HashMap<>();
    p.put("node.id", String.valueOf(quorum.nodeId()));
    p.put("controller.quorum.voters", quorum.votersConfig());
    p.put("default.replication.factor", replicas);
    p.put("min.insync.replicas", minIsr);
    p.put("offsets.topic.replication.factor", replicas);
    p.put("transaction.state.log.replication.factor", replicas);
    p.put("transaction.state.log.min.isr", minIsr);
    p.put("share.coordinator.state.topic.replication.factor", replicas);
    p.put("share.coordinator.state.topic.min.isr", minIsr);
    return p;
  }

  private static Properties asProperties(Map<String, String> map) {
    Properties props = new Properties();
    props.putAll(map);
    return props;
  }

  /** What `kafka-storage format` does; skipped when the directory already holds a formatted node. */
  private static void formatIfNeeded(KafkaConfig config, Path dir, String clusterId, Map<String, String> scramUsers) {
    if (Files.exists(dir.resolve("meta.properties"))) {
      log.debug("Kafka data directory {} is already formatted", dir);
      return;
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      Formatter formatter = new Formatter()
          .setPrintStream(out) // the Formatter prints to stdout by default
          .setNodeId(config.nodeId())
          .setClusterId(clusterId)
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setMetadataLogDirectory(config.metadataLogDir());
      if (!scramUsers.isEmpty()) {
        List<String> scram = new java.util.ArrayList<>();
        scramUsers.forEach((user, password) ->
            scram.add(SCRAM_MECHANISM + "=[name=" + user + ",password=\"" + password + "\"]"));
        formatter.setScramArguments(scram);
      }
      config.logDirs().forEach(formatter::addDirectory);
      formatter.run();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("Cannot format Kafka storage in " + dir, e);
    }
    log.debug("Formatted Kafka storage: {}", output.toString(StandardCharsets.UTF_8).strip());
  }

  /** A port free right now; another process could take it before Kafka binds it, and start() would then fail. */
  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("No free port on " + HOST, e);
    }
  }

  /** "127.0.0.1:PORT" */
  public String bootstrapServers() {
    return host + ":" + port;
  }

  public int port() {
    return port;
  }

  /** "127.0.0.1:PORT" of the SASL_SSL listener. */
  public String saslSslBootstrapServers() {
    if (saslSslPort == 0) {
      throw new IllegalStateException("this broker was started without a SASL_SSL listener");
    }
    return host + ":" + saslSslPort;
  }

  /** The KRaft controller's port (tests check that it is bound to 127.0.0.1 too). */
  int controllerPort() {
    return controllerPort;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Shuts the broker down cleanly and waits for it; a temporary data directory is deleted. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long startNanos = System.nanoTime();
    shutdownQuietly(server);
    if (deleteOnClose) {
      deleteRecursively(dataDir);
    }
    log.info("Kafka broker on {}:{} stopped in {} ms", host, port, (System.nanoTime() - startNanos) / 1_000_000);
  }

  private static void shutdownQuietly(KafkaRaftServer server) {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      log.warn("Error while shutting down the Kafka broker", e);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      log.warn("Could not delete {}", dir, e);
    }
  }
}
