package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The models the project ships: what they claim, and the test-split accuracy the README gives for them
 * (models/default.zip, the tutorial CNN; models/fashion-vgg.zip, the stronger vgg-bn).
 */
class DefaultModelTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({"models/default.zip, keras-tutorial-cnn, 0.90", "models/fashion-vgg.zip, vgg-bn, 0.93"})
  void shippedModelIsAFashionMnistNetworkWithItsTestAccuracy(String file, String architecture, double minAccuracy)
      throws Exception {
    Path path = Path.of(file);
    Assumptions.assumeTrue(FashionMnist.isPresent(FashionMnist.DEBIAN_DIR),
        "Fashion-MNIST not installed in " + FashionMnist.DEBIAN_DIR);
    assertTrue(Files.isRegularFile(path), path + " is shipped with the project");

    LoadedModel model = ModelArtifact.load(path);
    ModelMetadata metadata = model.metadata();
    assertEquals(FashionMnist.CLASS_NAMES, metadata.classNames());
    assertEquals(FashionMnist.SHAPE, metadata.inputShape());
    assertTrue(metadata.version() >= 1, "version " + metadata.version());
    assertEquals(architecture, metadata.architecture());
    assertEquals(ModelMetadata.SOFTMAX, metadata.output());
    assertEquals(Files.readString(Path.of(file + ".sha256")).split("\\s+")[0], ModelArtifact.sha256(Files.readAllBytes(path)),
        file + ".sha256");

    LabelledDataset test = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Split.TEST);
    ClassificationReport report = ClassificationReport.evaluate(model, test);
    long evaluated = report.classes().stream().mapToLong(ClassificationReport.ClassScore::support).sum();
    assertEquals(10_000, evaluated);
    assertTrue(report.accuracy() >= minAccuracy, "test accuracy " + report.accuracy() + "\n" + report.format());
  }
}
