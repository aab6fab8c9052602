package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.cli.CliTest.Run;
import io.imagestream.image.InputShape;
import io.imagestream.model.KerasFixtures;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code import-keras} on real .h5 files written in Keras 2's exact HDF5 layout by a Python script (Debian's
 * python3-h5py and python3-numpy; skipped without them), checked against the script's own numpy forward pass.
 * Nested models (a VGG16 base), BatchNormalization and refusals: {@link ImportKerasTransferTest}.
 */
class ImportKerasCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dir;

  @BeforeAll
  static void writeKerasFiles() throws Exception {
    KerasFixtures.assumePython(dir);
    Path script = KerasFixtures.script("make_keras_h5.py");
    KerasFixtures.write(dir, script, List.of("binary64", "softmax3", "batchnorm"));
    assertEquals(0, KerasFixtures.python(dir, script.toString(), "keras3", dir.resolve("model.keras").toString(), "-"));
  }

  @Test
  void a64x64RgbSigmoidModelGivesKerasOutputs() throws Exception {
    Path out = dir.resolve("models/binary.zip");
    Run run = CliTest.run("import-keras", dir.resolve("binary64.h5").toString(), "--out", out.toString(),
        "--classes", "cats,dogs", "--name", "cats-dogs");
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("input 64x64x3, sigmoid output, classes [cats, dogs]"), run.toString());

    LoadedModel model = ModelArtifact.load(out);
    assertEquals(new InputShape(64, 64, 3), model.inputShape());
    assertEquals(List.of("cats", "dogs"), model.classNames());
    assertEquals(ModelMetadata.SIGMOID, model.metadata().output());
    assertEquals("cats-dogs", model.metadata().name());
    assertEquals(1.0 / 255, model.metadata().preprocessing().rescale(), 1e-15);
    assertEquals("NCHW", model.metadata().input().layout());

    JsonNode expected = JSON.readTree(dir.resolve("binary64.json").toFile());
    float[][] probabilities = model.predictPixels(KerasFixtures.pixels(expected));
    assertEquals(4, probabilities.length);
    for (int i = 0; i < probabilities.length; i++) {
      double keras = expected.get("outputs").get(i).get(0).asDouble(); // Keras' sigmoid: P(class 1)
      assertEquals(keras, probabilities[i][1], 1e-4, "image " + i);
      assertEquals(1 - keras, probabilities[i][0], 1e-4, "image " + i);
    }
    assertDistinct(expected);
  }

  @Test
  void aSoftmaxModelWithDropoutGivesKerasOutputs() throws Exception {
    Path out = dir.resolve("models/three.zip");
    Run run = CliTest.run("import-keras", dir.resolve("softmax3.h5").toString(), "--out", out.toString(),
        "--classes", "bird,cat,dog");
    assertEquals(0, run.exitCode(), run.toString());

    LoadedModel model = ModelArtifact.load(out);
    assertEquals(new InputShape(20, 24, 1), model.inputShape());
    assertEquals(ModelMetadata.SOFTMAX, model.metadata().output());
    assertEquals("grayscale", model.metadata().preprocessing().colorMode());
    JsonNode expected = JSON.readTree(dir.resolve("softmax3.json").toFile());
    float[][] probabilities = model.predictPixels(KerasFixtures.pixels(expected));
    for (int i = 0; i < probabilities.length; i++) {
      for (int c = 0; c < 3; c++) {
        assertEquals(expected.get("outputs").get(i).get(c).asDouble(), probabilities[i][c], 1e-4,
            "image " + i + " class " + c);
      }
    }
    assertDistinct(expected);
  }

  @Test
  void aKeras3FileIsRefusedWithWhatToDo() {
    Run run = CliTest.run("import-keras", dir.resolve("model.keras").toString(), "--out",
        dir.resolve("k3.zip").toString(), "--classes", "a,b");
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(List.of("imagestream import-keras: " + dir.resolve("model.keras") + " is a zip: Keras 3 .keras "
        + "files are not supported; save as .h5 with Keras 2 / tf.keras"), run.errLines());
    assertFalse(Files.exists(dir.resolve("k3.zip")));
  }

  @Test
  void aBatchNormalizationLayerImports() {
    // refused before BatchNormalization was supported; KerasImportVggTest checks its outputs against numpy
    Run run = CliTest.run("import-keras", dir.resolve("batchnorm.h5").toString(), "--out",
        dir.resolve("bn.zip").toString(), "--classes", "a,b,c");
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(Files.isRegularFile(dir.resolve("bn.zip")));
  }

  @Test
  void theClassCountMustMatchTheOutput() {
    Run sigmoid = CliTest.run("import-keras", dir.resolve("binary64.h5").toString(), "--out",
        dir.resolve("c.zip").toString(), "--classes", "a,b,c");
    assertEquals(2, sigmoid.exitCode(), sigmoid.toString());
    assertEquals(1, sigmoid.errLines().size(), sigmoid.toString());
    assertTrue(sigmoid.err().contains("--classes names 3 classes but the model's output is 1 sigmoid unit "
        + "(2 classes): give 2 class names"), sigmoid.toString());

    Run softmax = CliTest.run("import-keras", dir.resolve("softmax3.h5").toString(), "--out",
        dir.resolve("c.zip").toString(), "--classes", "a,b");
    assertEquals(2, softmax.exitCode(), softmax.toString());
    assertTrue(softmax.err().contains("the model's output is 3 softmax units: give 3 class names"),
        softmax.toString());
    assertFalse(Files.exists(dir.resolve("c.zip")));
  }

  @Test
  void notAnHdf5FileIsRefused() throws IOException {
    Path text = Files.writeString(dir.resolve("notes.h5"), "not hdf5\n");
    Run run = CliTest.run("import-keras", text.toString(), "--out", dir.resolve("n.zip").toString(), "--classes",
        "a,b");
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(List.of("imagestream import-keras: " + text + " is not an HDF5 file (a Keras 2 / tf.keras "
        + "model.save('model.h5'))"), run.errLines());
  }


  /** The comparison means something only if the images give different outputs. */
  private static void assertDistinct(JsonNode expected) {
    double first = expected.get("outputs").get(0).get(0).asDouble();
    double second = expected.get("outputs").get(1).get(0).asDouble();
    assertTrue(Math.abs(first - second) > 1e-3, expected.get("outputs").toString());
  }
}
