package io.imagestream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "models", mixinStandardHelpOptions = true, description = "Not yet available.")
final class ModelsCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new Errors.UserException("'models' is not available yet");
  }
}
