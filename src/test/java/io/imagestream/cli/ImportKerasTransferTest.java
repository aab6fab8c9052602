package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.cli.CliTest.Run;
import io.imagestream.image.InputShape;
import io.imagestream.model.KerasFixtures;
import io.imagestream.model.KerasImport;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code import-keras} on the transfer models Keras users save: a Sequential whose first layer is a nested VGG16 base
 * (full size and a narrow variant), a base saved on its own, BatchNormalization with GlobalAveragePooling2D. The .h5
 * files are written at test time in tf.keras 2.x's exact layout by a Python script (python3-h5py, python3-numpy;
 * skipped without them), which also computes the reference outputs with its own numpy forward pass.
 */
class ImportKerasTransferTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dir;

  @BeforeAll
  static void writeKerasFiles() throws Exception {
    KerasFixtures.assumePython(dir);
    KerasFixtures.write(dir, KerasFixtures.script("make_keras_transfer_h5.py"),
        List.of("vgg16", "vgg-narrow", "vgg-base", "bn-gap", "unsupported"));
  }

  @Test
  void theTutorialsVgg16TransferModelGivesKerasOutputsAndKeepsItsBaseFrozen() throws Exception {
    Path out = dir.resolve("vgg16.zip");
    Run run = importKeras("vgg16", out, "cars,planes");
    assertTrue(run.out().contains("input 64x64x3, sigmoid output, classes [cars, planes]; 18 of 21 layers frozen "
        + "(trainable=False)"), run.toString());

    LoadedModel model = ModelArtifact.load(out);
    assertEquals(new InputShape(64, 64, 3), model.inputShape());
    assertEquals(14_714_688 + 2048 * 256 + 256 + 257, model.network().numParams(), "VGG16's base and the head");
    // 13 conv + 5 pooling layers of the base are frozen (conv_base.trainable = False); the head's 3 layers train
    assertEquals(IntStream.range(0, 18).boxed().toList(), model.metadata().frozenLayers());
    assertEquals(21, model.network().getnLayers());
    assertOutputs(model, "vgg16", 2);
  }

  @Test
  void aNarrowVggWithAFineTunedBlockNestedAsModelGivesKerasOutputs() throws Exception {
    Path out = dir.resolve("narrow.zip");
    importKeras("vgg-narrow", out, "a,b,c");
    LoadedModel model = ModelArtifact.load(out);
    assertEquals(ModelMetadata.SOFTMAX, model.metadata().output());
    // blocks 1-4 (10 conv + 4 pooling layers) frozen; block 5 was unfrozen for fine-tuning, and so was the head
    assertEquals(IntStream.range(0, 14).boxed().toList(), model.metadata().frozenLayers());
    assertOutputs(model, "vgg-narrow", 3);
  }

  @Test
  void batchNormalizationAndGlobalAveragePoolingGiveKerasOutputs() throws Exception {
    Path out = dir.resolve("bn.zip");
    importKeras("bn-gap", out, "x,y,z");
    LoadedModel model = ModelArtifact.load(out);
    assertEquals(new InputShape(20, 20, 1), model.inputShape());
    assertEquals(null, model.metadata().frozenLayers(), "every layer trains");
    assertOutputs(model, "bn-gap", 3);
  }

  @Test
  void aBaseSavedOnItsOwnReadsWithKerasOutputsButIsNoClassifier() throws Exception {
    KerasImport.Network base = KerasImport.readNetwork(dir.resolve("vgg-base.h5"));
    assertFalse(base.classifier());
    assertEquals(18, base.network().getnLayers());
    assertEquals(List.of(), base.frozenLayers());
    JsonNode expected = JSON.readTree(dir.resolve("vgg-base.json").toFile());
    for (int i = 0; i < expected.get("pixels").size(); i++) {
      JsonNode image = expected.get("pixels").get(i);
      float[] nchw = new float[image.size()];
      for (int p = 0; p < image.size(); p++) { // HWC pixels to NCHW inputs, rescaled
        int y = p / (64 * 3);
        int x = p / 3 % 64;
        int c = p % 3;
        nchw[c * 64 * 64 + y * 64 + x] = image.get(p).asInt() / 255f;
      }
      INDArray output = base.network().output(Nd4j.create(nchw, new long[] {1, 3, 64, 64}, 'c'));
      INDArray hwc = output.permute(0, 2, 3, 1).dup('c'); // the script flattens Keras' (h, w, c)
      JsonNode keras = expected.get("outputs").get(i);
      assertEquals(keras.size(), hwc.length());
      for (int k = 0; k < keras.size(); k++) {
        assertEquals(keras.get(k).asDouble(), hwc.getDouble(k), 1e-4, "image " + i + " value " + k);
      }
    }

    Run run = CliTest.run("import-keras", dir.resolve("vgg-base.h5").toString(), "--out",
        dir.resolve("base.zip").toString(), "--classes", "a,b");
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.err().contains("ends without a classifier") && run.err().contains("--base vgg-base.h5"),
        run.toString());
    assertFalse(Files.exists(dir.resolve("base.zip")));
  }

  @Test
  void anUnsupportedLayerIsNamed() {
    Run run = CliTest.run("import-keras", dir.resolve("unsupported.h5").toString(), "--out",
        dir.resolve("u.zip").toString(), "--classes", "a,b");
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(List.of("imagestream import-keras: layer 'separable_conv2d' (SeparableConv2D) is not supported; "
        + "supported: Conv2D, MaxPooling2D, Flatten, Dense, Dropout, BatchNormalization, GlobalAveragePooling2D (and "
        + "nested Sequential/Functional models of them)"), run.errLines());
  }

  /** {@code import-keras} of {@code dir/kind.h5} to {@code out}, which must succeed. */
  private static Run importKeras(String kind, Path out, String classes) {
    Run run = CliTest.run("import-keras", dir.resolve(kind + ".h5").toString(), "--out", out.toString(),
        "--classes", classes);
    assertEquals(0, run.exitCode(), run.toString());
    return run;
  }

  /** The model's probabilities against the script's numpy forward pass, to 1e-4. */
  private static void assertOutputs(LoadedModel model, String kind, int classes) throws IOException {
    JsonNode expected = JSON.readTree(dir.resolve(kind + ".json").toFile());
    float[][] probabilities = model.predictPixels(KerasFixtures.pixels(expected));
    assertEquals(expected.get("outputs").size(), probabilities.length);
    for (int i = 0; i < probabilities.length; i++) {
      JsonNode keras = expected.get("outputs").get(i);
      if (classes == 2) {
        assertEquals(keras.get(0).asDouble(), probabilities[i][1], 1e-4, "image " + i);
      } else {
        for (int c = 0; c < classes; c++) {
          assertEquals(keras.get(c).asDouble(), probabilities[i][c], 1e-4, "image " + i + " class " + c);
        }
      }
    }
    double first = expected.get("outputs").get(0).get(0).asDouble();
    double second = expected.get("outputs").get(1).get(0).asDouble();
    assertTrue(Math.abs(first - second) > 1e-3, "the images must give different outputs: " + expected.get("outputs"));
  }

}
