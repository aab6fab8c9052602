package io.imagestream.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RescaleIntoTest {

  // 2 rows x 3 columns x RGB; pixel (y, x) has R = 10*(3y+x), G = R + 1, B = R + 2
  private static final InputShape SHAPE = new InputShape(2, 3, 3);
  private static final byte[] PIXELS = new byte[18];

  static {
    for (int p = 0; p < 6; p++) {
      PIXELS[3 * p] = (byte) (10 * p);
      PIXELS[3 * p + 1] = (byte) (10 * p + 1);
      PIXELS[3 * p + 2] = (byte) (10 * p + 2);
    }
  }

  private static float scaled(int value) {
    return value * (1f / 255f); // Keras: x *= 1./255 on a float32 array
  }

  @Test
  void nhwcKeepsThePixelOrder() {
    float[] dst = new float[18];
    ImagePreprocessor.rescaleInto(PIXELS, SHAPE, Layout.NHWC, dst, 0);
    for (int i = 0; i < 18; i++) {
      assertEquals(scaled(PIXELS[i] & 0xFF), dst[i], 0f, "index " + i);
    }
  }

  @Test
  void nchwPutsEachChannelInItsOwnPlane() {
    float[] dst = new float[18];
    ImagePreprocessor.rescaleInto(PIXELS, SHAPE, Layout.NCHW, dst, 0);
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < 2; y++) {
        for (int x = 0; x < 3; x++) {
          int value = 10 * (3 * y + x) + c;
          assertEquals(scaled(value), dst[c * 6 + y * 3 + x], 0f, "c=" + c + " y=" + y + " x=" + x);
        }
      }
    }
    assertEquals(scaled(0), dst[0], 0f); // R of (0,0)
    assertEquals(scaled(1), dst[6], 0f); // G of (0,0) starts the second plane
    assertEquals(scaled(52), dst[17], 0f); // B of (1,2) ends the last plane
  }

  @Test
  void valuesAreExactlyOneOver255WithTheFullRange() {
    byte[] all = new byte[256];
    for (int v = 0; v < 256; v++) {
      all[v] = (byte) v;
    }
    float[] dst = new float[256];
    ImagePreprocessor.rescaleInto(all, new InputShape(16, 16, 1), Layout.NCHW, dst, 0);
    for (int v = 0; v < 256; v++) {
      assertEquals(scaled(v), dst[v], 0f);
      assertEquals(v / 255.0, dst[v], 1e-7);
    }
    assertEquals(0f, dst[0], 0f);
    assertEquals(1f, dst[255], 0f);
  }

  @Test
  void writesOnlyItsOwnSliceAtTheOffset() {
    float[] dst = new float[18 * 3];
    Arrays.fill(dst, -1f);
    ImagePreprocessor.rescaleInto(PIXELS, SHAPE, Layout.NCHW, dst, 18);
    for (int i = 0; i < 18; i++) {
      assertEquals(-1f, dst[i], 0f);
      assertEquals(-1f, dst[36 + i], 0f);
    }
    assertEquals(scaled(1), dst[18 + 6], 0f);
    ImagePreprocessor.rescaleInto(PIXELS, SHAPE, Layout.NHWC, dst, 36);
    assertEquals(scaled(1), dst[36 + 1], 0f);
  }

  @Test
  void greyIsTheSameInBothLayouts() {
    byte[] grey = {0, 51, 102, (byte) 153, (byte) 204, (byte) 255};
    InputShape shape = new InputShape(2, 3, 1);
    float[] nchw = new float[6];
    float[] nhwc = new float[6];
    ImagePreprocessor.rescaleInto(grey, shape, Layout.NCHW, nchw, 0);
    ImagePreprocessor.rescaleInto(grey, shape, Layout.NHWC, nhwc, 0);
    assertEquals(Arrays.toString(nhwc), Arrays.toString(nchw));
    assertEquals(scaled(153), nchw[3], 0f);
  }

  @Test
  void rejectsMismatchedSizes() {
    assertThrows(IllegalArgumentException.class,
        () -> ImagePreprocessor.rescaleInto(new byte[17], SHAPE, Layout.NHWC, new float[18], 0));
    assertThrows(IndexOutOfBoundsException.class,
        () -> ImagePreprocessor.rescaleInto(PIXELS, SHAPE, Layout.NHWC, new float[18], 1));
    assertThrows(IndexOutOfBoundsException.class,
        () -> ImagePreprocessor.rescaleInto(PIXELS, SHAPE, Layout.NHWC, new float[20], -1));
  }

  @Test
  void worksOnWhatToPixelsReturns() throws Exception {
    ImagePreprocessor preprocessor =
        new ImagePreprocessor(InputShape.parse("8x8x3"), 1000, 10_000, Interpolation.NEAREST);
    byte[] pixels = preprocessor.toPixels(TestImages.solid("png", 8, 8, java.awt.Color.RED));
    float[] dst = new float[8 * 8 * 3];
    ImagePreprocessor.rescaleInto(pixels, preprocessor.shape(), Layout.NCHW, dst, 0);
    for (int i = 0; i < 64; i++) {
      assertEquals(1f, dst[i], 0f); // red plane
      assertEquals(0f, dst[64 + i], 0f); // green plane
      assertEquals(0f, dst[128 + i], 0f); // blue plane
    }
  }
}
