package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import io.imagestream.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** models list / publish / rollback against a real broker. */
class ModelsCommandIT {

  @Test
  void publishListAndRollBack(@TempDir Path dir) throws Exception {
    String models = KafkaTestCluster.uniqueTopic("cli-models");
    KafkaTestCluster.createTopics(new TopicSpec(models, 1, (short) 1, Map.of("cleanup.policy", "compact",
        "max.message.bytes", "1048588")));
    Path config = Files.writeString(dir.resolve("c.properties"), "imagestream.topic.models=" + models + "\n"
        + "imagestream.model.name=dark-light\n");
    Path file = Files.write(dir.resolve("m.zip"), TestModels.darkLightArtifact());
    String[] connection = {"--config", config.toString(), "--bootstrap-servers", KafkaTestCluster.bootstrapServers()};

    CliTest.Run empty = CliTest.run(concat(new String[] {"models", "list"}, connection));
    assertEquals(0, empty.exitCode(), empty.toString());
    assertTrue(empty.out().contains("no models"), empty.toString());

    CliTest.Run first = CliTest.run(concat(new String[] {"models", "publish", file.toString()}, connection));
    assertEquals(0, first.exitCode(), first.toString());
    CliTest.Run second = CliTest.run(concat(new String[] {"models", "publish", file.toString()}, connection));
    assertEquals(0, second.exitCode(), second.toString());
    CliTest.Run rollback = CliTest.run(concat(new String[] {"models", "rollback", "2"}, connection));
    assertEquals(0, rollback.exitCode(), rollback.toString());

    List<ModelsTopic.Entry> entries = new ModelsTopic(Map.of("bootstrap.servers", KafkaTestCluster.bootstrapServers()),
        models).readAll(Duration.ofSeconds(30));
    assertEquals(List.of(2L, 3L, 4L), entries.stream().map(ModelsTopic.Entry::version).toList());
    ModelMetadata rolledBack = ModelArtifact.readMetadata(entries.get(2).artifact());
    assertEquals(4, rolledBack.version());
    assertEquals(2, rolledBack.parentVersion(), "v4 is v2 again");
    assertEquals(ModelArtifact.readMetadata(entries.get(0).artifact()).networkSha256(), rolledBack.networkSha256());
    entries.forEach(e -> assertEquals(ModelArtifact.sha256(e.artifact()), e.declaredSha256()));

    CliTest.Run list = CliTest.run(concat(new String[] {"models", "list"}, connection));
    assertEquals(0, list.exitCode(), list.toString());
    for (String version : new String[] {" 2 ", " 3 ", " 4 "}) {
      assertTrue(list.out().contains(version), list.toString());
    }

    CliTest.Run missing = CliTest.run(concat(new String[] {"models", "rollback", "9"}, connection));
    assertNotEquals(0, missing.exitCode());
    assertTrue(missing.err().contains("version 9 is not on the models topic"), missing.toString());

    CliTest.Run newest = CliTest.run(concat(new String[] {"models", "retire", "4"}, connection));
    assertEquals(2, newest.exitCode(), newest.toString());
    assertTrue(newest.err().contains("v4 is the newest version"), newest.toString());
    CliTest.Run unknown = CliTest.run(concat(new String[] {"models", "retire", "9"}, connection));
    assertEquals(2, unknown.exitCode(), unknown.toString());
    assertTrue(unknown.err().contains("version 9 of dark-light is not on the models topic"), unknown.toString());
    CliTest.Run retired = CliTest.run(concat(new String[] {"models", "retire", "3"}, connection));
    assertEquals(0, retired.exitCode(), retired.toString());
    assertEquals(List.of(2L, 4L), new ModelsTopic(Map.of("bootstrap.servers", KafkaTestCluster.bootstrapServers()),
        models).readAll(Duration.ofSeconds(30)).stream().map(ModelsTopic.Entry::version).toList(), "v3 retired");

    Path broken = Files.write(dir.resolve("broken.zip"), new byte[] {1, 2, 3});
    CliTest.Run refused = CliTest.run(concat(new String[] {"models", "publish", broken.toString()}, connection));
    assertNotEquals(0, refused.exitCode());
    assertTrue(refused.err().contains("refusing to publish"), refused.toString());
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
