package io.imagestream.cli;

import io.imagestream.kafka.TopicInitializer;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

@Command(name = "topics", mixinStandardHelpOptions = true,
    description = "Creates missing topics from topics/ and reports differences on existing ones (without changing them).")
final class TopicsCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  KafkaOptions kafka;

  @Override
  public Integer call() {
    TopicInitializer.Report report = ServiceSupport.ensureTopics(kafka.config());
    PrintWriter out = spec.commandLine().getOut();
    report.created().forEach(t -> out.println("created   " + t));
    report.unchanged().forEach(t -> out.println("unchanged " + t));
    report.differences().forEach(d -> out.println("differs   " + d));
    return 0;
  }
}
