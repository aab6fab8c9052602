package io.imagestream.cli;

import io.imagestream.config.ImagestreamConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every command that talks to Kafka takes. */
final class KafkaOptions {
  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
      description = "Kafka brokers (default: " + ImagestreamConfig.DEFAULT_BOOTSTRAP_SERVERS + ", or bootstrap.servers "
          + "in --config; env IMAGESTREAM_BOOTSTRAP_SERVERS).")
  String bootstrapServers;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Properties file: imagestream.* settings and Kafka client/Streams settings (e.g. SASL/TLS), "
          + "passed through as they are.")
  Path configFile;

  /** The layered configuration with the given command-line settings on top. */
  ImagestreamConfig config(Map<String, String> commandLine) {
    if (configFile != null && !Files.isReadable(configFile)) {
      throw new Errors.UserException("config file " + configFile + " does not exist or is not readable");
    }
    Map<String, String> values = new HashMap<>(commandLine);
    values.put(ImagestreamConfig.BOOTSTRAP_SERVERS, bootstrapServers);
    return ImagestreamConfig.load(configFile, System.getenv(), values);
  }

  ImagestreamConfig config() {
    return config(Map.of());
  }
}
