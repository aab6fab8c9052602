package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.cli.CliTest.Run;
import io.imagestream.image.TestImages;
import io.imagestream.model.Architectures;
import io.imagestream.model.ClassificationReport;
import io.imagestream.model.FashionMnist;
import io.imagestream.model.LabelledDataset;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import io.imagestream.model.ModelTrainer;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transfer learning pays with few labels: a base trained (by this project's code) on Fashion-MNIST's classes 0-4,
 * frozen under a new head fitted on 10 images of each of classes 5-9, beats the same {@code fit} from scratch on those
 * 50 images, on the test split of classes 5-9. Skipped without Debian's dataset-fashion-mnist.
 */
class TransferPaysTest {
  private static final List<Integer> BASE_CLASSES = List.of(0, 1, 2, 3, 4);
  private static final List<Integer> NEW_CLASSES = List.of(5, 6, 7, 8, 9);

  @Test
  void aFrozenBaseFromFiveClassesBeatsTrainingFromScratchOnTenImagesOfEachOfTheOtherFive(@TempDir Path dir)
      throws Exception {
    Assumptions.assumeTrue(FashionMnist.isPresent(FashionMnist.DEBIAN_DIR), "needs dataset-fashion-mnist");
    LabelledDataset train = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Split.TRAIN);
    LabelledDataset test = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Split.TEST);

    // the base: the tutorial CNN on 1,000 images of each of classes 0-4, 3 epochs
    LabelledDataset baseData = pick(train, BASE_CLASSES, 1_000, List.copyOf(FashionMnist.CLASS_NAMES.subList(0, 5)));
    MultiLayerNetwork base = Architectures.build(Architectures.KERAS_TUTORIAL_CNN, FashionMnist.SHAPE, 5, 42, 0.001);
    new ModelTrainer(new ModelTrainer.Options(3, 32, 42)).fit(base, baseData, null, new ModelTrainer.Listener() {});
    Path baseFile = dir.resolve("base-0-4.zip");
    ModelArtifact.write(baseFile, base, new ModelMetadata("fashion-0-4", 1, 0, Architectures.KERAS_TUTORIAL_CNN,
        baseData.classNames(), ModelMetadata.Input.of(FashionMnist.SHAPE),
        new ModelMetadata.Preprocessing(1.0 / 255, "bilinear", "grayscale"), ModelMetadata.SOFTMAX,
        new ModelMetadata.Training("fashion-mnist classes 0-4", 3, 32, baseData.size(), 0, Map.of(), 0),
        "2026-12-06T00:00:00Z", null));

    // 10 images of each of classes 5-9, as class folders
    Path folder = dir.resolve("few");
    LabelledDataset few = pick(train, NEW_CLASSES, 10, names(NEW_CLASSES));
    for (int i = 0; i < few.size(); i++) {
      Path classDir = Files.createDirectories(folder.resolve(few.classNames().get(few.label(i))));
      Files.write(classDir.resolve(i + ".png"), TestImages.grey("png", few.pixels(i), 28, 28));
    }

    Run transfer = CliTest.run("fit", folder.toString(), "--out", dir.resolve("transfer.zip").toString(), "--base",
        baseFile.toString(), "--epochs", "30");
    assertEquals(0, transfer.exitCode(), transfer.toString());
    Run scratch = CliTest.run("fit", folder.toString(), "--out", dir.resolve("scratch.zip").toString(),
        "--image-size", "28x28", "--channels", "1", "--epochs", "30");
    assertEquals(0, scratch.exitCode(), scratch.toString());

    double transferAccuracy = accuracy(ModelArtifact.load(dir.resolve("transfer.zip")), test);
    double scratchAccuracy = accuracy(ModelArtifact.load(dir.resolve("scratch.zip")), test);
    System.out.printf("classes 5-9 test split, 10 training images per class: transfer %.4f, scratch %.4f%n",
        transferAccuracy, scratchAccuracy);
    assertTrue(transferAccuracy > scratchAccuracy, "transfer " + transferAccuracy + " vs scratch " + scratchAccuracy);
    assertTrue(transferAccuracy >= 0.8, "transfer " + transferAccuracy);
  }

  /** Accuracy on the test images of classes 5-9, labelled in the model's class order (sorted folder names). */
  private static double accuracy(LoadedModel model, LabelledDataset test) {
    LabelledDataset five = pick(test, NEW_CLASSES, Integer.MAX_VALUE, model.classNames());
    assertEquals(5_000, five.size());
    return ClassificationReport.evaluate(model, five).accuracy();
  }

  private static List<String> names(List<Integer> classes) {
    return classes.stream().map(FashionMnist.CLASS_NAMES::get).toList();
  }

  /** Up to {@code perClass} images of each of the classes, labelled by their index in {@code classNames}. */
  private static LabelledDataset pick(LabelledDataset data, List<Integer> classes, int perClass,
                                      List<String> classNames) {
    ByteArrayOutputStream pixels = new ByteArrayOutputStream();
    List<Integer> labels = new ArrayList<>();
    int[] taken = new int[10];
    for (int i = 0; i < data.size(); i++) {
      int label = data.label(i);
      if (classes.contains(label) && taken[label] < perClass) {
        taken[label]++;
        pixels.writeBytes(data.pixels(i));
        labels.add(classNames.indexOf(FashionMnist.CLASS_NAMES.get(label)));
      }
    }
    return new LabelledDataset(data.shape(), classNames, pixels.toByteArray(),
        labels.stream().mapToInt(Integer::intValue).toArray());
  }
}
