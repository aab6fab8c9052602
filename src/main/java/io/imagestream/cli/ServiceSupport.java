package io.imagestream.cli;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.ProjectTopics;
import io.imagestream.kafka.TopicInitializer;
import io.imagestream.model.InvalidModelException;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;

/** What the long-running commands share: topics, the starting model, and waiting for Ctrl-C/SIGTERM. */
final class ServiceSupport {
  static final String BUNDLED_MODEL = "/models/default.zip";

  private ServiceSupport() {}

  /** The embedded broker on 127.0.0.1:port, or a one-line reason why not. */
  static io.imagestream.kafka.EmbeddedKafkaBroker startBroker(int port, Path dataDir) {
    return startBroker(port, dataDir, null);
  }

  /** As {@link #startBroker(int, Path)}; with a quorum, one node of that multi-node cluster on the quorum's host. */
  static io.imagestream.kafka.EmbeddedKafkaBroker startBroker(int port, Path dataDir,
                                                              io.imagestream.kafka.KraftQuorum quorum) {
    String host = quorum == null ? "127.0.0.1" : quorum.host();
    try {
      return io.imagestream.kafka.EmbeddedKafkaBroker.start(port, dataDir, java.util.Map.of(), null, quorum);
    } catch (RuntimeException e) {
      throw new Errors.UserException("cannot start a broker on " + host + ":" + port + " (" + Errors.describe(e)
          + "); is the port taken? try --port", 3);
    }
  }

