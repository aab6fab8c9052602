package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.imagestream.classify.ClassifierStreamsConfig;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.train.TrainerService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Security settings in the --config file reach every Kafka client the services and commands create. */
class SecurityPassthroughTest {
  private static final Map<String, String> SECURITY = Map.of(
      "security.protocol", "SASL_SSL",
      "sasl.mechanism", "SCRAM-SHA-512",
      "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
          + "username=\"imagestream\" password=\"s3cret\";",
      "ssl.truststore.location", "/etc/kafka/truststore.p12",
      "ssl.truststore.password", "changeit",
      "ssl.endpoint.identification.algorithm", "https");

  @Test
  void everyClientConfigCarriesTheSecuritySettingsOfTheConfigFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("client.properties");
    StringBuilder text = new StringBuilder("bootstrap.servers=broker-1:9093\nimagestream.batch.size=8\n");
    SECURITY.forEach((k, v) -> text.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
    Files.writeString(file, text);
    ImagestreamConfig config = ImagestreamConfig.load(file, Map.of(), Map.of());

    Map<String, Map<String, ?>> clients = new LinkedHashMap<>();
    clients.put("classifier streams", toMap(ClassifierStreamsConfig.of(config)));
    clients.put("trainer consumer", TrainerService.consumerProperties(config));
    clients.put("trainer dead-letter producer", TrainerService.deadLetterProducerProperties(config));
    ModelsTopic models = new ModelsTopic(config.clientProperties(), "models");
    clients.put("models consumer (follower, list, trainer)", models.consumerProperties());
    clients.put("models publisher (trainer, models publish/rollback)",
        ModelsTopic.Publisher.properties(config.clientProperties(), "tx"));
    clients.put("publish producer", PublishCommand.producerProperties(config));
    clients.put("tail consumer", TailCommand.consumerProperties(config));
    clients.put("demo producers", DemoCommand.producerProperties(config));
    clients.put("demo consumer", DemoCommand.consumerProperties(config));
    clients.put("admin (topics, ensureTopics)", ServiceSupport.adminProperties(config));

    clients.forEach((client, props) -> {
      SECURITY.forEach((key, value) -> assertEquals(value, props.get(key), client + ": " + key));
      assertEquals("broker-1:9093", props.get("bootstrap.servers"), client);
      assertEquals(null, props.get("imagestream.batch.size"), client + ": our own settings are not passed on");
    });
    assertEquals(10, clients.size());
  }

  private static Map<String, ?> toMap(java.util.Properties properties) {
    Map<String, Object> map = new LinkedHashMap<>();
    properties.forEach((k, v) -> map.put(k.toString(), v));
    return map;
  }
}
