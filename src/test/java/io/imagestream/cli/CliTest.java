package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.image.TestImages;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import io.imagestream.testing.TestModels;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The command line in-process: help, errors as one line, and the offline commands end to end. */
class CliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> COMMANDS = List.of("demo", "broker", "topics", "classify", "train", "publish",
      "tail", "fit", "evaluate", "predict", "import-keras", "models", "console");

  /** What a run printed and returned. */
  record Run(int exitCode, String out, String err) {
    List<String> outLines() {
      return out.lines().toList();
    }

    List<String> errLines() {
      return err.lines().toList();
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- out:\n" + out + "--- err:\n" + err;
    }
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  // --- help and bad command lines ---

  @Test
  void helpListsEveryCommand() {
    Run run = run("--help");
    assertEquals(0, run.exitCode(), run.toString());
    for (String command : COMMANDS) {
      assertTrue(Pattern.compile("(?m)^\\s+" + command + "\\s").matcher(run.out()).find(), command + ": " + run);
    }
    assertEquals("", run.err());
  }

  @Test
  void everyCommandHasHelp() {
    for (String command : COMMANDS) {
      Run run = run(command, "--help");
      assertEquals(0, run.exitCode(), command + ": " + run);
      assertTrue(run.out().startsWith("Usage: imagestream " + command), command + ": " + run);
      assertEquals("", run.err(), command);
    }
  }

  @Test
  void noCommandPrintsUsage() {
    Run run = run();
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().startsWith("Usage: imagestream"), run.toString());
  }

  @Test
  void anUnknownOptionIsOneLineOnStderr() {
    Run run = run("--bogus");
    assertNotEquals(0, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.err().contains("--bogus"), run.toString());
    assertEquals("", run.out());

    Run sub = run("predict", "--bogus", "--model", "m.zip", "x.png");
    assertNotEquals(0, sub.exitCode(), sub.toString());
    assertEquals(1, sub.errLines().size(), sub.toString());
    assertTrue(sub.err().startsWith("imagestream predict: "), sub.toString());
    assertTrue(sub.err().contains("--bogus"), sub.toString());
  }

  @Test
  void aMissingRequiredOptionIsOneLineOnStderr() {
    Run run = run("fit", "x");
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.err().contains("--out"), run.toString());
  }

  @Test
  void modelsWithoutASubcommandListsItsSubcommands() {
    Run run = run("models");
    assertEquals(0, run.exitCode(), run.toString());
    for (String sub : List.of("list", "publish", "rollback")) {
      assertTrue(run.out().contains(sub), run.toString());
    }
  }

  // --- predict ---

  @Test
  void predictPrintsOneJsonLinePerImage(@TempDir Path dir) throws IOException {
    Path model = darkLightModel(dir);
    Path dark = Files.write(dir.resolve("dark.png"), TestImages.solid("png", 30, 20, new Color(25, 25, 25)));
    Path light = Files.write(dir.resolve("light.png"), TestImages.solid("png", 20, 30, new Color(230, 230, 230)));

    Run run = run("predict", "--model", model.toString(), dark.toString(), light.toString());
    assertEquals(0, run.exitCode(), run.toString());
    assertEquals(2, run.outLines().size(), run.toString());
    JsonNode first = JSON.readTree(run.outLines().get(0));
    JsonNode second = JSON.readTree(run.outLines().get(1));
    assertEquals(dark.toString(), first.get("id").asText());
    assertEquals("dark", first.get("label").asText());
    assertEquals(light.toString(), second.get("id").asText());
    assertEquals("light", second.get("label").asText());
    assertEquals(List.of("dark", "light"), List.copyOf(fieldNames(first.get("probabilities"))));
    assertEquals("dark-light", first.get("model").get("name").asText());
    assertEquals(1.0, first.get("probabilities").get("dark").asDouble()
        + first.get("probabilities").get("light").asDouble(), 2e-6);
    assertEquals("", run.err());
  }

  @Test
  void predictOnATextFileGivesAOneLineReason(@TempDir Path dir) throws IOException {
    Path model = darkLightModel(dir);
    Path text = Files.writeString(dir.resolve("notes.png"), "these are not pixels\n");
    Path dark = Files.write(dir.resolve("dark.png"), TestImages.solid("png", 16, 16, Color.BLACK));

    Run run = run("predict", "--model", model.toString(), text.toString(), dark.toString());
    assertEquals(1, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.err().startsWith(text + ": "), run.toString());
    assertEquals(1, run.outLines().size(), "the good image is still predicted: " + run);
    assertEquals("dark", JSON.readTree(run.outLines().get(0)).get("label").asText());
  }

  @Test
  void predictWithAMissingModelNamesItWithoutAStackTrace(@TempDir Path dir) throws IOException {
    Path image = Files.write(dir.resolve("x.png"), TestImages.solid("png", 16, 16, Color.BLACK));
    Run run = run("predict", "--model", dir.resolve("missing.zip").toString(), image.toString());
    assertNotEquals(0, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.err().contains("missing.zip"), run.toString());
    assertFalse(run.err().contains("\tat "), run.toString());
    assertEquals("", run.out());
  }

  @Test
  void predictWithATamperedModelIsRefused(@TempDir Path dir) throws IOException {
    Path model = Files.write(dir.resolve("junk.zip"), "PK but not really".getBytes(StandardCharsets.US_ASCII));
    Path image = Files.write(dir.resolve("x.png"), TestImages.solid("png", 16, 16, Color.BLACK));
    Run run = run("predict", "--model", model.toString(), image.toString());
    assertEquals(1, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.err().contains("not a model artifact"), run.toString());
  }

  // --- fit and evaluate ---

  @Test
  void fitThenEvaluateOnAFolder(@TempDir Path dir) throws Exception {
    Path train = dir.resolve("train-set");
    Path test = dir.resolve("test-set");
    writeDarkLightFolder(train, 100, 1);
    writeDarkLightFolder(test, 25, 2);
    Path model = dir.resolve("out/model.zip");

    Run fit = run("fit", train.toString(), "--out", model.toString(), "--epochs", "2", "--image-size", "16x16",
        "--channels", "1", "--batch-size", "16", "--learning-rate", "0.01", "--name", "folders");
    assertEquals(0, fit.exitCode(), fit.toString());
    assertTrue(fit.out().contains("Epoch 1/2"), fit.toString());
    assertTrue(fit.out().contains("Epoch 2/2"), fit.toString());
    assertTrue(fit.out().contains("wrote " + model), fit.toString());
    assertTrue(Files.isRegularFile(dir.resolve("out/model.zip.json")));
    assertTrue(Files.isRegularFile(dir.resolve("out/model.zip.sha256")));
    ModelMetadata metadata = ModelArtifact.readMetadata(Files.readAllBytes(model));
    assertEquals(List.of("dark", "light"), metadata.classNames());
    assertEquals("folders", metadata.name());
    assertEquals(ModelMetadata.SIGMOID, metadata.output());
    assertEquals(TestModels.SHAPE, metadata.inputShape());
    assertEquals(200, metadata.training().trainingExamples());

    Run evaluate = run("evaluate", "--model", model.toString(), test.toString());
    assertEquals(0, evaluate.exitCode(), evaluate.toString());
    Matcher accuracy = Pattern.compile("(?m)^accuracy: ([0-9.]+) \\((\\d+) images\\)").matcher(evaluate.out());
    assertTrue(accuracy.find(), evaluate.toString());
    assertEquals(50, Integer.parseInt(accuracy.group(2)));
    assertTrue(Double.parseDouble(accuracy.group(1)) >= 0.9, evaluate.toString());
  }

  @Test
  void fitNeedsAFolderOrFashionMnist(@TempDir Path dir) {
    Run run = run("fit", "--out", dir.resolve("m.zip").toString());
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.err().contains("give a folder"), run.toString());
  }

  // --- environment defaults ---

  @Test
  void environmentOverridesAnOptionsDefault() {
    OptionSpec batchSize = OptionSpec.builder("--batch-size").type(int.class).defaultValue("32").build();
    OptionSpec epochs = OptionSpec.builder("--epochs").type(int.class).defaultValue("10").build();
    Main.EnvironmentDefaults env = new Main.EnvironmentDefaults(Map.of("IMAGESTREAM_BATCH_SIZE", "7"));
    assertEquals("7", env.defaultValue(batchSize));
    assertEquals("10", env.defaultValue(epochs));
    assertEquals("32", new Main.EnvironmentDefaults(Map.of()).defaultValue(batchSize));
    assertEquals("32", new Main.EnvironmentDefaults(Map.of("IMAGESTREAM_BATCH_SIZE", " ")).defaultValue(batchSize));
  }

  @Test
  void environmentDefaultsReachSubcommandOptions() {
    CommandLine cli = Main.commandLine();
    cli.setDefaultValueProvider(new Main.EnvironmentDefaults(Map.of("IMAGESTREAM_BATCH_SIZE", "7")));
    cli.parseArgs("fit", "--out", "m.zip");
    FitCommand fit = cli.getSubcommands().get("fit").getCommand();
    assertEquals(7, fit.batchSize);
    assertEquals(10, fit.epochs);

    cli = Main.commandLine();
    cli.setDefaultValueProvider(new Main.EnvironmentDefaults(Map.of("IMAGESTREAM_BATCH_SIZE", "7")));
    cli.parseArgs("fit", "--out", "m.zip", "--batch-size", "5");
    assertEquals(5, ((FitCommand) cli.getSubcommands().get("fit").getCommand()).batchSize, "the option wins");
  }

  // --- helpers ---

  private static Path darkLightModel(Path dir) throws IOException {
    return Files.write(dir.resolve("dark-light.zip"), TestModels.darkLightArtifact());
  }

  /** DIR/dark and DIR/light with {@code perClass} noisy grey 16x16 PNGs each. */
  static void writeDarkLightFolder(Path dir, int perClass, long seed) throws IOException {
    Random random = new Random(seed);
    for (String label : TestModels.DARK_LIGHT) {
      Path classDir = Files.createDirectories(dir.resolve(label));
      for (int i = 0; i < perClass; i++) {
        byte[] pixels = new byte[16 * 16];
        for (int p = 0; p < pixels.length; p++) {
          pixels[p] = (byte) ("dark".equals(label) ? random.nextInt(80) : 175 + random.nextInt(81));
        }
        Files.write(classDir.resolve(label + "-" + i + ".png"), TestImages.grey("png", pixels, 16, 16));
      }
    }
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
