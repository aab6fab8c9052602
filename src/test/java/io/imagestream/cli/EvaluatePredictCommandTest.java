package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.cli.CliTest.Run;
import io.imagestream.image.TestImages;
import io.imagestream.testing.TestModels;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code evaluate --json --confusion-png} and {@code predict --top}. */
class EvaluatePredictCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void evaluateWritesTheReportAsJsonAndTheConfusionMatrixAsAPng(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("m.zip"), TestModels.darkLightArtifact());
    CliTest.writeDarkLightFolder(dir.resolve("test"), 12, 5);
    // one light image filed under dark: one error the matrix must show
    Files.copy(dir.resolve("test/light/light-0.png"), dir.resolve("test/dark/mislabelled.png"));

    Run run = CliTest.run("evaluate", "--model", model.toString(), dir.resolve("test").toString(), "--json",
        dir.resolve("out/report.json").toString(), "--confusion-png", dir.resolve("out/confusion.png").toString());
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("accuracy: 0.9600 (25 images)"), run.toString());

    JsonNode report = JSON.readTree(dir.resolve("out/report.json").toFile());
    assertEquals(24.0 / 25, report.get("accuracy").asDouble(), 1e-12);
    assertEquals(25, report.get("images").asInt());
    JsonNode dark = report.get("classes").get(0);
    JsonNode light = report.get("classes").get(1);
    assertEquals("dark", dark.get("name").asText());
    assertEquals(13, dark.get("support").asInt());
    assertEquals(1.0, dark.get("precision").asDouble(), 1e-12);
    assertEquals(12.0 / 13, dark.get("recall").asDouble(), 1e-12);
    assertEquals(2 * (12.0 / 13) / (1 + 12.0 / 13), dark.get("f1").asDouble(), 1e-12);
    assertEquals("light", light.get("name").asText());
    assertEquals(12.0 / 13, light.get("precision").asDouble(), 1e-12);
    assertEquals(1.0, light.get("recall").asDouble(), 1e-12);
    JsonNode matrix = report.get("confusionMatrix");
    assertEquals(List.of("dark", "light"), JSON.convertValue(matrix.get("classNames"), List.class));
    assertEquals("[[12,1],[0,12]]", matrix.get("counts").toString());

    BufferedImage png = ImageIO.read(dir.resolve("out/confusion.png").toFile());
    assertTrue(png.getWidth() >= 400 && png.getHeight() >= 400, png.getWidth() + "x" + png.getHeight());
  }

  @Test
  void predictTopPrintsOneLinePerImageWithTheMostProbableClassesFirst(@TempDir Path dir) throws Exception {
    Path model = Files.write(dir.resolve("m.zip"), TestModels.darkLightArtifact());
    Path dark = Files.write(dir.resolve("dark.png"), TestImages.solid("png", 20, 20, new Color(20, 20, 20)));
    Path light = Files.write(dir.resolve("light.png"), TestImages.solid("png", 20, 20, new Color(235, 235, 235)));

    Run run = CliTest.run("predict", "--model", model.toString(), "--top", "1", dark.toString(), light.toString());
    assertEquals(0, run.exitCode(), run.toString());
    assertEquals(2, run.outLines().size(), run.toString());
    assertTopOne(run.outLines().get(0), dark + ": dark ");
    assertTopOne(run.outLines().get(1), light + ": light ");

    // --top without K: 3, which for two classes is both, most probable first, summing to 1
    Run both = CliTest.run("predict", "--model", model.toString(), "--top", light.toString());
    assertEquals(0, both.exitCode(), both.toString());
    Matcher m = Pattern.compile(Pattern.quote(light.toString()) + ": light ([0-9.]+), dark ([0-9.]+)")
        .matcher(both.outLines().get(0));
    assertTrue(m.matches(), both.toString());
    assertEquals(1.0, Double.parseDouble(m.group(1)) + Double.parseDouble(m.group(2)), 2e-4);

    // the default, and --json, stay the prediction JSON
    Run json = CliTest.run("predict", "--model", model.toString(), "--json", dark.toString());
    assertEquals(0, json.exitCode(), json.toString());
    assertEquals("dark", JSON.readTree(json.outLines().get(0)).get("label").asText());

    Run zero = CliTest.run("predict", "--model", model.toString(), "--top", "0", dark.toString());
    assertEquals(List.of("imagestream predict: --top must be at least 1, got 0"), zero.errLines());

    Run conflict = CliTest.run("predict", "--model", model.toString(), "--json", "--top", "2", dark.toString());
    assertEquals(2, conflict.exitCode(), conflict.toString());
    assertEquals(List.of("imagestream predict: --top and --json are alternatives: give one"), conflict.errLines());
  }

  private static void assertTopOne(String line, String prefix) {
    assertTrue(line.startsWith(prefix) && line.substring(prefix.length()).matches("[01]\\.\\d{4}"), line);
    assertTrue(Double.parseDouble(line.substring(prefix.length())) >= 0.9, line);
  }

  @Test
  void topClassesOrdersByProbabilityAndKeepsClassOrderOnTies() {
    List<String> classes = List.of("cat", "dog", "horse", "bird");
    float[] p = {0.1f, 0.4f, 0.1f, 0.4f};
    assertEquals("dog 0.4000, bird 0.4000, cat 0.1000", PredictCommand.topClasses(classes, p, 3));
    assertEquals("dog 0.4000", PredictCommand.topClasses(classes, p, 1));
    assertEquals(4, PredictCommand.topClasses(classes, p, 10).split(", ").length);
  }
}
