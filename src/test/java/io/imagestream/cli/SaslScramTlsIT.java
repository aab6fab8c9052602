package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.classify.ClassifierService;
import io.imagestream.classify.Prediction;
import io.imagestream.classify.ServingModel;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.EmbeddedKafkaBroker;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.testing.TestModels;
import io.imagestream.testing.TestTls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands and the classifier against a broker that only lets clients in over SASL_SSL with SCRAM-SHA-512: the
 * security settings of the --config file are all they get. Wrong credentials or an untrusted certificate fail fast, in
 * one line.
 */
class SaslScramTlsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String STORE_PASSWORD = "store-secret";
  private static final String ALICE_PASSWORD = "alice-secret";
  /** Kafka clients give up on an unreachable broker after 60 s; an authentication failure must be much faster. */
  private static final Duration FAST = Duration.ofSeconds(20);

  @TempDir
  static Path dir;
  static EmbeddedKafkaBroker broker;
  static Path truststore;

  @BeforeAll
  static void startBroker() throws Exception {
    Path keystore = dir.resolve("broker.p12");
    truststore = dir.resolve("truststore.p12");
    TestTls.selfSigned(keystore, truststore, STORE_PASSWORD);
    broker = EmbeddedKafkaBroker.start(0, null, Map.of(),
        new EmbeddedKafkaBroker.SaslSslListener(keystore, STORE_PASSWORD, Map.of("alice", ALICE_PASSWORD)));
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void topicsPublishTailAndTheClassifierWorkOverSaslScramTls() throws Exception {
    String name = "sasl-" + UUID.randomUUID().toString().substring(0, 8);
    Path config = clientConfig(name, ALICE_PASSWORD, truststore, String.join("\n",
        "imagestream.topic.images=" + name + "-images",
        "imagestream.topic.predictions=" + name + "-predictions",
        "imagestream.topic.dlq=" + name + "-dlq",
        "imagestream.topic.labelled=" + name + "-labelled",
        "imagestream.topic.models=" + name + "-models",
        "imagestream.classifier.application.id=" + name + "-app",
        "imagestream.batch.max.wait.ms=20"));

    CliTest.Run topics = CliTest.run(args("topics", config));
    assertEquals(0, topics.exitCode(), topics.toString());
    for (String topic : List.of("images", "predictions", "dlq", "labelled", "models")) {
      assertTrue(topics.outLines().contains("created   " + name + "-" + topic), topic + ": " + topics);
    }

    Path images = dir.resolve(name);
    Map<String, String> truth = new HashMap<>();
    Random random = new Random(3);
    for (int i = 0; i < 6; i++) {
      String label = i % 2 == 0 ? "dark" : "light";
      String file = label + "-" + i + ".png";
      truth.put(file, label);
      Files.createDirectories(images);
      Files.write(images.resolve(file), TestImages.solid("png", 24, 20, TestModels.colourOf(label, random)));
    }
    CliTest.Run publish = CliTest.run(args("publish", config, images.toString()));
    assertEquals(0, publish.exitCode(), publish.toString());
    assertTrue(publish.out().contains("published 6 images to " + name + "-images"), publish.toString());

    CliTest.Run tailImages = CliTest.run(args("tail", config, "--topic", name + "-images", "--from-beginning",
        "--max", "6", "--timeout-ms", "30000"));
    assertEquals(0, tailImages.exitCode(), tailImages.toString());
    Set<String> keys = new HashSet<>();
    for (String line : tailImages.outLines()) {
      keys.add(JSON.readTree(line).get("key").asText());
    }
    assertEquals(truth.keySet(), keys, tailImages.toString());

    ImagestreamConfig serviceConfig = ImagestreamConfig.load(config, Map.of(),
        Map.of(ImagestreamConfig.BOOTSTRAP_SERVERS, broker.saslSslBootstrapServers()));
    assertEquals("SASL_SSL", serviceConfig.clientProperties().get("security.protocol"));
    try (ClassifierService classifier = new ClassifierService(serviceConfig, new ServingModel(TestModels.darkLight()),
        ClassifierMetrics.discarding())) {
      classifier.start();
      // tail's default topic is the predictions topic; it stops after 6 predictions (or 2 minutes without any)
      CliTest.Run tailPredictions = CliTest.run(args("tail", config, "--from-beginning", "--max", "6",
          "--timeout-ms", "120000"));
      assertEquals(0, tailPredictions.exitCode(), tailPredictions.toString());
      Map<String, String> predicted = new HashMap<>();
      for (String line : tailPredictions.outLines()) {
        Prediction prediction = Prediction.fromJson(line.getBytes(StandardCharsets.UTF_8));
        predicted.put(prediction.id(), prediction.label());
      }
      assertEquals(truth, predicted, tailPredictions.toString());
    }
  }

  @Test
  void aWrongPasswordFailsFastInOneLineThatSaysAuthentication() throws Exception {
    Path config = clientConfig("wrong-password", "not-" + ALICE_PASSWORD, truststore, "");
    Path image = Files.write(dir.resolve("wrong-password.png"), TestImages.solid("png", 8, 8, java.awt.Color.RED));

    assertFailsFastInOneLine(args("topics", config), "Authentication failed", "SCRAM-SHA-512");
    assertFailsFastInOneLine(args("publish", config, "--topic", "anything", image.toString()),
        "Authentication failed", "SCRAM-SHA-512");
    assertFailsFastInOneLine(args("tail", config, "--topic", "anything", "--max", "1"),
        "Authentication failed", "SCRAM-SHA-512");
  }

  @Test
  void aTruststoreWithoutTheBrokersCertificateFailsFastInOneLine() throws Exception {
    Path otherKeystore = dir.resolve("other.p12");
    Path otherTruststore = dir.resolve("other-truststore.p12");
    // a different key pair: the broker's certificate is not trusted
    TestTls.selfSigned(otherKeystore, otherTruststore, STORE_PASSWORD);
    Path config = clientConfig("wrong-truststore", ALICE_PASSWORD, otherTruststore, "");

    assertFailsFastInOneLine(args("topics", config), "SSL handshake failed");
  }

  /** Exit code 3, a single line on stderr naming the failure and the settings to check, no stack trace. */
  private static void assertFailsFastInOneLine(String[] args, String... expected) {
    long start = System.nanoTime();
    CliTest.Run run = CliTest.run(args);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    String command = args[0];
    assertEquals(3, run.exitCode(), command + ": " + run);
    assertEquals(1, run.errLines().size(), command + ": " + run);
    String line = run.err().strip();
    assertTrue(line.startsWith("imagestream " + command + ": cannot authenticate to Kafka at "
        + broker.saslSslBootstrapServers()), command + ": " + run);
    for (String text : expected) {
      assertTrue(line.contains(text), command + ": '" + text + "' in " + run);
    }
    assertTrue(line.contains("sasl.jaas.config") && line.contains("ssl.truststore"), command + ": " + run);
    assertFalse(run.err().contains("\tat "), "no stack trace: " + run);
    assertTrue(took.compareTo(FAST) < 0, command + " took " + took + ": " + run);
  }

  /** The command with --config and --bootstrap-servers (the SASL_SSL listener), then the rest. */
  private static String[] args(String command, Path config, String... rest) {
    List<String> all = new ArrayList<>(List.of(command, "--config", config.toString(),
        "--bootstrap-servers", broker.saslSslBootstrapServers()));
    all.addAll(List.of(rest));
    return all.toArray(String[]::new);
  }

  /** A --config file as docs/operations.md shows it: SASL_SSL, SCRAM-SHA-512, a PKCS12 truststore; then {@code extra}. */
  private static Path clientConfig(String name, String password, Path trusted, String extra) throws IOException {
    return Files.writeString(dir.resolve(name + ".properties"), String.join("\n",
        "security.protocol=SASL_SSL",
        "sasl.mechanism=SCRAM-SHA-512",
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"alice\" "
            + "password=\"" + password + "\";",
        "ssl.truststore.location=" + trusted.toAbsolutePath(),
        "ssl.truststore.password=" + STORE_PASSWORD,
        "ssl.truststore.type=PKCS12",
        extra,
        ""));
  }
}
