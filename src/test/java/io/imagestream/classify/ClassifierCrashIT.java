package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.testing.TestModels;
import io.imagestream.testing.TopicReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the classifier process with SIGKILL in the middle of the stream and starts it again: read with
 * read_committed, every input has exactly one prediction or one dead letter.
 */
class ClassifierCrashIT {
  private static final int INPUTS = 3000;

  @TempDir
  Path dir;

  @Test
  void aKilledClassifierRestartsWithNoLossAndNoDuplicate() throws Exception {
    ClassifierIT.Setup setup = ClassifierIT.Setup.create("crash");
    Path model = dir.resolve("model.zip");
    Files.write(model, TestModels.darkLightArtifact());
    Path config = dir.resolve("classifier.properties");
    Files.writeString(config, String.join("\n",
        ImagestreamConfig.TOPIC_IMAGES + "=" + setup.images(),
        ImagestreamConfig.TOPIC_PREDICTIONS + "=" + setup.predictions(),
        ImagestreamConfig.TOPIC_DLQ + "=" + setup.dlq(),
        ImagestreamConfig.APPLICATION_ID + "=" + setup.config().getString(ImagestreamConfig.APPLICATION_ID),
        ImagestreamConfig.TOPICS_DIR + "=" + dir.resolve("no-topics"), // topics exist already: create none
        ImagestreamConfig.BATCH_SIZE + "=16",
        ImagestreamConfig.BATCH_MAX_WAIT_MS + "=20", ""));
    Files.createDirectories(dir.resolve("no-topics"));

    AtomicBoolean producing = new AtomicBoolean(true);
    Thread producer = new Thread(() -> produce(setup.images(), producing), "crash-test-producer");
    Process first = startClassifier(config, model, dir.resolve("first.log"));
    try {
      producer.start();
      // Kill once outputs are flowing, i.e. in the middle of the stream.
      List<ConsumerRecord<byte[], byte[]>> early = TopicReader.readUntil(List.of(setup.predictions(), setup.dlq()),
          Duration.ofSeconds(90), records -> records.size() >= 300);
      assertTrue(early.size() >= 300, "the classifier produced outputs before the kill; log: "
          + Files.readString(dir.resolve("first.log")));
    } finally {
      first.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no clean close
    }
    Process second = startClassifier(config, model, dir.resolve("second.log"));
    try {
      producer.join(60_000);
      List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readAtLeast(List.of(setup.predictions(), setup.dlq()),
          INPUTS, Duration.ofSeconds(180));
      Map<String, Integer> seen = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> record : out) {
        seen.merge(new String(record.key(), StandardCharsets.UTF_8), 1, Integer::sum);
      }
      long duplicates = seen.values().stream().filter(n -> n > 1).count();
      assertEquals(0, duplicates, "no input may have two outputs");
      assertEquals(INPUTS, seen.size(), "every input has an output; second log: "
          + tail(dir.resolve("second.log")));
      assertEquals(INPUTS, out.size());
    } finally {
      producing.set(false);
      second.destroy();
      second.waitFor();
    }
  }

  /** Sends INPUTS images (every 50th one bad) at a steady pace, so the kill lands while records flow. */
  private static void produce(String topic, AtomicBoolean producing) {
    Random random = new Random(3);
    byte[] dark = TestImages.solid("png", 16, 16, java.awt.Color.BLACK);
    byte[] light = TestImages.solid("png", 16, 16, java.awt.Color.WHITE);
    try (KafkaProducer<byte[], byte[]> producer = ClassifierIT.producer()) {
      long start = System.nanoTime();
      for (int i = 0; i < INPUTS && producing.get(); i++) {
        byte[] value = i % 50 == 0 ? "not an image".getBytes(StandardCharsets.UTF_8)
            : random.nextBoolean() ? dark : light;
        producer.send(new ProducerRecord<>(topic, ("img-" + i).getBytes(StandardCharsets.UTF_8), value));
        long due = start + i * 4_000_000L; // 250 images/s
        long wait = due - System.nanoTime();
        if (wait > 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
      }
    }
  }

  private static Process startClassifier(Path config, Path model, Path log) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
        "io.imagestream.cli.Main", "classify", "--bootstrap-servers", KafkaTestCluster.bootstrapServers(),
        "--config", config.toString(), "--model", model.toString(), "--metrics-port", "0")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private static String tail(Path log) throws IOException {
    String text = Files.readString(log);
    return text.substring(Math.max(0, text.length() - 3000));
  }
}
