package io.imagestream.cli;

import io.imagestream.kafka.TopicInitializer;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "topics", mixinStandardHelpOptions = true,
    description = "Creates missing topics from topics/ and reports differences on existing ones (without changing them).")
final class TopicsCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Override
  public Integer call() {
    TopicInitializer.Report report = ServiceSupport.ensureTopics(kafka.config());
    report.created().forEach(t -> System.out.println("created   " + t));
    report.unchanged().forEach(t -> System.out.println("unchanged " + t));
    report.differences().forEach(d -> System.out.println("differs   " + d));
    return 0;
  }
}
