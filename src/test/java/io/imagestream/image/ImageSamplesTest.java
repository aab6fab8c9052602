package io.imagestream.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.Point;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The raster copy's layouts: ImageIO's BGR and grey rasters (fast paths), sub-images (offset rows), and other band
 * orders and pixel strides (general path) must all give the same RGB or grey samples.
 */
class ImageSamplesTest {

  private static BufferedImage randomImage(int type, int width, int height, long seed) {
    BufferedImage image = new BufferedImage(width, height, type);
    Random random = new Random(seed);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int grey = random.nextInt(256);
        image.getRaster().setPixel(x, y, type == BufferedImage.TYPE_BYTE_GRAY ? new int[] {grey}
            : new int[] {random.nextInt(256), random.nextInt(256), random.nextInt(256)});
      }
    }
    return image;
  }

  /** The samples as the raster's bands give them, one pixel call at a time (ImageIO's bands are R, G, B). */
  private static byte[] expected(Raster raster, int channels) {
    byte[] out = new byte[raster.getWidth() * raster.getHeight() * channels];
    int[] pixel = new int[raster.getNumBands()];
    int o = 0;
    for (int y = 0; y < raster.getHeight(); y++) {
      for (int x = 0; x < raster.getWidth(); x++) {
        raster.getPixel(raster.getMinX() + x, raster.getMinY() + y, pixel);
        for (int c = 0; c < channels; c++) {
          out[o++] = (byte) pixel[c];
        }
      }
    }
    return out;
  }

  @Test
  void bgrRasterComesOutAsRgb() {
    BufferedImage image = randomImage(BufferedImage.TYPE_3BYTE_BGR, 37, 23, 1);
    DecodedImage samples = ImageSamples.of(image);
    assertEquals(3, samples.channels());
    assertArrayEquals(expected(image.getRaster(), 3), samples.samples());
    int rgb = image.getRGB(5, 7);
    int at = (7 * 37 + 5) * 3;
    assertEquals((rgb >> 16) & 0xFF, samples.samples()[at] & 0xFF);
    assertEquals((rgb >> 8) & 0xFF, samples.samples()[at + 1] & 0xFF);
    assertEquals(rgb & 0xFF, samples.samples()[at + 2] & 0xFF);
  }

  @Test
  void subImagesOfBgrAndGreyRastersCopyOnlyTheirPart() {
    BufferedImage bgr = randomImage(BufferedImage.TYPE_3BYTE_BGR, 40, 30, 2).getSubimage(3, 5, 20, 11);
    assertArrayEquals(expected(bgr.getRaster(), 3), ImageSamples.of(bgr).samples());
    BufferedImage fullRows = randomImage(BufferedImage.TYPE_3BYTE_BGR, 40, 30, 3).getSubimage(0, 9, 40, 4);
    assertArrayEquals(expected(fullRows.getRaster(), 3), ImageSamples.of(fullRows).samples());
    BufferedImage grey = randomImage(BufferedImage.TYPE_BYTE_GRAY, 40, 30, 4).getSubimage(7, 2, 13, 17);
    DecodedImage greySamples = ImageSamples.of(grey);
    assertEquals(1, greySamples.channels());
    assertArrayEquals(expected(grey.getRaster(), 1), greySamples.samples());
  }

  @Test
  void otherBandOrdersAndPixelStridesTakeTheGeneralPath() {
    // RGB in band order with a padding byte per pixel (stride 4): neither fast path applies
    ColorModel rgb = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
        ColorModel.OPAQUE, DataBuffer.TYPE_BYTE);
    int width = 9;
    int height = 6;
    WritableRaster raster = Raster.createWritableRaster(
        new PixelInterleavedSampleModel(DataBuffer.TYPE_BYTE, width, height, 4, width * 4, new int[] {1, 2, 3}),
        new Point(0, 0));
    Random random = new Random(5);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        raster.setPixel(x, y, new int[] {random.nextInt(256), random.nextInt(256), random.nextInt(256)});
      }
    }
    BufferedImage image = new BufferedImage(rgb, raster, false, null);
    assertArrayEquals(expected(raster, 3), ImageSamples.of(image).samples());
  }
}
