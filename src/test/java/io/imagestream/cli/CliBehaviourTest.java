package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.TestImages;
import java.awt.Color;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a newcomer meets first: no broker, bad values, missing files, defaults, quiet output. */
class CliBehaviourTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long ONE_LINE_WITHIN_MS = 15_000;

  @Test
  void withoutABrokerEveryKafkaCommandSaysSoInOneLineWithinSeconds(@TempDir Path dir) throws IOException {
    String address = "127.0.0.1:" + closedPort();
    Path image = Files.write(dir.resolve("x.png"), TestImages.solid("png", 8, 8, Color.GRAY));
    List<String[]> commands = List.of(
        new String[] {"classify", "--metrics-port", "0"},
        new String[] {"tail"},
        new String[] {"publish", image.toString()},
        new String[] {"models", "list"},
        new String[] {"topics"});
    for (String[] command : commands) {
      List<String> args = new ArrayList<>(List.of(command));
      args.addAll(List.of("--bootstrap-servers", address));
      long start = System.nanoTime();
      CliTest.Run run = CliTest.run(args.toArray(String[]::new));
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      String what = String.join(" ", command) + ": " + run;
      assertOneErrorLine(3, run, what);
      assertTrue(run.err().contains(address), what);
      assertTrue(run.err().contains("imagestream broker"), what);
      assertTrue(ms < ONE_LINE_WITHIN_MS, what + " took " + ms + " ms");
    }
  }

  @Test
  void predictServesTheBundledModelWithoutModel(@TempDir Path dir) throws IOException {
    Path image = Files.write(dir.resolve("boot.png"), TestImages.solid("png", 28, 28, Color.DARK_GRAY));
    CliTest.Run run = CliTest.run("predict", image.toString());
    assertEquals(0, run.exitCode(), run.toString());
    assertEquals(1, run.outLines().size(), run.toString());
    JsonNode prediction = JSON.readTree(run.outLines().get(0));
    assertEquals("default", prediction.get("model").get("name").asText(), run.toString());
    assertEquals(10, prediction.get("probabilities").size(), run.toString());
    assertEquals("", run.err());
  }

  @Test
  void evaluateServesTheBundledModelWithoutModel(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("unrelated-class"));
    CliTest.Run run = CliTest.run("evaluate", dir.toString());
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("Ankle boot"), "names the default model's classes: " + run);
  }

  @Test
  void missingFilesAreSaidToBeMissing(@TempDir Path dir) {
    Path missing = dir.resolve("nosuch.png");
    CliTest.Run predict = CliTest.run("predict", missing.toString());
    assertEquals(1, predict.exitCode(), predict.toString());
    assertEquals(List.of(missing + ": no such file"), predict.errLines());

    CliTest.Run model = CliTest.run("predict", "--model", dir.resolve("nosuch.zip").toString(), missing.toString());
    assertEquals(2, model.exitCode(), model.toString());
    assertTrue(model.err().contains("no such model file"), model.toString());

    CliTest.Run publish = CliTest.run("publish", missing.toString(), "--bootstrap-servers", "127.0.0.1:1");
    assertEquals(2, publish.exitCode(), publish.toString());
    assertTrue(publish.err().contains("no such file or folder: " + missing), publish.toString());
  }

  @Test
  void invalidValuesAreUsageErrorsOfOneLine() {
    for (String[] args : List.of(new String[] {"classify", "--batch-size", "abc"},
        new String[] {"classify", "--batch-size=-5"}, new String[] {"classify", "--batch-max-wait-ms=0"},
        new String[] {"predict", "--top", "0", "x.png"})) {
      CliTest.Run run = CliTest.run(args);
      String what = String.join(" ", args) + ": " + run;
      assertOneErrorLine(2, run, what);
      assertTrue(run.err().startsWith("imagestream " + args[0] + ": "), what);
    }
  }

  @Test
  void anUnknownCommandIsNamedOnce() {
    CliTest.Run run = CliTest.run("frobnicate");
    assertOneErrorLine(2, run, run.toString());
    assertTrue(run.err().startsWith("imagestream: unknown command 'frobnicate'"), run.toString());
    assertFalse(run.err().contains("imagestream imagestream"), run.toString());
  }

  @Test
  void helpQuotesTheDefaultsTheCodeUses() {
    CliTest.Run classify = CliTest.run("classify", "--help");
    String help = classify.out().replaceAll("\\s+", " ");
    assertTrue(help.contains("default " + ImagestreamConfig.definition().defaultValues()
        .get(ImagestreamConfig.BATCH_MAX_WAIT_MS)), help);
    assertTrue(help.contains("default " + ImagestreamConfig.definition().defaultValues()
        .get(ImagestreamConfig.BATCH_SIZE)), help);
    assertTrue(help.contains(ImagestreamConfig.defaults().bootstrapServers()), help);
    for (String command : List.of("classify", "train", "topics", "tail", "publish", "predict", "demo")) {
      CliTest.Run run = CliTest.run(command, "--help");
      assertFalse(run.out().contains("null"), command + ": " + run);
      assertTrue(run.out().contains("--verbose"), command + ": " + run);
    }
  }

  @Test
  void demoChecksItsPortsBeforeStartingAnything() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      long start = System.nanoTime();
      CliTest.Run run = CliTest.run("demo", "--port", Integer.toString(taken.getLocalPort()), "--metrics-port", "0");
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertOneErrorLine(3, run, run.toString());
      assertTrue(run.err().contains(taken.getLocalPort() + " on 127.0.0.1 is taken"), run.toString());
      assertTrue(run.err().contains("--port"), run.toString());
      assertTrue(ms < 5_000, "no broker was started first: " + ms + " ms");

      CliTest.Run metrics = CliTest.run("demo", "--port", Integer.toString(closedPort()), "--metrics-port",
          Integer.toString(taken.getLocalPort()));
      assertEquals(3, metrics.exitCode(), metrics.toString());
      assertTrue(metrics.err().contains("--metrics-port"), metrics.toString());
    }
  }

  // --- in a JVM of its own, where the logging configuration is the real one ---

  @Test
  void predictPrintsOnlyItsPredictions(@TempDir Path dir) throws Exception {
    Path image = Files.write(dir.resolve("x.png"), TestImages.solid("png", 28, 28, Color.LIGHT_GRAY));
    Child child = Child.run(dir, "predict", image.toString());
    assertEquals(0, child.exitCode(), child.toString());
    assertEquals(1, child.out().lines().count(), child.toString());
    assertTrue(child.out().startsWith("{\"id\":"), child.toString());
    assertEquals("", child.err(), "no ND4J banner, no log lines: " + child);
  }

  @Test
  void tailWithoutABrokerPrintsOneLineAndNoClientWarnings(@TempDir Path dir) throws Exception {
    long start = System.nanoTime();
    Child child = Child.run(dir, "tail", "--bootstrap-servers", "127.0.0.1:" + closedPort());
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(3, child.exitCode(), child.toString());
    assertEquals("", child.out(), child.toString());
    assertEquals(1, child.err().lines().count(), child.toString());
    assertTrue(ms < ONE_LINE_WITHIN_MS, "took " + ms + " ms (JVM start included)");
  }

  record Child(int exitCode, String out, String err) {
    static Child run(Path dir, String... args) throws Exception {
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
          .toString(), "-Xmx512m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
      command.addAll(List.of(args));
      Path out = dir.resolve("child.out");
      Path err = dir.resolve("child.err");
      ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      builder.environment().remove(Logging.VERBOSE_ENV);
      builder.environment().remove(Logging.LEVEL_ENV);
      Process process = builder.start();
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
        throw new AssertionError("child JVM did not finish: " + String.join(" ", args));
      }
      return new Child(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- out:\n" + out + "--- err:\n" + err;
    }
  }

  /** The command failed with this exit code and said why in exactly one line. */
  private static void assertOneErrorLine(int exitCode, CliTest.Run run, Object context) {
    assertEquals(exitCode, run.exitCode(), String.valueOf(context));
    assertEquals(1, run.errLines().size(), String.valueOf(context));
  }

  /** A port nothing listens on (bound, then released). */
  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
