package io.imagestream.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopicDefinitionsTest {
  /** Tests run with the project root as working directory. */
  private static final Path TOPICS = Path.of("topics");
  private static final String MiB16 = "16777216";

  @Test
  void projectTopicsDirectoryHoldsTheSixTopics() {
    SortedMap<String, TopicSpec> specs = TopicDefinitions.load(TOPICS);

    assertEquals(List.of("images", "images-dlq", "labelled-images", "models", "predictions", "to-label"), List.copyOf(specs.keySet()));
    assertEquals(new TopicSpec("images", 6, (short) 1,
        Map.of("max.message.bytes", MiB16, "retention.ms", "604800000")), specs.get("images"));
    assertEquals(new TopicSpec("predictions", 6, (short) 1,
        Map.of("max.message.bytes", "1048576")), specs.get("predictions"));
    assertEquals(new TopicSpec("images-dlq", 6, (short) 1,
        Map.of("max.message.bytes", MiB16, "retention.ms", String.valueOf(30L * 24 * 60 * 60 * 1000))),
        specs.get("images-dlq"));
    assertEquals(new TopicSpec("labelled-images", 3, (short) 1,
        Map.of("max.message.bytes", MiB16, "retention.ms", "-1")), specs.get("labelled-images"));
    assertEquals(new TopicSpec("models", 1, (short) 1, Map.of("cleanup.policy", "compact",
        "max.message.bytes", "1048588", "retention.ms", "-1", "min.compaction.lag.ms", "604800000")), specs.get("models"));
    assertEquals(new TopicSpec("to-label", 3, (short) 1,
        Map.of("max.message.bytes", MiB16, "retention.ms", "604800000")), specs.get("to-label"));
  }

  @Test
  void bundledDefinitionsAreTheProjectDirectory() {
    // Also catches a topics/index.txt that forgot a file.
    assertEquals(TopicDefinitions.load(TOPICS), TopicDefinitions.bundled());
  }

  @Test
  void missingNameIsReportedWithFileAndKey(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("nameless.properties"), "partitions=3\nreplication.factor=1\n");
    assertRejected(dir, "nameless.properties", "'name'");
  }

  @Test
  void nonNumericPartitionsAreReportedWithFileAndKey(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("bad.properties"), "name=bad\npartitions=abc\nreplication.factor=1\n");
    assertRejected(dir, "bad.properties", "'partitions'", "abc");
  }

  @Test
  void zeroReplicationFactorIsRejected(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("rf.properties"), "name=rf\npartitions=1\nreplication.factor=0\n");
    assertRejected(dir, "rf.properties", "'replication.factor'");
  }

  @Test
  void topicConfigWithoutPrefixIsRejected(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("typo.properties"), "name=typo\npartitions=1\nreplication.factor=1\nretention.ms=5\n");
    assertRejected(dir, "typo.properties", "'retention.ms'");
  }

  @Test
  void onlyPropertiesFilesAreRead(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("a.properties"), "name=a\npartitions=2\nreplication.factor=1\nconfig.retention.ms=5\n");
    Files.writeString(dir.resolve("index.txt"), "a\n");
    assertEquals(Map.of("a", new TopicSpec("a", 2, (short) 1, Map.of("retention.ms", "5"))), TopicDefinitions.load(dir));
  }

  private static void assertRejected(Path dir, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TopicDefinitions.load(dir));
    for (String fragment : fragments) {
      assertTrue(e.getMessage().contains(fragment), () -> "'" + fragment + "' missing from: " + e.getMessage());
    }
  }
}
