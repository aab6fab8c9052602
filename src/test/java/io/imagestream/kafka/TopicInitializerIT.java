package io.imagestream.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.junit.jupiter.api.Test;

class TopicInitializerIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  void createsMissingTopicsWithTheirConfigsAndIsIdempotent() throws Exception {
    TopicSpec a = new TopicSpec(KafkaTestCluster.uniqueTopic("a"), 3, (short) 1, Map.of("retention.ms", "3600000"));
    TopicSpec b = new TopicSpec(KafkaTestCluster.uniqueTopic("b"), 1, (short) 1,
        Map.of("cleanup.policy", "compact", "max.message.bytes", "16777216"));
    try (Admin admin = KafkaTestCluster.admin()) {
      TopicInitializer initializer = new TopicInitializer(admin);

      TopicInitializer.Report first = initializer.ensure(List.of(a, b), TIMEOUT);
      assertEquals(List.of(a.name(), b.name()), first.created());
      assertEquals(List.of(), first.unchanged());
      assertEquals(List.of(), first.differences());

      assertEquals(3, admin.describeTopics(List.of(a.name())).allTopicNames().get().get(a.name()).partitions().size());
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, b.name());
      var config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
      assertEquals("compact", config.get("cleanup.policy").value());
      assertEquals("16777216", config.get("max.message.bytes").value());

      TopicInitializer.Report second = initializer.ensure(List.of(a, b), TIMEOUT);
      assertEquals(List.of(), second.created());
      assertEquals(List.of(a.name(), b.name()), second.unchanged());
      assertEquals(List.of(), second.differences());
    }
  }

  @Test
  void reportsButKeepsAnExistingTopicThatDiffers() throws Exception {
    String name = KafkaTestCluster.uniqueTopic("differs");
    try (Admin admin = KafkaTestCluster.admin()) {
      admin.createTopics(List.of(new NewTopic(name, 1, (short) 1).configs(Map.of("retention.ms", "1000000"))))
          .all().get();
      TopicSpec spec = new TopicSpec(name, 3, (short) 1, Map.of("retention.ms", "604800000", "cleanup.policy", "delete"));

      TopicInitializer.Report report = new TopicInitializer(admin).ensure(List.of(spec), TIMEOUT);

      assertEquals(List.of(), report.created());
      assertEquals(List.of(), report.unchanged());
      assertEquals(2, report.differences().size(), report.differences()::toString);
      assertTrue(report.differences().stream().anyMatch(d -> d.contains(name) && d.contains("partitions")),
          report.differences()::toString);
      assertTrue(report.differences().stream().anyMatch(d -> d.contains("retention.ms=1000000")),
          report.differences()::toString);
      // Nothing was changed on the broker.
      assertEquals(1, admin.describeTopics(List.of(name)).allTopicNames().get().get(name).partitions().size());
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
      assertEquals("1000000", admin.describeConfigs(List.of(resource)).all().get().get(resource)
          .get("retention.ms").value());
    }
  }

  @Test
  void invalidTopicConfigFailsTheCall() {
    TopicSpec spec = new TopicSpec(KafkaTestCluster.uniqueTopic("invalid"), 1, (short) 1,
        Map.of("cleanup.policy", "shred"));
    try (Admin admin = KafkaTestCluster.admin()) {
      assertThrows(InvalidConfigurationException.class, () -> new TopicInitializer(admin).ensure(List.of(spec), TIMEOUT));
    }
  }

  @Test
  void bundledTopicsAreAcceptedByABroker() {
    // A dedicated broker: the real topic names ("images", ...) may be used by other tests on the shared one.
    try (EmbeddedKafkaBroker broker = KafkaTestCluster.startDedicated(null);
         Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      var specs = TopicDefinitions.bundled().values();
      TopicInitializer initializer = new TopicInitializer(admin);

      TopicInitializer.Report first = initializer.ensure(specs, TIMEOUT);
      assertEquals(Set.of("images", "predictions", "images-dlq", "labelled-images", "models", "to-label"), Set.copyOf(first.created()));

      TopicInitializer.Report second = initializer.ensure(specs, TIMEOUT);
      assertEquals(List.of(), second.created());
      assertEquals(6, second.unchanged().size());
      assertEquals(List.of(), second.differences());
    }
  }
}
