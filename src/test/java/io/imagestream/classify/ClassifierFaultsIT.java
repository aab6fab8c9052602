package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.EmbeddedKafkaBroker;
import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.testing.ChildJvm;
import io.imagestream.testing.SteadyLoad;
import io.imagestream.testing.TopicReader;
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
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults under continuous load, on a broker of the test's own: the classifier process is killed with SIGKILL five
 * times at seeded random moments and restarted, a new model version is published in the middle, then the broker
 * itself is restarted (same port, same data). Read with read_committed, every input id appears exactly once across
 * predictions and the dead-letter topic, and the predictions per partition go from v1 to v2 and never back.
 *
 * <p>{@code -Dfaults.guarantee=at_least_once} runs the classifier without exactly-once: the test then fails with
 * duplicates (checked when the test was written), which shows it can see them.
 */
class ClassifierFaultsIT {
  private static final int KILLS = 5;
  private static final int IMAGES_PER_SECOND = 200;
  private static final Duration MOVE_TIMEOUT = Duration.ofSeconds(120);

  @TempDir
  Path dir;

  @Test
  void killsAModelSwapAndABrokerRestartLoseAndDuplicateNothing() throws Exception {
    Path dataDir = dir.resolve("kafka");
    EmbeddedKafkaBroker broker = KafkaTestCluster.startDedicated(dataDir);
    String bootstrap = broker.bootstrapServers();
    String images = "images";
    String predictions = "predictions";
    String dlq = "images-dlq";
    String models = "models";
    List<String> outputs = List.of(predictions, dlq);
    SteadyLoad load = null;
    Process classifier = null;
    int started = 0;
    try {
      for (String topic : List.of(images, predictions, dlq)) {
        KafkaTestCluster.createTopics(bootstrap, new TopicSpec(topic, 3, (short) 1, Map.of()));
      }
      KafkaTestCluster.createTopics(bootstrap, new TopicSpec(models, 1, (short) 1,
          Map.of("cleanup.policy", "compact", "max.message.bytes", "1048588")));
      publish(bootstrap, models, 1); // the classifier starts from the newest valid model on the topic
      Path config = writeConfig(images, predictions, dlq, models);

      load = new SteadyLoad(bootstrap, images, IMAGES_PER_SECOND, 7);
      Random random = new Random(11);
      classifier = ChildJvm.start(dir.resolve("classifier-" + started++ + ".log"), "classify", "--bootstrap-servers",
          bootstrap, "--config", config.toString(), "--metrics-port", "0");
      // v1 must have classified on every partition before the swap for "v1, then v2" to be checkable per partition
      // (with several stream threads a partition can move between them at start and lag behind for a while).
      Awaitility.await().atMost(MOVE_TIMEOUT).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
          .until(() -> TopicReader.committedEnds(bootstrap, List.of(predictions)).values().stream()
              .allMatch(end -> end > 0));
      for (int kill = 1; kill <= KILLS; kill++) {
        // A seeded random moment: after 100..700 more committed outputs, i.e. some 0.5..3.5 s into steady work.
        awaitMoved(bootstrap, outputs, 100 + random.nextInt(600), classifier, dir.resolve("classifier-" + (started - 1) + ".log"));
        ChildJvm.kill(classifier);
        if (kill == 3) {
          publish(bootstrap, models, 2); // while no classifier runs: the next one starts on v2
        }
        classifier = ChildJvm.start(dir.resolve("classifier-" + started++ + ".log"), "classify",
            "--bootstrap-servers", bootstrap, "--config", config.toString(), "--metrics-port", "0");
      }
      Path lastLog = dir.resolve("classifier-" + (started - 1) + ".log");
      awaitMoved(bootstrap, outputs, 300, classifier, lastLog);

      int port = broker.port();
      broker.close(); // clean shutdown; the classifier and the producer wait for it to come back
      broker = KafkaTestCluster.startDedicated(dataDir, port);
      awaitMoved(bootstrap, outputs, 500, classifier, lastLog);

      load.close();
      assertEquals(0, load.failed(), "every send was acknowledged: " + load.firstFailure());
      Set<String> sent = load.acked();
      assertTrue(sent.size() > 5_000, "a steady load throughout: " + sent.size());
      List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readAtLeast(bootstrap, outputs, sent.size(),
          Duration.ofSeconds(180));

      Map<String, Integer> seen = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> record : out) {
        seen.merge(new String(record.key(), StandardCharsets.UTF_8), 1, Integer::sum);
      }
      System.out.printf("ClassifierFaultsIT: %d images sent, %d outputs (%d dead letters), %d classifier starts%n",
          sent.size(), out.size(), out.stream().filter(r -> r.topic().equals(dlq)).count(), started);
      List<String> duplicated = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
          .sorted().limit(10).toList();
      assertEquals(List.of(), duplicated, "no input may have two outputs");
      Set<String> lost = new HashSet<>(sent);
      lost.removeAll(seen.keySet());
      assertEquals(Set.of(), lost.size() > 10 ? Set.of(lost.size() + " inputs") : lost,
          "every input has an output; last log: " + ChildJvm.tail(lastLog));
      assertEquals(sent, seen.keySet(), "no output without an input");
      assertEquals(sent.size(), out.size());

      // Per input partition, in input order: v1 then v2, never back; the later predictions name v2.
      Map<Integer, TreeMap<Long, Long>> versions = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> record : out) {
        if (record.topic().equals(predictions)) {
          Prediction p = Prediction.fromJson(record.value());
          versions.computeIfAbsent(p.source().partition(), k -> new TreeMap<>()).put(p.source().offset(),
              p.model().version());
        }
      }
      assertEquals(3, versions.size(), "predictions from every partition");
      for (Map.Entry<Integer, TreeMap<Long, Long>> partition : versions.entrySet()) {
        List<Long> sequence = new ArrayList<>(partition.getValue().values());
        for (int i = 1; i < sequence.size(); i++) {
          assertTrue(sequence.get(i) >= sequence.get(i - 1), "partition " + partition.getKey()
              + ": never back to an older model");
        }
        assertEquals(1L, sequence.get(0), "partition " + partition.getKey() + " starts on v1");
        assertEquals(2L, sequence.get(sequence.size() - 1), "partition " + partition.getKey() + " ends on v2");
      }
    } finally {
      ChildJvm.kill(classifier);
      if (load != null) {
        load.abort(); // no-op after close(); on a failure it must not wait for a broker that may be down
      }
      broker.close();
    }
  }

  private Path writeConfig(String images, String predictions, String dlq, String models) throws Exception {
    Files.createDirectories(dir.resolve("no-topics"));
    List<String> lines = new ArrayList<>(List.of(
        ImagestreamConfig.TOPIC_IMAGES + "=" + images,
        ImagestreamConfig.TOPIC_PREDICTIONS + "=" + predictions,
        ImagestreamConfig.TOPIC_DLQ + "=" + dlq,
        ImagestreamConfig.TOPIC_MODELS + "=" + models,
        ImagestreamConfig.MODEL_NAME + "=dark-light",
        ImagestreamConfig.APPLICATION_ID + "=faults-classifier",
        ImagestreamConfig.TOPICS_DIR + "=" + dir.resolve("no-topics"), // the test created the topics
        ImagestreamConfig.BATCH_SIZE + "=16",
        ImagestreamConfig.BATCH_MAX_WAIT_MS + "=20"));
    String guarantee = System.getProperty("faults.guarantee");
    if (guarantee != null) {
      lines.add("processing.guarantee=" + guarantee);
    }
    Path config = dir.resolve("classifier.properties");
    Files.writeString(config, String.join("\n", lines) + "\n");
    return config;
  }

  private static void publish(String bootstrap, String models, long version) throws Exception {
    try (ModelsTopic.Publisher publisher = new ModelsTopic.Publisher(
        ImagestreamConfig.of(Map.of(ImagestreamConfig.BOOTSTRAP_SERVERS, bootstrap)).clientProperties(), models,
        "faults-test-publisher")) {
      publisher.publish(HotSwapIT.version(version));
    }
  }

  /** Waits until at least {@code count} more committed outputs exist than now (the classifier is working). */
  private static void awaitMoved(String bootstrap, List<String> outputs, int count, Process classifier, Path log) {
    long from = TopicReader.committedEnd(bootstrap, outputs);
    Awaitility.await().atMost(MOVE_TIMEOUT).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
        .failFast("the classifier exited; log: " + ChildJvm.tail(log), () -> !classifier.isAlive())
        .until(() -> TopicReader.committedEnd(bootstrap, outputs) >= from + count);
  }
}
