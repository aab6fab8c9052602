package io.imagestream.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.imagestream.config.ImagestreamConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** imagestream.topics.replication.factor over the definitions (what 'topics --replication-factor N' sets). */
class ProjectTopicsTest {

  @Test
  void withoutTheSettingTheDefinitionsKeepTheirFactor() {
    List<TopicSpec> specs = ProjectTopics.specs(ImagestreamConfig.defaults());
    assertEquals(6, specs.size());
    specs.forEach(spec -> assertEquals(1, spec.replicationFactor(), spec.name()));
    specs.forEach(spec -> assertFalse(spec.configs().containsKey("min.insync.replicas"), spec.name()));
  }

  @Test
  void threeReplicasComeWithTwoInSyncOnEveryTopic() {
    List<TopicSpec> specs = ProjectTopics.specs(ImagestreamConfig.of(Map.of(
        ImagestreamConfig.TOPICS_REPLICATION_FACTOR, "3")));
    assertEquals(6, specs.size());
    for (TopicSpec spec : specs) {
      assertEquals(3, spec.replicationFactor(), spec.name());
      assertEquals("2", spec.configs().get("min.insync.replicas"), spec.name());
    }
    TopicSpec models = specs.stream().filter(s -> s.name().equals("models")).findFirst().orElseThrow();
    assertEquals("compact", models.configs().get("cleanup.policy"), "the definitions' own configs stay");
  }

  @Test
  void twoReplicasKeepTheBrokersMinInSync() {
    for (TopicSpec spec : ProjectTopics.specs(ImagestreamConfig.of(Map.of(
        ImagestreamConfig.TOPICS_REPLICATION_FACTOR, "2")))) {
      assertEquals(2, spec.replicationFactor(), spec.name());
      assertFalse(spec.configs().containsKey("min.insync.replicas"), spec.name());
    }
  }

  @Test
  void aDefinitionsOwnMinInSyncWins() {
    TopicSpec spec = new TopicSpec("t", 1, (short) 1, Map.of("min.insync.replicas", "3"));
    assertEquals("3", ProjectTopics.withReplicationFactor(spec, 5).configs().get("min.insync.replicas"));
  }
}
