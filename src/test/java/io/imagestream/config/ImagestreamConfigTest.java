package io.imagestream.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings: defaults, the four layers and their precedence, environment names, Kafka passthrough, validation. */
class ImagestreamConfigTest {

  @Test
  void defaults() {
    ImagestreamConfig config = ImagestreamConfig.defaults();
    assertEquals(32, config.getInt(ImagestreamConfig.BATCH_SIZE));
    assertEquals(20L, config.getLong(ImagestreamConfig.BATCH_MAX_WAIT_MS));
    assertEquals("images", config.getString(ImagestreamConfig.TOPIC_IMAGES));
    assertEquals("predictions", config.getString(ImagestreamConfig.TOPIC_PREDICTIONS));
    assertEquals("images-dlq", config.getString(ImagestreamConfig.TOPIC_DLQ));
    assertEquals("labelled-images", config.getString(ImagestreamConfig.TOPIC_LABELLED));
    assertEquals("models", config.getString(ImagestreamConfig.TOPIC_MODELS));
    assertEquals("127.0.0.1:9092", config.bootstrapServers());
    assertEquals(Map.of("bootstrap.servers", "127.0.0.1:9092"), config.clientProperties());
  }

  @Test
  void precedenceIsDefaultThenFileThenEnvironmentThenCommandLine(@TempDir Path dir) throws IOException {
    Path file = properties(dir, """
        imagestream.batch.size=10
        imagestream.batch.max.wait.ms=110
        imagestream.topic.images=file-images
        bootstrap.servers=file:9092
        """);
    Map<String, String> environment = Map.of(
        "IMAGESTREAM_BATCH_SIZE", "20",
        "IMAGESTREAM_BATCH_MAX_WAIT_MS", "220",
        "IMAGESTREAM_BOOTSTRAP_SERVERS", "env:9092",
        "IMAGESTREAM_TOPIC_DLQ", "env-dlq",
        "IMAGESTREAM_TOPIC_MODELS", "  ", // blank: ignored
        "BATCH_SIZE", "99"); // not ours
    Map<String, String> commandLine = new HashMap<>();
    commandLine.put(ImagestreamConfig.BATCH_SIZE, "30");
    commandLine.put(ImagestreamConfig.BOOTSTRAP_SERVERS, null); // an option not given: ignored

    ImagestreamConfig config = ImagestreamConfig.load(file, environment, commandLine);
    assertEquals(30, config.getInt(ImagestreamConfig.BATCH_SIZE), "command line beats environment");
    assertEquals(220L, config.getLong(ImagestreamConfig.BATCH_MAX_WAIT_MS), "environment beats file");
    assertEquals("env:9092", config.bootstrapServers(), "environment beats file, a null option changes nothing");
    assertEquals("file-images", config.getString(ImagestreamConfig.TOPIC_IMAGES), "file beats default");
    assertEquals("env-dlq", config.getString(ImagestreamConfig.TOPIC_DLQ), "environment beats default");
    assertEquals("models", config.getString(ImagestreamConfig.TOPIC_MODELS), "default");
    assertEquals("predictions", config.getString(ImagestreamConfig.TOPIC_PREDICTIONS), "default");

    ImagestreamConfig noFile = ImagestreamConfig.load(null, environment, Map.of());
    assertEquals(20, noFile.getInt(ImagestreamConfig.BATCH_SIZE));
    ImagestreamConfig fileOnly = ImagestreamConfig.load(file, Map.of(), Map.of());
    assertEquals(10, fileOnly.getInt(ImagestreamConfig.BATCH_SIZE));
    assertEquals("file:9092", fileOnly.bootstrapServers());
  }

  @Test
  void environmentNames() {
    assertEquals("IMAGESTREAM_BATCH_SIZE", ImagestreamConfig.environmentName("imagestream.batch.size"));
    assertEquals("IMAGESTREAM_BOOTSTRAP_SERVERS", ImagestreamConfig.environmentName("bootstrap.servers"));
    assertEquals("IMAGESTREAM_BATCH_MAX_WAIT_MS", ImagestreamConfig.environmentName("imagestream.batch.max.wait.ms"));
    assertEquals("IMAGESTREAM_BATCH_SIZE", ImagestreamConfig.environmentName("batch-size"), "CLI option names too");
  }

  @Test
  void otherKafkaSettingsFromTheFilePassThroughAndOursDoNot(@TempDir Path dir) throws IOException {
    Path file = properties(dir, """
        bootstrap.servers=broker1:9093,broker2:9093
        security.protocol=SASL_SSL
        sasl.mechanism=SCRAM-SHA-512
        imagestream.batch.size=8
        imagestream.topic.images=x
        """);
    Map<String, Object> client = ImagestreamConfig.load(file, Map.of(), Map.of()).clientProperties();
    assertEquals(Map.of(
        "bootstrap.servers", "broker1:9093,broker2:9093",
        "security.protocol", "SASL_SSL",
        "sasl.mechanism", "SCRAM-SHA-512"), client);
    assertFalse(client.keySet().stream().anyMatch(k -> k.startsWith("imagestream.")));
  }

  @Test
  void invalidValuesNameTheSetting() {
    for (String bad : new String[] {"0", "abc", "5000"}) {
      ConfigException e = assertThrows(ConfigException.class,
          () -> ImagestreamConfig.load(null, Map.of("IMAGESTREAM_BATCH_SIZE", bad), Map.of()), bad);
      assertTrue(e.getMessage().contains("imagestream.batch.size"), e.getMessage());
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
    ConfigException e = assertThrows(ConfigException.class,
        () -> ImagestreamConfig.of(Map.of(ImagestreamConfig.RESIZE_INTERPOLATION, "bicubic")));
    assertTrue(e.getMessage().contains("imagestream.resize.interpolation"), e.getMessage());
  }

  @Test
  void anInvalidValueInTheFileNamesTheSetting(@TempDir Path dir) throws IOException {
    Path file = properties(dir, "imagestream.batch.size=0\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ImagestreamConfig.load(file, Map.of(), Map.of()));
    assertTrue(e.getMessage().contains("imagestream.batch.size"), e.getMessage());
  }

  @Test
  void anUnreadableFileIsNamed(@TempDir Path dir) {
    Path missing = dir.resolve("missing.properties");
    ConfigException e = assertThrows(ConfigException.class, () -> ImagestreamConfig.load(missing, Map.of(), Map.of()));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    ConfigException folder = assertThrows(ConfigException.class, () -> ImagestreamConfig.load(dir, Map.of(), Map.of()));
    assertTrue(folder.getMessage().contains(dir.toString()), folder.getMessage());
  }

  private static Path properties(Path dir, String text) throws IOException {
    return Files.writeString(dir.resolve("imagestream.properties"), text);
  }
}
