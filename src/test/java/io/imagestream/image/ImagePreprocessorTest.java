package io.imagestream.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Decoding, colour conversion and resizing: the values the model sees, per format and colour model. */
class ImagePreprocessorTest {

  private static final InputShape RGB_64 = InputShape.parse("64x64x3");
  private static final InputShape GREY_28 = InputShape.parse("28x28x1");

  private static ImagePreprocessor preprocessor(InputShape shape) {
    return new ImagePreprocessor(shape, 40_000_000L, 20 * 1024 * 1024, Interpolation.BILINEAR);
  }

  private static byte[] pixels(InputShape shape, byte[] encoded) throws ImageRejectedException {
    byte[] pixels = preprocessor(shape).toPixels(encoded);
    assertEquals(shape.pixelCount(), pixels.length, "output length for " + shape);
    return pixels;
  }

  /** Every pixel of an RGB output is the colour, within the tolerance. */
  private static void assertAllRgb(byte[] pixels, int r, int g, int b, int tolerance) {
    for (int i = 0; i < pixels.length; i += 3) {
      int pixel = i / 3;
      assertClose(r, pixels[i], tolerance, "red of pixel " + pixel);
      assertClose(g, pixels[i + 1], tolerance, "green of pixel " + pixel);
      assertClose(b, pixels[i + 2], tolerance, "blue of pixel " + pixel);
    }
  }

  private static void assertAll(byte[] pixels, int value, int tolerance) {
    for (int i = 0; i < pixels.length; i++) {
      assertClose(value, pixels[i], tolerance, "value " + i);
    }
  }

  private static void assertClose(int expected, byte actual, int tolerance, String what) {
    int value = actual & 0xFF;
    assertTrue(Math.abs(expected - value) <= tolerance, what + ": expected " + expected + " +-" + tolerance
        + ", got " + value);
  }

  // ---- formats x colour models ---------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({"jpeg,2", "png,0", "gif,0", "bmp,0"})
  void solidRedBecomesRedInEveryFormat(String format, int tolerance) throws Exception {
    byte[] encoded = TestImages.solid(format, 50, 30, Color.RED);
    assertAllRgb(pixels(RGB_64, encoded), 255, 0, 0, tolerance);
  }

  @ParameterizedTest
  @CsvSource({"jpeg,3", "png,0", "gif,0", "bmp,0"})
  void mixedColourKeepsItsChannelsApart(String format, int tolerance) throws Exception {
    byte[] encoded = TestImages.solid(format, 40, 40, new Color(200, 120, 40));
    assertAllRgb(pixels(RGB_64, encoded), 200, 120, 40, tolerance);
  }

  @Test
  void channelsComeOutInRgbOrderRowMajor() throws Exception {
    // 2x2: red, green / blue, white
    byte[] rgb = {(byte) 255, 0, 0, 0, (byte) 255, 0, 0, 0, (byte) 255, (byte) 255, (byte) 255, (byte) 255};
    byte[] png = TestImages.encode(TestImages.rgbImage(rgb, 2, 2), "png");
    assertArrayEquals(rgb, pixels(new InputShape(2, 2, 3), png));
  }

  @ParameterizedTest
  @ValueSource(strings = {"png", "bmp", "gif"})
  void greyImageAtItsOwnSizeGivesBackTheExactBytes(String format) throws Exception {
    byte[] source = new byte[28 * 28]; // every value 0..255 appears, as in a Fashion-MNIST image
    for (int i = 0; i < source.length; i++) {
      source[i] = (byte) (i * 7);
    }
    assertArrayEquals(source, pixels(GREY_28, TestImages.grey(format, source, 28, 28)));
  }

  @Test
  void greyToRgbReplicatesTheValue() throws Exception {
    byte[] source = new byte[28 * 28];
    new Random(3).nextBytes(source);
    byte[] rgb = pixels(new InputShape(28, 28, 3), TestImages.grey("png", source, 28, 28));
    for (int i = 0; i < source.length; i++) {
      assertEquals(source[i], rgb[3 * i]);
      assertEquals(source[i], rgb[3 * i + 1]);
      assertEquals(source[i], rgb[3 * i + 2]);
    }
  }

  @Test
  void greyJpegKeepsItsLevel() throws Exception {
    byte[] source = new byte[32 * 32];
    Arrays.fill(source, (byte) 77);
    assertAll(pixels(new InputShape(32, 32, 1), TestImages.grey("jpeg", source, 32, 32)), 77, 1);
  }

