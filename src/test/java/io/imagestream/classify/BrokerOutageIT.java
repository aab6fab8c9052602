package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.EmbeddedKafkaBroker;
import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.testing.ChildJvm;
import io.imagestream.testing.SteadyLoad;
import io.imagestream.testing.TestModels;
import io.imagestream.testing.TopicReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker goes away for 30 s under the classifier: /health turns 503 while it cannot process, the same process
 * resumes by itself when the broker is back (no restart, no crash loop), /health is 200 again, and every image sent
 * before, during and after the outage has exactly one output.
 */
class BrokerOutageIT {
  private static final Duration OUTAGE = Duration.ofSeconds(30);
  private static final Pattern METRICS_URL = Pattern.compile("metrics on http://([0-9.]+):(\\d+)/metrics");

  @TempDir
  Path dir;

  @Test
  void theClassifierReportsTheOutageAndResumesByItselfWithNothingLostOrDuplicated() throws Exception {
    Path dataDir = dir.resolve("kafka");
    EmbeddedKafkaBroker broker = KafkaTestCluster.startDedicated(dataDir);
    String bootstrap = broker.bootstrapServers();
    List<String> outputs = List.of("predictions", "images-dlq");
    Path log = dir.resolve("classifier.log");
    Process classifier = null;
    SteadyLoad load = null;
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    try {
      for (String topic : List.of("images", "predictions", "images-dlq")) {
        KafkaTestCluster.createTopics(bootstrap, new TopicSpec(topic, 3, (short) 1, Map.of()));
      }
      KafkaTestCluster.createTopics(bootstrap, new TopicSpec("models", 1, (short) 1, Map.of("cleanup.policy",
          "compact")));
      Path model = dir.resolve("model.zip");
      Files.write(model, TestModels.darkLightArtifact());
      Files.createDirectories(dir.resolve("no-topics"));
      Path config = dir.resolve("classifier.properties");
      Files.writeString(config, String.join("\n",
          ImagestreamConfig.TOPIC_IMAGES + "=images",
          ImagestreamConfig.TOPIC_PREDICTIONS + "=predictions",
          ImagestreamConfig.TOPIC_DLQ + "=images-dlq",
          ImagestreamConfig.TOPIC_MODELS + "=models",
          ImagestreamConfig.APPLICATION_ID + "=outage-classifier",
          ImagestreamConfig.TOPICS_DIR + "=" + dir.resolve("no-topics"), // the test created the topics
          ImagestreamConfig.BATCH_SIZE + "=16",
          ImagestreamConfig.BATCH_MAX_WAIT_MS + "=20", ""));
      classifier = ChildJvm.start(log, "classify", "--bootstrap-servers", bootstrap, "--config", config.toString(),
          "--model", model.toString(), "--metrics-port", "0");
      Process child = classifier;
      URI health = Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
          .failFast("the classifier exited: " + ChildJvm.tail(log), () -> !child.isAlive())
          .until(() -> healthUri(log), uri -> uri != null);
      Awaitility.await("/health 200 once running").atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(200)).until(() -> status(http, health) == 200);

      load = new SteadyLoad(bootstrap, "images", 100, 5);
      awaitMoved(bootstrap, outputs, 300, classifier, log);

      int port = broker.port();
      long down = System.nanoTime();
      broker.close();
      Awaitility.await("/health 503 while the broker is away").atMost(Duration.ofSeconds(25))
          .pollInterval(Duration.ofMillis(200)).until(() -> status(http, health) == 503);
      long reportedAfterMs = (System.nanoTime() - down) / 1_000_000;
      // The fault itself: the broker stays away for the whole outage (a timed wait, not a synchronisation).
      Thread.sleep(Math.max(0, OUTAGE.toMillis() - (System.nanoTime() - down) / 1_000_000));
      assertTrue(classifier.isAlive(), "the classifier survives the outage: " + ChildJvm.tail(log));
      assertEquals(503, status(http, health), "still 503 at the end of the outage");

      broker = KafkaTestCluster.startDedicated(dataDir, port);
      long up = System.nanoTime();
      Awaitility.await("/health 200 after the broker is back").atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(200)).until(() -> status(http, health) == 200);
      long recoveredAfterMs = (System.nanoTime() - up) / 1_000_000;
      awaitMoved(bootstrap, outputs, 300, classifier, log);
      System.out.printf("BrokerOutageIT: /health 503 %d ms after the broker stopped, 200 again %d ms after it "
          + "restarted%n", reportedAfterMs, recoveredAfterMs);

      load.close();
      assertEquals(0, load.failed(), "every send was acknowledged: " + load.firstFailure());
      Set<String> sent = load.acked();
      List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readAtLeast(bootstrap, outputs, sent.size(),
          Duration.ofSeconds(120));
      Map<String, Integer> seen = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> record : out) {
        seen.merge(new String(record.key(), StandardCharsets.UTF_8), 1, Integer::sum);
      }
      assertEquals(List.of(), seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
          .sorted().limit(10).toList(), "no input may have two outputs");
      Set<String> lost = new HashSet<>(sent);
      lost.removeAll(seen.keySet());
      assertEquals(Set.of(), lost.size() > 10 ? Set.of(lost.size() + " inputs") : lost, "every input has an output");
      assertEquals(sent, seen.keySet());
      assertEquals(sent.size(), out.size());

      assertTrue(classifier.isAlive(), "the same process classified throughout");
      String text = Files.readString(log);
      assertEquals(1, text.split("classifying images -> predictions", -1).length - 1, "started once: " + text);
      assertTrue(!text.contains("replacing it"), "no stream thread died: " + ChildJvm.tail(log));
    } finally {
      ChildJvm.kill(classifier);
      if (load != null) {
        load.abort(); // no-op after close(); on a failure it must not wait for a broker that may be down
      }
      broker.close();
    }
  }

  private static URI healthUri(Path log) throws Exception {
    Matcher m = METRICS_URL.matcher(Files.readString(log));
    return m.find() ? URI.create("http://" + m.group(1) + ":" + m.group(2) + "/health") : null;
  }

  private static int status(HttpClient http, URI uri) {
    try {
      return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private static void awaitMoved(String bootstrap, List<String> outputs, int count, Process classifier, Path log) {
    long from = TopicReader.committedEnd(bootstrap, outputs);
    Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
        .failFast("the classifier exited; log: " + ChildJvm.tail(log), () -> !classifier.isAlive())
        .until(() -> TopicReader.committedEnd(bootstrap, outputs) >= from + count);
  }
}
