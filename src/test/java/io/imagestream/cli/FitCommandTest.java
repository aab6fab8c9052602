package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.cli.CliTest.Run;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fit} on folders: Keras' layouts, validation split, augmentation, early stopping, history and its plot. */
class FitCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] SMALL = {"--image-size", "16x16", "--channels", "1", "--batch-size", "16",
      "--learning-rate", "0.01"};

  private static Run fit(Path data, Path model, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("fit", data.toString(), "--out", model.toString()));
    args.addAll(List.of(SMALL));
    args.addAll(List.of(more));
    return CliTest.run(args.toArray(String[]::new));
  }

  @Test
  void validationSplitWithAugmentationWritesTheHistoryAndItsPlot(@TempDir Path dir) throws Exception {
    CliTest.writeDarkLightFolder(dir.resolve("data"), 40, 1);
    Path model = dir.resolve("model.zip");

    Run run = fit(dir.resolve("data"), model, "--epochs", "3", "--validation-split", "0.25", "--shear-range", "10",
        "--zoom-range", "0.2", "--horizontal-flip");
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("on 60 images (16x16x1), validating on 20"), run.toString());
    assertTrue(run.out().matches("(?s).*Epoch 3/3 - \\d+s - loss: [0-9.]+ - accuracy: [0-9.]+ - val_loss: [0-9.]+ "
        + "- val_accuracy: [0-9.]+.*"), run.toString());
    ModelMetadata metadata = ModelArtifact.readMetadata(Files.readAllBytes(model));
    assertEquals(60, metadata.training().trainingExamples());
    assertEquals(20, metadata.training().validationExamples());
    assertTrue(metadata.training().metrics().get("val_accuracy") >= 0.9, metadata.training().toString());

    JsonNode history = JSON.readTree(dir.resolve("model.zip.history.json").toFile());
    assertEquals(List.of("loss", "accuracy", "val_loss", "val_accuracy"), fieldNames(history));
    for (String metric : fieldNames(history)) {
      assertEquals(3, history.get(metric).size(), metric);
    }
    assertEquals(metadata.training().metrics().get("val_loss"), history.get("val_loss").get(2).asDouble(), 1e-12);

    BufferedImage plot = ImageIO.read(dir.resolve("model.zip.history.png").toFile());
    assertEquals(1200, plot.getWidth(), "loss and accuracy charts side by side, 600 px each");
    assertEquals(400, plot.getHeight());
  }

  @Test
  void trainAndValidationSubFolders(@TempDir Path dir) throws Exception {
    CliTest.writeDarkLightFolder(dir.resolve("data/train"), 30, 1);
    CliTest.writeDarkLightFolder(dir.resolve("data/validation"), 10, 2);
    Path model = dir.resolve("out/model.zip");

    Run run = fit(dir.resolve("data"), model, "--epochs", "2");
    assertEquals(0, run.exitCode(), run.toString());
    ModelMetadata metadata = ModelArtifact.readMetadata(Files.readAllBytes(model));
    assertEquals(60, metadata.training().trainingExamples());
    assertEquals(20, metadata.training().validationExamples());
    assertEquals(ModelMetadata.SIGMOID, metadata.output());
    JsonNode history = JSON.readTree(dir.resolve("out/model.zip.history.json").toFile());
    assertEquals(2, history.get("val_accuracy").size());
    assertTrue(Files.size(dir.resolve("out/model.zip.history.png")) > 1000);
  }

  @Test
  void earlyStoppingStopsWhenValLossStopsImprovingAndKeepsTheBestEpoch(@TempDir Path dir) throws Exception {
    // the validation folder's classes are swapped, so val_loss gets worse as the network learns the training data
    CliTest.writeDarkLightFolder(dir.resolve("data/train"), 40, 1);
    CliTest.writeDarkLightFolder(dir.resolve("swapped"), 10, 2);
    Files.createDirectories(dir.resolve("data/validation"));
    Files.move(dir.resolve("swapped/dark"), dir.resolve("data/validation/light"));
    Files.move(dir.resolve("swapped/light"), dir.resolve("data/validation/dark"));
    Path model = dir.resolve("model.zip");

    Run run = fit(dir.resolve("data"), model, "--epochs", "10", "--early-stopping-patience", "2");
    assertEquals(0, run.exitCode(), run.toString());
    java.util.regex.Matcher stop = java.util.regex.Pattern.compile(
        "Restoring model weights from the end of the best epoch: (\\d+)\\.\\s+Epoch (\\d+): early stopping")
        .matcher(run.out());
    assertTrue(stop.find(), run.toString());
    int best = Integer.parseInt(stop.group(1));
    int stopped = Integer.parseInt(stop.group(2));
    assertEquals(best + 2, stopped, run.toString());
    assertTrue(stopped < 10, run.toString());
    JsonNode history = JSON.readTree(dir.resolve("model.zip.history.json").toFile());
    assertEquals(stopped, history.get("val_loss").size());
    ModelMetadata metadata = ModelArtifact.readMetadata(Files.readAllBytes(model));
    assertEquals(stopped, metadata.training().epochs());
    assertEquals(history.get("val_loss").get(best - 1).asDouble(), metadata.training().metrics().get("val_loss"),
        1e-12, "the metadata describes the kept (best) epoch");
  }

  @Test
  void clearErrorsForContradictoryOptions(@TempDir Path dir) throws Exception {
    CliTest.writeDarkLightFolder(dir.resolve("data/train"), 2, 1);
    CliTest.writeDarkLightFolder(dir.resolve("data/validation"), 2, 2);
    CliTest.writeDarkLightFolder(dir.resolve("flat"), 2, 3);
    Path model = dir.resolve("m.zip");

    Run both = fit(dir.resolve("data"), model, "--validation-split", "0.2");
    assertEquals(2, both.exitCode(), both.toString());
    assertEquals(List.of("imagestream fit: " + dir.resolve("data")
        + " has a validation folder: use it or --validation-split, not both"), both.errLines());

    Run noValidation = fit(dir.resolve("flat"), model, "--early-stopping-patience", "3");
    assertEquals(2, noValidation.exitCode(), noValidation.toString());
    assertEquals(1, noValidation.errLines().size(), noValidation.toString());
    assertTrue(noValidation.err().contains("--early-stopping-patience watches val_loss"), noValidation.toString());

    Run badSplit = fit(dir.resolve("flat"), model, "--validation-split", "1.5");
    assertEquals(2, badSplit.exitCode(), badSplit.toString());
    assertTrue(badSplit.err().contains("--validation-split must be between 0 and 1"), badSplit.toString());
    assertTrue(Files.notExists(model));
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
