package io.imagestream.kafka;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * One Kafka broker shared by all tests of a JVM, started on first use and stopped by a shutdown hook:
 * a Testcontainers broker when a Docker engine is available, otherwise {@link EmbeddedKafkaBroker}.
 * Tests share it, so they must use their own topics ({@link #uniqueTopic}) and consumer groups.
 */
public final class KafkaTestCluster {
  private static final Logger log = LoggerFactory.getLogger(KafkaTestCluster.class);
  private static final String KAFKA_IMAGE = "apache/kafka:4.3.1";
  private static final String MAX_BYTES = String.valueOf(64 * 1024 * 1024);
  private static final String DOCKER_DISCOVERY_LOG_LEVEL = "org.slf4j.simpleLogger.log.org.testcontainers.dockerclient";

  private KafkaTestCluster() {
  }

  private static String sharedBootstrapServers; // guarded by KafkaTestCluster.class

  private static String startShared() {
    long start = System.nanoTime();
    String bootstrap;
    if (dockerAvailable()) {
      KafkaContainer container = new KafkaContainer(KAFKA_IMAGE)
          // same size limits as the embedded broker (the image's other defaults already suit one node)
          .withEnv("KAFKA_MESSAGE_MAX_BYTES", MAX_BYTES)
          .withEnv("KAFKA_REPLICA_FETCH_MAX_BYTES", MAX_BYTES)
          .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
          .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1");
      container.start();
      Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "kafka-test-container-stop"));
      bootstrap = container.getBootstrapServers();
      log.info("Test Kafka: container {} at {}", KAFKA_IMAGE, bootstrap);
    } else {
      EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null, Map.of());
      Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "kafka-test-broker-stop"));
      bootstrap = broker.bootstrapServers();
      log.info("Test Kafka: embedded broker at {} (no Docker engine)", bootstrap);
    }
    log.info("Test Kafka ready in {} ms", (System.nanoTime() - start) / 1_000_000);
    return bootstrap;
  }

  /** Any failure (no socket, no permission, missing classes) means "no Docker". */
  private static boolean dockerAvailable() {
    // Without Docker, Testcontainers logs an ERROR with every strategy it tried; here that is an expected outcome
    // (we log the fallback ourselves). -Dorg.slf4j.simpleLogger.log.org.testcontainers.dockerclient=info shows it.
    if (System.getProperty(DOCKER_DISCOVERY_LOG_LEVEL) == null) {
      System.setProperty(DOCKER_DISCOVERY_LOG_LEVEL, "off");
    }
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable t) {
      return false;
    }
  }

  /** The shared broker's bootstrap servers; the first call starts it. */
  public static synchronized String bootstrapServers() {
    if (sharedBootstrapServers == null) {
      sharedBootstrapServers = startShared();
    }
    return sharedBootstrapServers;
  }

  /** A new Admin client on the shared broker; the caller closes it. */
  public static Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
  }

  /** A topic name no other test uses, e.g. "images-3f2a9c1e". */
  public static String uniqueTopic(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Creates the topics on the shared broker and waits until they accept writes. */
  public static void createTopics(TopicSpec... specs) {
    try (Admin admin = admin()) {
      new TopicInitializer(admin).ensure(List.of(specs), Duration.ofSeconds(30));
    }
  }

  /**
   * A broker of the caller's own, always embedded, on {@code dataDir} (kept across restarts; null = temporary), for
   * tests that stop and restart a broker. The caller closes it.
   */
  public static EmbeddedKafkaBroker startDedicated(Path dataDir) {
    return startDedicated(dataDir, 0);
  }

  /**
   * A dedicated broker on a given port (0 picks one): restarting a closed broker with its {@code port()} and
   * {@code dataDir()} gives clients the same address and the same topics, so they reconnect as after an outage.
   */
  public static EmbeddedKafkaBroker startDedicated(Path dataDir, int port) {
    return EmbeddedKafkaBroker.start(port, dataDir, Map.of());
  }

  /** A new Admin client on the given broker; the caller closes it. */
  public static Admin admin(String bootstrapServers) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  /** Creates the topics on the given broker and waits until they accept writes. */
  public static void createTopics(String bootstrapServers, TopicSpec... specs) {
    try (Admin admin = admin(bootstrapServers)) {
      new TopicInitializer(admin).ensure(List.of(specs), Duration.ofSeconds(30));
    }
  }
}
