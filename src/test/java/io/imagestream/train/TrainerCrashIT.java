package io.imagestream.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.testing.ChildJvm;
import io.imagestream.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code train} command is killed with SIGKILL in the middle of a retraining and started again: it publishes no
 * version twice (versions on the models topic distinct and increasing) and rebuilds its dataset from the labelled
 * topic, so its next candidate is trained on every label.
 */
class TrainerCrashIT {
  private static final int LABELS = 1200;

  @TempDir
  Path dir;

  @Test
  void aTrainerKilledWhileTrainingRebuildsItsDatasetAndPublishesNoVersionTwice() throws Exception {
    TrainerIT.Setup base = TrainerIT.Setup.create("trainer-crash", LABELS); // trains once every label is read
    Path model = dir.resolve("live.zip");
    Files.write(model, TestModels.darkLightArtifact());
    try (ModelsTopic.Publisher publisher = new ModelsTopic.Publisher(base.config().clientProperties(), base.models(),
        "test-" + base.models())) {
      publisher.publish(TestModels.darkLightArtifact()); // v1, the live model
    }
    Files.createDirectories(dir.resolve("no-topics"));
    Map<String, String> values = new HashMap<>(base.config().originalsStrings());
    values.put(ImagestreamConfig.TOPICS_DIR, dir.resolve("no-topics").toString()); // the setup created the topics
    values.put(ImagestreamConfig.MODEL_FILE, model.toString());
    Properties properties = new Properties();
    properties.putAll(values);
    Path config = dir.resolve("trainer.properties");
    try (var out = Files.newBufferedWriter(config)) {
      properties.store(out, null);
    }
    TrainerIT.sendLabelled(base, "img-", LABELS, 8, (id, truth) -> truth);

    Path firstLog = dir.resolve("first.log");
    Process first = null;
    try {
      // Many epochs: it would train for minutes, so the kill lands in the middle of training.
      first = ChildJvm.start(firstLog, "train", "--bootstrap-servers", KafkaTestCluster.bootstrapServers(),
          "--config", config.toString(), "--metrics-port", "0", "--epochs", "200");
      Process child = first;
      Awaitility.await("retraining starts").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
          .failFast("the trainer exited: " + ChildJvm.tail(firstLog), () -> !child.isAlive())
          .until(() -> Files.readString(firstLog).contains("retraining on"));
    } finally {
      ChildJvm.kill(first);
    }
    String firstText = Files.readString(firstLog);
    assertTrue(firstText.contains("retraining on " + LABELS + " labelled images"), firstText);
    assertTrue(!firstText.contains("PUBLISHED") && !firstText.contains("REJECTED"), "killed mid-training: " + firstText);
    assertEquals(List.of(1L), versions(base), "nothing published by the killed trainer");

    Path secondLog = dir.resolve("second.log");
    Process second = null;
    try {
      second = ChildJvm.start(secondLog, "train", "--bootstrap-servers", KafkaTestCluster.bootstrapServers(),
          "--config", config.toString(), "--metrics-port", "0", "--epochs", "2");
      Process child = second;
      Awaitility.await("a verdict after the restart").atMost(Duration.ofSeconds(180))
          .pollInterval(Duration.ofMillis(250))
          .failFast("the trainer exited: " + ChildJvm.tail(secondLog), () -> !child.isAlive())
          .until(() -> Files.readString(secondLog).matches("(?s).*candidate v\\d+ (PUBLISHED|REJECTED).*"));
    } finally {
      ChildJvm.kill(second);
    }
    String secondText = Files.readString(secondLog);
    // Every label is back and new: the killed run published nothing, so none was learned by a live model.
    assertTrue(secondText.contains("retraining on " + LABELS + " labelled images (" + LABELS + " new) as candidate v2"),
        secondText);
    List<Long> versions = versions(base);
    List<Long> sorted = new ArrayList<>(versions);
    sorted.sort(null);
    assertEquals(sorted, versions, "versions increase");
    assertEquals(versions.size(), versions.stream().distinct().count(), "no version twice: " + versions);
    assertEquals(secondText.contains("PUBLISHED") ? List.of(1L, 2L) : List.of(1L), versions);
  }

  private static List<Long> versions(TrainerIT.Setup setup) {
    return TrainerIT.models(setup).stream().map(ModelsTopic.Entry::version).toList();
  }
}
