package io.imagestream.cli;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.TopicInitializer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "topics", mixinStandardHelpOptions = true,
    description = "Creates missing topics from topics/ and reports differences on existing ones (without changing them).")
final class TopicsCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  KafkaOptions kafka;

  @Option(names = "--replication-factor", paramLabel = "N",
      description = "Replicas per partition instead of the definitions' own (imagestream.topics.replication.factor); "
          + "from 3 on also min.insync.replicas=2. Set the same in the services' --config so that Kafka Streams' "
          + "internal topics follow.")
  Integer replicationFactor;

  @Override
  public Integer call() {
    Map<String, String> settings = new HashMap<>();
    if (replicationFactor != null) {
      if (replicationFactor < 1) {
        throw new ParameterException(spec.commandLine(), "--replication-factor must be at least 1, not "
            + replicationFactor);
      }
      settings.put(ImagestreamConfig.TOPICS_REPLICATION_FACTOR, replicationFactor.toString());
    }
    TopicInitializer.Report report = ServiceSupport.ensureTopics(kafka.config(settings));
    PrintWriter out = spec.commandLine().getOut();
    report.created().forEach(t -> out.println("created   " + t));
    report.unchanged().forEach(t -> out.println("unchanged " + t));
    report.differences().forEach(d -> out.println("differs   " + d));
    return 0;
  }
}