  @Test
  void rgbToGreyIsPillowsLuma() throws Exception {
    // Pillow: L = R*299/1000 + G*587/1000 + B*114/1000, rounded: (200,100,50) -> 124.2 -> 124; mid grey stays put
    assertAll(pixels(GREY_28, TestImages.solid("png", 28, 28, new Color(200, 100, 50))), 124, 0);
    assertAll(pixels(GREY_28, TestImages.solid("png", 28, 28, new Color(128, 128, 128))), 128, 0);
    assertAll(pixels(GREY_28, TestImages.solid("png", 28, 28, new Color(255, 0, 0))), 76, 0);
    assertAll(pixels(GREY_28, TestImages.solid("png", 28, 28, new Color(0, 0, 255))), 29, 0);
  }

  @Test
  void greyIsNotPassedThroughJava2dsLinearGreyColourSpace() throws Exception {
    // Drawing a TYPE_BYTE_GRAY image into RGB would turn 128 into ~186 (linear -> sRGB gamma): must not happen.
    byte[] source = new byte[28 * 28];
    Arrays.fill(source, (byte) 128);
    assertAllRgb(pixels(new InputShape(28, 28, 3), TestImages.grey("png", source, 28, 28)), 128, 128, 128, 0);
  }

  @Test
  void alphaIsDroppedNotBlended() throws Exception {
    // Pillow's convert('RGB') drops alpha: even a fully transparent pixel keeps its stored colour.
    byte[] png = TestImages.solid("png", 20, 20, new Color(10, 200, 30, 0));
    assertAllRgb(pixels(RGB_64, png), 10, 200, 30, 0);
    byte[] halfTransparent = TestImages.solid("png", 20, 20, new Color(90, 60, 250, 128));
    assertAllRgb(pixels(RGB_64, halfTransparent), 90, 60, 250, 0);
  }

  @Test
  void greyWithAlphaKeepsTheGreyAndDropsTheAlpha() throws Exception {
    ColorModel model = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
        Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
    WritableRaster raster = model.createCompatibleWritableRaster(3, 1);
    raster.setPixels(0, 0, 3, 1, new int[] {0, 255, 128, 0, 255, 7});
    byte[] png = TestImages.encode(new BufferedImage(model, raster, false, null), "png");
    assertArrayEquals(new byte[] {0, (byte) 128, (byte) 255}, pixels(new InputShape(1, 3, 1), png));
  }

