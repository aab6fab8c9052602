package io.imagestream.cli;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.EmbeddedKafkaBroker;
import io.imagestream.kafka.TopicInitializer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "broker", mixinStandardHelpOptions = true,
    description = "A real single-node Apache Kafka broker (KRaft) on 127.0.0.1, with the topics from topics/ created.")
final class BrokerCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "9092", description = "Client port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Where the broker keeps its logs; reused across restarts (default: a temporary folder, deleted on exit).")
  Path dataDir;

  @Override
  public Integer call() {
    EmbeddedKafkaBroker broker = ServiceSupport.startBroker(port, dataDir);
    try {
      ImagestreamConfig config = ImagestreamConfig.of(Map.of(ImagestreamConfig.BOOTSTRAP_SERVERS,
          broker.bootstrapServers()));
      TopicInitializer.Report report = ServiceSupport.ensureTopics(config);
      report.differences().forEach(d -> System.err.println("topic difference: " + d));
      System.out.println("broker ready on " + broker.bootstrapServers());
      System.out.flush();
    } catch (RuntimeException e) {
      broker.close();
      throw e;
    }
    ServiceSupport.runUntilStopped(null, broker::close);
    return 0;
  }
}
