package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.image.InputShape;
import io.imagestream.testing.TestModels;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Turning pixels into network input, and network output into one probability per class. */
class LoadedModelTest {

  @Test
  void softmaxRowsAreProbabilitiesOverEveryClass() {
    InputShape shape = new InputShape(12, 12, 3);
    List<String> classes = List.of("a", "b", "c", "d");
    LoadedModel model = LoadedModel.of(Architectures.build(Architectures.KERAS_TUTORIAL_CNN, shape, 4, 3, 0.001),
        TestModels.metadata("soft", 1, classes, shape, ModelMetadata.SOFTMAX));
    float[][] p = model.predictPixels(TestModels.randomPixels(6, shape, 4));
    assertEquals(6, p.length);
    for (float[] row : p) {
      assertEquals(4, row.length);
      assertEquals(1.0, sum(row), 1e-5, Arrays.toString(row));
      for (float v : row) {
        assertTrue(v > 0 && v < 1, Arrays.toString(row));
      }
    }
  }

  @Test
  void sigmoidOutputBecomesTwoColumnsOneMinusPAndP() {
    LoadedModel model = TestModels.darkLight();
    List<byte[]> pixels = List.of(TestModels.filled(TestModels.SHAPE, 20), TestModels.filled(TestModels.SHAPE, 235));
    float[][] p = model.predictPixels(pixels);
    float[] raw = model.servingNetwork().output(model.toInput(pixels), false).dup('c').data().asFloat();
    assertEquals(2, raw.length, "one sigmoid unit per image");
    for (int i = 0; i < 2; i++) {
      assertEquals(2, p[i].length);
      assertEquals(raw[i], p[i][1], 1e-7);
      assertEquals(1 - raw[i], p[i][0], 1e-7);
      assertEquals(1.0, sum(p[i]), 1e-6);
    }
    assertEquals(0, LoadedModel.argMax(p[0]), "dark image: " + Arrays.toString(p[0]));
    assertEquals(1, LoadedModel.argMax(p[1]), "light image: " + Arrays.toString(p[1]));
  }

  @Test
  void argMaxIsTheIndexOfTheLargestValueFirstOnTies() {
    assertEquals(1, LoadedModel.argMax(new float[] {0.1f, 0.7f, 0.2f}));
    assertEquals(2, LoadedModel.argMax(new float[] {0.1f, 0.2f, 0.7f}));
    assertEquals(0, LoadedModel.argMax(new float[] {0.9f, 0.05f, 0.05f}));
    assertEquals(1, LoadedModel.argMax(new float[] {0.2f, 0.4f, 0.4f}));
    assertEquals(0, LoadedModel.argMax(new float[] {0.5f}));
  }

  @Test
  void toInputIsNchwRescaledBy255ForAModelServedInNchw() {
    InputShape shape = new InputShape(2, 3, 3);
    LoadedModel model = LoadedModel.of(null, TestModels.metadata("shape-only", 1, List.of("x", "y", "z"), shape,
        ModelMetadata.SOFTMAX));
    List<byte[]> images = TestModels.randomPixels(2, shape, 8);
    assertEquals(io.imagestream.image.Layout.NCHW, model.inputLayout(), "no network, no NHWC copy");
    INDArray input = model.toInput(images);
    assertArrayEquals(new long[] {2, 3, 2, 3}, input.shape());
    for (int n = 0; n < 2; n++) {
      byte[] hwc = images.get(n);
      for (int y = 0; y < 2; y++) {
        for (int x = 0; x < 3; x++) {
          for (int c = 0; c < 3; c++) {
            float expected = (hwc[(y * 3 + x) * 3 + c] & 0xFF) / 255f;
            assertEquals(expected, input.getFloat(n, c, y, x), 1e-7, "n" + n + " y" + y + " x" + x + " c" + c);
          }
        }
      }
    }
    // the flat c-order buffer is channel planes: all of R, then G, then B
    float[] flat = input.dup('c').data().asFloat();
    assertEquals((images.get(0)[1] & 0xFF) / 255f, flat[6], 1e-7, "first pixel's G is the first value of plane 1");
    assertEquals((images.get(1)[2] & 0xFF) / 255f, flat[18 + 12], 1e-7, "second image's first B");
  }

  private static double sum(float[] row) {
    double s = 0;
    for (float v : row) {
      s += v;
    }
    return s;
  }

  @Test
  void aSmallerBatchAfterALargerOneHoldsOnlyItsOwnImages() {
    LoadedModel model = TestModels.darkLight();
    model.toInput(TestModels.randomPixels(8, TestModels.SHAPE, 7)); // fills the thread's buffer with other values
    List<byte[]> two = List.of(TestModels.filled(TestModels.SHAPE, 51), TestModels.filled(TestModels.SHAPE, 102));
    INDArray input = model.toInput(two);
    assertEquals(2, input.size(0));
    float[] values = input.dup('c').data().asFloat();
    assertEquals(2 * TestModels.SHAPE.pixelCount(), values.length);
    for (int i = 0; i < values.length; i++) {
      assertEquals(i < TestModels.SHAPE.pixelCount() ? 0.2f : 0.4f, values[i], 1e-6, "value " + i);
    }
    assertArrayEquals(model.predictPixels(two)[1], model.predictPixels(List.of(two.get(1)))[0], 1e-5f,
        "the same image gives the same probabilities whatever ran before it");
  }
}