  @Test
  void indexedPngUsesItsPalette() throws Exception {
    byte[] reds = {(byte) 255, 0, 12};
    byte[] greens = {0, (byte) 255, 34};
    byte[] blues = {0, 0, 56};
    IndexColorModel palette = new IndexColorModel(8, 3, reds, greens, blues, 0); // index 0 transparent
    BufferedImage image = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_INDEXED, palette);
    image.getRaster().setSamples(0, 0, 4, 1, 0, new int[] {0, 1, 2, 2});
    byte[] png = TestImages.encode(image, "png");
    byte[] expected = {(byte) 255, 0, 0, 0, (byte) 255, 0, 12, 34, 56, 12, 34, 56};
    assertArrayEquals(expected, pixels(new InputShape(1, 4, 3), png));
  }

  @ParameterizedTest
  @ValueSource(strings = {"png", "bmp", "gif"})
  void oneBitImagesAreBlackAndWhite(String format) throws Exception {
    BufferedImage image = new BufferedImage(8, 1, BufferedImage.TYPE_BYTE_BINARY);
    image.getRaster().setSamples(0, 0, 8, 1, 0, new int[] {0, 1, 0, 1, 1, 0, 0, 1});
    byte[] expected = {0, -1, 0, -1, -1, 0, 0, -1};
    assertArrayEquals(expected, pixels(new InputShape(1, 8, 1), TestImages.encode(image, format)));
  }

  @Test
  void sixteenBitGreyPngKeepsTheHighByte() throws Exception {
    BufferedImage image = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
    image.getRaster().setSamples(0, 0, 3, 1, 0, new int[] {0x0000, 0x80FF, 0xFFFF});
    byte[] expected = {0, (byte) 0x80, (byte) 0xFF};
    assertArrayEquals(expected, pixels(new InputShape(1, 3, 1), TestImages.encode(image, "png")));
  }

  @Test
  void sixteenBitRgbPngKeepsTheHighByte() throws Exception {
    ColorModel model = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
        Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
    WritableRaster raster = model.createCompatibleWritableRaster(2, 1);
    raster.setPixels(0, 0, 2, 1, new int[] {0xFFFF, 0x1234, 0x0000, 0x7F00, 0xAB12, 0xCDEF});
    BufferedImage image = new BufferedImage(model, raster, false, null);
    byte[] expected = {(byte) 0xFF, 0x12, 0x00, 0x7F, (byte) 0xAB, (byte) 0xCD};
    assertArrayEquals(expected, pixels(new InputShape(1, 2, 3), TestImages.encode(image, "png")));
  }

  @Test
  void sixteenBitBmpFieldsAreScaledToFullRange() throws Exception {
    BufferedImage image = new BufferedImage(10, 10, BufferedImage.TYPE_USHORT_565_RGB);
    int[] argb = new int[100];
    Arrays.fill(argb, 0xFFFF0000);
    image.setRGB(0, 0, 10, 10, argb, 0, 10);
    assertAllRgb(pixels(new InputShape(10, 10, 3), TestImages.encode(image, "bmp")), 255, 0, 0, 0);
  }

  @Test
  void gifGivesItsFirstFrame() throws Exception {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.prepareWriteSequence(null);
      writer.writeToSequence(new IIOImage(ImageIO.read(
          new java.io.ByteArrayInputStream(TestImages.solid("png", 16, 16, Color.BLUE))), null, null), null);
      writer.writeToSequence(new IIOImage(ImageIO.read(
          new java.io.ByteArrayInputStream(TestImages.solid("png", 16, 16, Color.GREEN))), null, null), null);
      writer.endWriteSequence();
    } finally {
      writer.dispose();
    }
    assertAllRgb(pixels(RGB_64, out.toByteArray()), 0, 0, 255, 0);
  }

  // ---- CMYK and YCCK JPEGs -------------------------------------------------------------------------------

  @ParameterizedTest(name = "adobe transform {0}")
  @ValueSource(ints = {-1, 0, 2})
  void cmykJpegsBecomeRgb(int adobeTransform) throws Exception {
    byte[] red = TestImages.cmykJpeg(16, 16, new int[] {0, 255, 255, 0}, adobeTransform);
    assertAllRgb(pixels(RGB_64, red), 255, 0, 0, 2);
    byte[] blue = TestImages.cmykJpeg(16, 16, new int[] {255, 255, 0, 0}, adobeTransform);
    assertAllRgb(pixels(RGB_64, blue), 0, 0, 255, 2);
    // Pillow's formula: (255 - C)(255 - K) / 255 -> 50% black with 20% cyan: R = 204*127/255 = 102, G = B = 127
    byte[] mixed = TestImages.cmykJpeg(16, 16, new int[] {51, 0, 0, 128}, adobeTransform);
    assertAllRgb(pixels(RGB_64, mixed), 102, 127, 127, 2);
  }

  @Test
  void cmykJpegToGrey() throws Exception {
    byte[] red = TestImages.cmykJpeg(28, 28, new int[] {0, 255, 255, 0}, 0);
    assertAll(pixels(GREY_28, red), 76, 1);
  }

  @Test
  void largeCmykJpegIsSubsampledToo() throws Exception {
    byte[] red = TestImages.cmykJpeg(700, 500, new int[] {0, 255, 255, 0}, 2);
    assertAllRgb(pixels(RGB_64, red), 255, 0, 0, 2);
  }

  // ---- resizing ------------------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Interpolation.class)
  void halvesStayDarkLeftAndBrightRight(Interpolation interpolation) throws Exception {
    for (String format : List.of("png", "jpeg", "bmp", "gif")) {
      byte[] encoded = TestImages.halves(format, 100, 60);
      byte[] out = new ImagePreprocessor(RGB_64, 40_000_000L, 1 << 20, interpolation).toPixels(encoded);
      for (int y = 0; y < 64; y++) {
        for (int x = 0; x < 64; x++) {
          int value = out[(y * 64 + x) * 3] & 0xFF;
          if (x < 28) {
            assertTrue(value < 10, format + " " + interpolation + " (" + x + "," + y + ") dark: " + value);
          } else if (x >= 36) {
            assertTrue(value > 245, format + " " + interpolation + " (" + x + "," + y + ") bright: " + value);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"500,375", "375,500", "64,64", "1,1", "3,200", "4000,3000"})
  void anyAspectRatioFillsTheTargetExactly(int width, int height) throws Exception {
    byte[] out = pixels(RGB_64, TestImages.quadrants("jpeg", width, height));
    if (width >= 8 && height >= 8) {
      assertQuadrants(out, 64, 64);
    }
  }

  @Test
  void nonSquareTargetShape() throws Exception {
    InputShape shape = new InputShape(32, 48, 3);
    assertQuadrants(pixels(shape, TestImages.quadrants("png", 500, 375)), 48, 32);
  }

  /** Red top-left, green top-right, blue bottom-left, white bottom-right, away from the borders. */
  private static void assertQuadrants(byte[] rgb, int width, int height) {
    int[][] corners = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        boolean nearBorder = Math.abs(x - width / 2) < 3 || Math.abs(y - height / 2) < 3;
        if (!nearBorder) {
          int[] colour = corners[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)];
          int at = (y * width + x) * 3;
          for (int c = 0; c < 3; c++) {
            assertClose(colour[c], rgb[at + c], 8, "(" + x + "," + y + ") channel " + c);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Interpolation.class)
  void onePixelIsUpscaledToAllPixels(Interpolation interpolation) throws Exception {
    byte[] png = TestImages.solid("png", 1, 1, new Color(17, 34, 51));
    byte[] out = new ImagePreprocessor(RGB_64, 100, 1000, interpolation).toPixels(png);
    assertAllRgb(out, 17, 34, 51, 0);
  }

  @Test
  void noResizeWhenTheSizeAlreadyMatches() throws Exception {
    byte[] rgb = new byte[64 * 64 * 3];
    new Random(11).nextBytes(rgb);
    byte[] png = TestImages.encode(TestImages.rgbImage(rgb, 64, 64), "png");
    assertArrayEquals(rgb, pixels(RGB_64, png));
  }

  @Test
  void subsamplingKeepsAtLeastTwiceTheTargetSize() {
    ImageDecoder decoder = new ImageDecoder(1L << 40, 64, 64);
    assertEquals(2, decoder.subsamplingFactor(500, 375)); // 250x188 decoded, then resized to 64x64
    assertEquals(1, decoder.subsamplingFactor(255, 4000)); // not 2x in both dimensions
    assertEquals(1, decoder.subsamplingFactor(64, 64));
    assertEquals(23, decoder.subsamplingFactor(4000, 3000)); // 174x131 decoded
    assertEquals(1, decoder.subsamplingFactor(1, 1));
  }

  @Test
  void nearestPicksSourcePixelsWithoutMixing() throws Exception {
    byte[] out = new ImagePreprocessor(RGB_64, 40_000_000L, 1 << 20, Interpolation.NEAREST)
        .toPixels(TestImages.quadrants("png", 99, 77));
    for (int i = 0; i < out.length; i++) {
      int v = out[i] & 0xFF;
      assertTrue(v == 0 || v == 255, "value " + v + " at " + i + " is a mix");
    }
    assertQuadrants(out, 64, 64);
  }

  // ---- concurrency ---------------------------------------------------------------------------------------

  @Test
  void oneInstanceServesManyThreads() throws Exception {
    ImagePreprocessor shared = preprocessor(RGB_64);
    List<byte[]> inputs = IntStream.range(0, 40)
        .mapToObj(i -> TestImages.noise(i % 2 == 0 ? "jpeg" : "png", 80 + i, 70 + i, i)).toList();
    List<byte[]> sequential = new java.util.ArrayList<>();
    for (byte[] input : inputs) {
      sequential.add(shared.toPixels(input));
    }
    List<byte[]> parallel = IntStream.range(0, inputs.size() * 5).parallel().mapToObj(i -> {
      try {
        return shared.toPixels(inputs.get(i % inputs.size()));
      } catch (ImageRejectedException e) {
        throw new AssertionError(e);
      }
    }).toList();
    for (int i = 0; i < parallel.size(); i++) {
      assertArrayEquals(sequential.get(i % inputs.size()), parallel.get(i), "input " + i);
    }
  }

  @Test
  void shapeIsTheOneGiven() {
    assertEquals(RGB_64, preprocessor(RGB_64).shape());
  }

  @Test
  void rgbImageHelperStoresBandsInRgbOrder() {
    Raster raster = TestImages.rgbImage(new byte[] {1, 2, 3}, 1, 1).getRaster();
    assertArrayEquals(new int[] {1, 2, 3}, raster.getPixel(0, 0, (int[]) null));
  }
}
