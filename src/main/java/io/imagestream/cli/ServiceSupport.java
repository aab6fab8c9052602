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

  /** A service's start: {@link #ensureTopics} unless imagestream.topics.ensure is false (an admin manages them). */
  static void ensureServiceTopics(ImagestreamConfig config) {
    if (config.getBoolean(ImagestreamConfig.TOPICS_ENSURE)) {
      ensureTopics(config);
    }
  }

  static TopicInitializer.Report ensureTopics(ImagestreamConfig config) {
    try (Admin admin = Admin.create(adminProperties(config))) {
      return new TopicInitializer(admin).ensure(ProjectTopics.specs(config), Duration.ofSeconds(60));
    } catch (TimeoutException e) {
      throw new Errors.UserException("Kafka at " + config.bootstrapServers() + " did not answer in 60 s; is a broker "
          + "running there? (start one with: java -jar target/imagestream.jar broker)", 3);
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
