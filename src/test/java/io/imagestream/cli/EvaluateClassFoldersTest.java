package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.cli.CliTest.Run;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import io.imagestream.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evaluate} never reports an accuracy over fewer images than DIR holds without saying so: a class folder that
 * matches no class is an error, names are matched but for separators or by {@code --class-map}, and the report counts
 * what it scored and what it could not read. The same rule for {@code fit}'s validation folder.
 */
class EvaluateClassFoldersTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> CLASSES = List.of("dark/grey", "light");

  /** The dark/light test model under class names a folder cannot hold ('/'). */
  private static Path model(Path dir) throws Exception {
    byte[] bytes = ModelArtifact.toBytes(TestModels.darkLight().network(),
        TestModels.metadata("slashed", 1, CLASSES, TestModels.SHAPE, ModelMetadata.SIGMOID));
    return Files.write(dir.resolve("slashed.zip"), bytes);
  }

  /** DIR/dark and DIR/light with 12 + 12 images; the dark folder then renamed. */
  private static Path folder(Path dir, String darkFolderName) throws Exception {
    Path data = dir.resolve("data");
    CliTest.writeDarkLightFolder(data, 12, 3);
    Files.move(data.resolve("dark"), data.resolve(darkFolderName));
    return data;
  }

  @Test
  void aFolderNamedLikeAClassButForSeparatorsIsScored(@TempDir Path dir) throws Exception {
    Run run = CliTest.run("evaluate", "--model", model(dir).toString(), folder(dir, "dark-grey").toString());
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("images: 24 scored of 24 in " + dir.resolve("data")), run.toString());
    assertTrue(run.out().contains("(24 images)"), run.toString());
    assertTrue(run.out().matches("(?s).*dark/grey +[0-9.]+ +[0-9.]+ +[0-9.]+ +12\\n.*"), run.toString());
  }

  @Test
  void aFolderMatchingNoClassIsAnErrorNamingItAndTheClasses(@TempDir Path dir) throws Exception {
    Path data = folder(dir, "darkish");
    Run run = CliTest.run("evaluate", "--model", model(dir).toString(), data.toString());
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals("", run.out(), run.toString());
    assertEquals(1, run.err().lines().count(), run.toString());
    assertTrue(run.err().contains("folder 'darkish' in " + data + " matches none of the classes [dark/grey, light]"),
        run.toString());
    assertTrue(run.err().contains("--class-map 'darkish=CLASS'"), run.toString());

    Run mapped = CliTest.run("evaluate", "--model", model(dir).toString(), data.toString(), "--class-map",
        "darkish=dark/grey");
    assertEquals(0, mapped.exitCode(), mapped.toString());
    assertTrue(mapped.out().contains("images: 24 scored of 24 in " + data), mapped.toString());

    Run badMap = CliTest.run("evaluate", "--model", model(dir).toString(), data.toString(), "--class-map",
        "darkish=dark");
    assertEquals(2, badMap.exitCode(), badMap.toString());
    assertTrue(badMap.err().contains("'dark', which is not a class of the model; its classes: [dark/grey, light]"),
        badMap.toString());
  }

  @Test
  void theReportCountsUnreadableImagesAndImagesOutsideClassFolders(@TempDir Path dir) throws Exception {
    Path data = folder(dir, "dark-grey");
    Files.write(data.resolve("light/broken.png"), new byte[] {1, 2, 3, 4});
    Files.copy(data.resolve("light/light-0.png"), data.resolve("loose.png"));
    Path json = dir.resolve("report.json");
    Run run = CliTest.run("evaluate", "--model", model(dir).toString(), data.toString(), "--json", json.toString());
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("images: 24 scored of 26 in " + data + "; 1 could not be read (listed on stderr); "
        + "1 lie outside any class folder and were not scored"), run.toString());
    assertTrue(run.err().contains("could not read light" + java.io.File.separator + "broken.png"), run.toString());
    JsonNode coverage = JSON.readTree(json.toFile()).get("coverage");
    assertEquals(26, coverage.get("found").asInt());
    assertEquals(24, coverage.get("scored").asInt());
    assertEquals(1, coverage.get("unreadable").asInt());
    assertEquals(1, coverage.get("outside_class_folders").asInt());
    assertEquals(24, JSON.readTree(json.toFile()).get("images").asInt());
  }

  @Test
  void fitRefusesAValidationFolderThatIsNoTrainingClass(@TempDir Path dir) throws Exception {
    CliTest.writeDarkLightFolder(dir.resolve("data/train"), 4, 1);
    CliTest.writeDarkLightFolder(dir.resolve("data/validation"), 2, 2);
    Files.move(dir.resolve("data/validation/light"), dir.resolve("data/validation/lite"));
    Run run = CliTest.run("fit", dir.resolve("data").toString(), "--out", dir.resolve("m.zip").toString(),
        "--epochs", "1", "--image-size", "16x16", "--channels", "1");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("validation: folder 'lite' in " + dir.resolve("data/validation")
        + " matches none of the classes [dark, light]"), run.toString());
    assertTrue(Files.notExists(dir.resolve("m.zip")));
  }
}
