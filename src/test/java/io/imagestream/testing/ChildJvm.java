package io.imagestream.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** An imagestream command in a child JVM on the test classpath, its output in a log file, for fault tests. */
public final class ChildJvm {
  private ChildJvm() {}

  /** Starts {@code java -cp <test classpath> io.imagestream.cli.Main args...}, stdout and stderr into {@code log}. */
  public static Process start(Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-cp", System.getProperty("java.class.path"), "io.imagestream.cli.Main"));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** SIGKILL (no shutdown hook, no clean close) and wait for the process to be gone; null is ignored. */
  public static void kill(Process process) throws InterruptedException {
    if (process != null) {
      process.destroyForcibly().waitFor();
    }
  }

  /** The last 3000 characters of a log, for assertion messages. */
  public static String tail(Path log) {
    try {
      String text = Files.readString(log);
      return text.substring(Math.max(0, text.length() - 3000));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
