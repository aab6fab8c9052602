package io.imagestream.cli;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.console.Console;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "console", mixinStandardHelpOptions = true,
    description = {"The web console: / shows the stream live (the latest images with their predictions, rates, the "
        + "served model, the trainer's last verdict, dead letters); /label lets people label the images the model "
        + "was unsure of (the to-label topic), sending each to labelled-images as 'publish --label' does.",
        "Listens on 127.0.0.1 unless --host says otherwise; any other address needs imagestream.console.token.",
        "Settings: imagestream.console.* (see docs/console.md)."})
final class ConsoleCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  KafkaOptions kafka;

  @Option(names = "--port", defaultValue = "9402",
      description = "Port to serve on (default: ${DEFAULT-VALUE}; 0 picks one).")
  int port;

  @Option(names = "--host", defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}); any other than loopback requires "
          + "imagestream.console.token.")
  String host;

  @Override
  public Integer call() {
    ImagestreamConfig config = kafka.config();
    String refusal = Console.refusal(config, host);
    if (refusal != null) {
      throw new Errors.UserException(refusal, 2);
    }
    ServiceSupport.ensureServiceTopics(config);
    Console console;
    try {
      console = Console.start(config, host, port);
    } catch (UncheckedIOException | IllegalStateException e) {
      throw new Errors.UserException(Errors.describe(e), 3);
    }
    spec.commandLine().getOut().printf("console ready on %s%n", console.url());
    spec.commandLine().getOut().flush();
    ServiceSupport.runUntilStopped(null, console::close);
    return 0;
  }
}