  /**
   * Fails at once when a port on 127.0.0.1 is taken, before any slow start-up work (a broker, topics, a model) that
   * would end in "Address already in use".
   */
  static void requireFreePort(int port, String option) {
    if (port == 0) {
      return; // any free port
    }
    try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new java.net.InetSocketAddress("127.0.0.1", port));
    } catch (IOException e) {
      throw new Errors.UserException("port " + port + " on 127.0.0.1 is taken (is another broker or demo running?); "
          + "choose another with " + option, 3);
    }
  }

  /** Milliseconds one bootstrap server may take to accept a TCP connection before it counts as unreachable. */
  static final int CONNECT_TIMEOUT_MS = 3_000;

  /**
   * Fails at once, in one line, when no bootstrap server accepts a TCP connection. Kafka's clients would retry for a
   * minute instead, logging a warning per attempt, before a timeout that does not say why.
   */
  static void requireReachable(ImagestreamConfig config) {
    String servers = config.bootstrapServers();
    String problem = null;
    for (String server : servers.split(",")) {
      String address = server.trim();
      int colon = address.lastIndexOf(':');
      if (colon <= 0) {
        return; // not HOST:PORT: Kafka's client names the bad setting itself
      }
      String host = address.substring(0, colon).replace("[", "").replace("]", "");
      try (java.net.Socket socket = new java.net.Socket()) {
        socket.connect(new java.net.InetSocketAddress(host, Integer.parseInt(address.substring(colon + 1))),
            CONNECT_TIMEOUT_MS);
        return;
      } catch (NumberFormatException e) {
        return;
      } catch (java.net.UnknownHostException e) {
        problem = "unknown host " + host;
      } catch (IOException e) {
        problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      }
    }
    throw new Errors.UserException("cannot reach Kafka at " + servers + " (" + problem + "); start a broker with "
        + "'imagestream broker' (java -jar target/imagestream.jar broker), or point --bootstrap-servers at yours", 3);
  }

  /** A service's start: {@link #ensureTopics} unless imagestream.topics.ensure is false (an admin manages them). */
  static void ensureServiceTopics(ImagestreamConfig config) {
    if (config.getBoolean(ImagestreamConfig.TOPICS_ENSURE)) {
      ensureTopics(config);
    } else {
      requireReachable(config); // the one-line answer when no broker is there, topics or not
    }
  }

  static TopicInitializer.Report ensureTopics(ImagestreamConfig config) {
    requireReachable(config);
    try (Admin admin = Admin.create(adminProperties(config))) {
      return new TopicInitializer(admin).ensure(ProjectTopics.specs(config), Duration.ofSeconds(60));
    } catch (TimeoutException e) {
      throw new Errors.UserException("Kafka at " + config.bootstrapServers() + " did not answer in 60 s; is a broker "
          + "running there? (start one with 'imagestream broker')", 3);
    } catch (AuthenticationException e) {
      throw authenticationFailed(config, e);
    } catch (org.apache.kafka.common.errors.AuthorizationException e) {
      throw new Errors.UserException(io.imagestream.kafka.AccessDenied.describe(e, null, null).orElseThrow(), 3);
    }
  }

  /**
   * SASL or TLS refused (wrong password, unknown user, untrusted certificate): Kafka clients do not retry that, so
   * neither do we; one line naming the settings to check.
   */
  static Errors.UserException authenticationFailed(ImagestreamConfig config, AuthenticationException e) {
    return new Errors.UserException("cannot authenticate to Kafka at " + config.bootstrapServers() + ": "
        + Errors.describe(e) + "; check security.protocol, sasl.mechanism, sasl.jaas.config (user name and password) "
        + "and ssl.truststore.* in the --config file", 3);
  }

  /** The Admin client's settings: the passthrough ones (security...) as they are. */
  static java.util.Map<String, Object> adminProperties(ImagestreamConfig config) {
    return config.clientProperties();
  }

  /**
   * The model of the offline commands ({@code predict}, {@code evaluate}): the given file, else the configured one
   * ({@code IMAGESTREAM_MODEL_FILE}) when it exists, else the default model bundled in the jar.
   */
  static LoadedModel offlineModel(Path file) throws IOException, InvalidModelException {
    if (file == null) {
      return loadModel(null, ImagestreamConfig.load(null, System.getenv(), java.util.Map.of()));
    }
    if (!Files.exists(file)) {
      throw new Errors.UserException("no such model file: " + file);
    }
    return ModelArtifact.load(file);
  }

  /** The given file, else the configured one when it exists, else the default model bundled in the jar. */
  static LoadedModel loadModel(Path file, ImagestreamConfig config) {
    try {
      if (file != null) {
        if (!Files.isReadable(file)) {
          throw new Errors.UserException("model file " + file + " does not exist or is not readable");
        }
        return ModelArtifact.load(file);
      }
      Path configured = Path.of(config.getString(ImagestreamConfig.MODEL_FILE));
      if (Files.isReadable(configured)) {
        return ModelArtifact.load(configured);
      }
      try (InputStream in = ServiceSupport.class.getResourceAsStream(BUNDLED_MODEL)) {
        if (in == null) {
          throw new Errors.UserException("no model: " + configured + " does not exist and the jar bundles none; "
              + "train one with 'fit' and pass --model FILE");
        }
        return ModelArtifact.load(in.readAllBytes(), "bundled " + BUNDLED_MODEL);
      }
    } catch (InvalidModelException e) {
      throw new Errors.UserException("cannot serve the model: " + e.getMessage());
    } catch (IOException e) {
      throw new Errors.UserException("cannot read the model: " + e.getMessage());
    }
  }

  /**
   * Blocks until the JVM is asked to stop (Ctrl-C, SIGTERM) or {@code maxDuration} passes (null: no limit), then runs
   * {@code onStop}; a shutdown hook waits for it, so services close cleanly before the JVM exits.
   */
  static void runUntilStopped(Duration maxDuration, Runnable onStop) {
    runUntilStopped(maxDuration, onStop, new java.util.concurrent.CompletableFuture<>());
  }

  /**
   * As {@link #runUntilStopped(Duration, Runnable)}, and also stops when {@code fatal} completes: its one-line reason
   * then becomes the command's error (exit 3) once {@code onStop} ran.
   */
  static void runUntilStopped(Duration maxDuration, Runnable onStop,
                              java.util.concurrent.CompletableFuture<String> fatal) {
    CountDownLatch stopped = new CountDownLatch(1);
    fatal.thenRun(stopped::countDown);
    CountDownLatch cleanedUp = new CountDownLatch(1);
    java.lang.Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopped.countDown();
      try {
        cleanedUp.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "imagestream-shutdown"));
    try {
      if (maxDuration == null) {
        stopped.await();
      } else {
        stopped.await(maxDuration.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        onStop.run();
      } finally {
        cleanedUp.countDown();
      }
    }
    String reason = fatal.getNow(null);
    if (reason != null) {
      throw new Errors.UserException(reason, 3);
    }
  }
}
