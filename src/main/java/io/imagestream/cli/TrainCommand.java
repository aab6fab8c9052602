package io.imagestream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "train", mixinStandardHelpOptions = true, description = "Not yet available.")
final class TrainCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new Errors.UserException("'train' is not available yet");
  }
}
