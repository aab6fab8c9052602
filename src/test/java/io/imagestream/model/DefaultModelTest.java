package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The model the project ships (models/default.zip): what it claims, and that it reaches Keras-tutorial accuracy. */
class DefaultModelTest {
  private static final Path DEFAULT_MODEL = Path.of("models/default.zip");

  @Test
  void defaultModelIsAFashionMnistCnnWithAtLeast90PercentTestAccuracy() throws Exception {
    Assumptions.assumeTrue(FashionMnist.isPresent(FashionMnist.DEBIAN_DIR),
        "Fashion-MNIST not installed in " + FashionMnist.DEBIAN_DIR);
    Assumptions.assumeTrue(Files.isRegularFile(DEFAULT_MODEL), DEFAULT_MODEL + " not built yet");

    LoadedModel model = ModelArtifact.load(DEFAULT_MODEL);
    ModelMetadata metadata = model.metadata();
    assertEquals(FashionMnist.CLASS_NAMES, metadata.classNames());
    assertEquals(FashionMnist.SHAPE, metadata.inputShape());
    assertTrue(metadata.version() >= 1, "version " + metadata.version());
    assertEquals(Architectures.KERAS_TUTORIAL_CNN, metadata.architecture());
    assertEquals(ModelMetadata.SOFTMAX, metadata.output());

    LabelledDataset test = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Split.TEST);
    ClassificationReport report = ClassificationReport.evaluate(model, test);
    long evaluated = report.classes().stream().mapToLong(ClassificationReport.ClassScore::support).sum();
    assertEquals(10_000, evaluated);
    assertTrue(report.accuracy() >= 0.90, "test accuracy " + report.accuracy() + "\n" + report.format());
  }
}
