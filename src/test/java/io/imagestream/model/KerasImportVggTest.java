package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.image.InputShape;
import io.imagestream.image.Layout;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VGG-style Keras 2 model with BatchNormalization (after convolutions and after a Dense layer, with non-trivial
 * moving statistics and Keras' epsilon) imports and gives the outputs of a numpy forward pass, served in NHWC.
 * The .h5 files come from a Python script (Debian's python3-h5py and python3-numpy; skipped without them).
 */
class KerasImportVggTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dir;

  @BeforeAll
  static void writeKerasFiles() throws Exception {
    KerasFixtures.assumePython(dir);
    KerasFixtures.write(dir, KerasFixtures.script("make_keras_vgg_h5.py"), List.of("vggbn", "avgpool"));
  }

  @Test
  void batchNormalizationLayersGiveKerasOutputs() throws Exception {
    KerasImport.Imported imported = KerasImport.importModel(dir.resolve("vggbn.h5"), List.of("a", "b", "c"), "vgg");
    LoadedModel model = LoadedModel.of(imported.network(), imported.metadata());
    assertEquals(new InputShape(12, 14, 1), model.inputShape());
    assertEquals(Layout.NHWC, model.inputLayout(), "served in NHWC");

    JsonNode expected = JSON.readTree(dir.resolve("vggbn.json").toFile());
    List<byte[]> pixels = KerasFixtures.pixels(expected);
    float[][] probabilities = model.predictPixels(pixels);
    double spread = 0;
    for (int i = 0; i < probabilities.length; i++) {
      for (int c = 0; c < 3; c++) {
        double keras = expected.get("outputs").get(i).get(c).asDouble();
        assertEquals(keras, probabilities[i][c], 1e-4, "image " + i + " class " + c);
        spread = Math.max(spread, Math.abs(keras - expected.get("outputs").get(0).get(c).asDouble()));
      }
    }
    assertTrue(spread > 0.01, "the expected outputs hardly depend on the image: " + expected.get("outputs"));
  }

  @Test
  void anUnsupportedLayerIsNamed() {
    KerasImport.UnsupportedModelException e = assertThrows(KerasImport.UnsupportedModelException.class,
        () -> KerasImport.importModel(dir.resolve("avgpool.h5"), List.of("a", "b", "c"), "x"));
    assertTrue(e.getMessage().startsWith("layer 'average_pooling2d' (AveragePooling2D) is not supported; supported: "
        + "Conv2D, MaxPooling2D, Flatten, Dense, Dropout, BatchNormalization"), e.getMessage());
  }
}
