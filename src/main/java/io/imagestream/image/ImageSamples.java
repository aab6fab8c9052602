package io.imagestream.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;

/**
 * Reads a decoded BufferedImage's samples as 8-bit grey or RGB, straight from its raster.
 *
 * <p>Samples are taken as stored, never through Java2D colour conversion: Java's grey colour space is linear, so
 * drawing or getRGB on grey images changes the values (a gamma curve), and an embedded ICC profile would be
 * applied, which Pillow (and so Keras) does not do. Alpha is dropped, as Pillow's convert('RGB') does.
 */
final class ImageSamples {

  private static final int[] GREY_BAND = {0};
  private static final int[] RGB_BANDS = {0, 1, 2};

  private ImageSamples() {}

  static DecodedImage of(BufferedImage image) {
    if (image.isAlphaPremultiplied()) {
      image.coerceData(false); // stored colours are scaled by alpha; undo that to get the image's colours
    }
    ColorModel colorModel = image.getColorModel();
    if (colorModel instanceof IndexColorModel palette) {
      return fromPalette(image.getRaster(), palette);
    }
    int colourType = colorModel.getColorSpace().getType();
    int colours = colorModel.getNumColorComponents();
    if (colourType == ColorSpace.TYPE_GRAY && colours == 1) {
      return fromBands(image.getRaster(), colorModel, GREY_BAND);
    }
    if (colourType == ColorSpace.TYPE_RGB && colours == 3) {
      return fromBands(image.getRaster(), colorModel, RGB_BANDS);
    }
    return throughJava2d(image);
  }

  /** Copies the given bands (component order = band order in ImageIO's images), scaled to 8 bits. */
  private static DecodedImage fromBands(Raster raster, ColorModel colorModel, int[] bands) {
    int width = raster.getWidth();
    int height = raster.getHeight();
    byte[] out = new byte[width * height * bands.length];
    if (isEightBitInterleaved(raster, colorModel, bands)) {
      copyInterleavedBytes(raster, bands, out);
    } else {
      int[] bits = new int[bands.length];
      for (int b = 0; b < bands.length; b++) {
        bits[b] = colorModel.getComponentSize(bands[b]);
      }
      int stride = raster.getNumBands();
      int[] row = new int[width * stride];
      int o = 0;
      for (int y = 0; y < height; y++) {
        raster.getPixels(raster.getMinX(), raster.getMinY() + y, width, 1, row);
        for (int x = 0; x < width; x++) {
          for (int b = 0; b < bands.length; b++) {
            out[o++] = (byte) toEightBits(row[x * stride + bands[b]], bits[b]);
          }
        }
      }
    }
    return new DecodedImage(width, height, bands.length, out);
  }

  /** The fast path for JPEG, 8-bit PNG and 24-bit BMP: read the byte array directly, no per-pixel calls. */
  private static boolean isEightBitInterleaved(Raster raster, ColorModel colorModel, int[] bands) {
    if (!(raster.getDataBuffer() instanceof DataBufferByte)
        || !(raster.getSampleModel() instanceof PixelInterleavedSampleModel)
        || raster.getDataBuffer().getNumBanks() != 1) {
      return false;
    }
    for (int band : bands) {
      if (colorModel.getComponentSize(band) != 8) {
        return false;
      }
    }
    return true;
  }

  private static void copyInterleavedBytes(Raster raster, int[] bands, byte[] out) {
    PixelInterleavedSampleModel model = (PixelInterleavedSampleModel) raster.getSampleModel();
    DataBufferByte buffer = (DataBufferByte) raster.getDataBuffer();
    byte[] data = buffer.getData();
    int pixelStride = model.getPixelStride();
    int scanlineStride = model.getScanlineStride();
    int[] bandOffsets = model.getBandOffsets();
    // Where the raster's (minX, minY) sits in the buffer; 0 for ImageIO's images, but cheap to get right.
    int x0 = raster.getMinX() - raster.getSampleModelTranslateX();
    int y0 = raster.getMinY() - raster.getSampleModelTranslateY();
    int width = raster.getWidth();
    int height = raster.getHeight();
    // This copy was ~15 % of decoding a 64x64 JPEG (async-profiler): the byte loop's offsets are unknown to the JIT,
    // so every byte is bounds-checked. The common layouts get loops it can check once: ~4x faster, or arraycopy.
    if (bands.length == 1) {
      int offset = bandOffsets[bands[0]];
      for (int y = 0, o = 0; y < height; y++, o += width) {
        int pixel = buffer.getOffset() + (y0 + y) * scanlineStride + x0 * pixelStride + offset;
        if (pixelStride == 1) {
          System.arraycopy(data, pixel, out, o, width);
        } else {
          for (int x = 0; x < width; x++, pixel += pixelStride) {
            out[o + x] = data[pixel];
          }
        }
      }
      return;
    }
    int first = bandOffsets[bands[0]];
    int second = bandOffsets[bands[1]];
    int third = bandOffsets[bands[2]];
    if (pixelStride == 3 && scanlineStride == width * 3 && first == 2 && second == 1 && third == 0) {
      // ImageIO's colour JPEG (and 24-bit BMP) raster: BGR, rows back to back
      int start = buffer.getOffset() + y0 * scanlineStride + x0 * pixelStride;
      for (int i = 0; i < out.length; i += 3) {
        out[i] = data[start + i + 2];
        out[i + 1] = data[start + i + 1];
        out[i + 2] = data[start + i];
      }
      return;
    }
    int o = 0;
    for (int y = 0; y < height; y++) {
      int pixel = buffer.getOffset() + (y0 + y) * scanlineStride + x0 * pixelStride;
      for (int x = 0; x < width; x++, pixel += pixelStride, o += 3) {
        out[o] = data[pixel + first];
        out[o + 1] = data[pixel + second];
        out[o + 2] = data[pixel + third];
      }
    }
  }

  /** Palette images (indexed PNG, GIF, 1/2/4/8-bit BMP and grey PNG): look each index up; grey palettes stay grey. */
  private static DecodedImage fromPalette(Raster raster, IndexColorModel palette) {
    int size = palette.getMapSize();
    byte[] reds = new byte[size];
    byte[] greens = new byte[size];
    byte[] blues = new byte[size];
    palette.getReds(reds);
    palette.getGreens(greens);
    palette.getBlues(blues);
    boolean grey = java.util.Arrays.equals(reds, greens) && java.util.Arrays.equals(reds, blues);
    int channels = grey ? 1 : 3;
    int width = raster.getWidth();
    int height = raster.getHeight();
    byte[] out = new byte[width * height * channels];
    int[] row = new int[width];
    int o = 0;
    for (int y = 0; y < height; y++) {
      raster.getSamples(raster.getMinX(), raster.getMinY() + y, width, 1, 0, row);
      for (int x = 0; x < width; x++) {
        int index = Math.min(row[x], size - 1); // a corrupt index must not throw; the last entry is as good as any
        out[o++] = reds[index];
        if (!grey) {
          out[o++] = greens[index];
          out[o++] = blues[index];
        }
      }
    }
    return new DecodedImage(width, height, channels, out);
  }

  /** Last resort for colour spaces ImageIO rarely produces (none of the four formats' usual ones). */
  private static DecodedImage throughJava2d(BufferedImage image) {
    int width = image.getWidth();
    int height = image.getHeight();
    int[] argb = image.getRGB(0, 0, width, height, null, 0, width);
    byte[] out = new byte[width * height * 3];
    for (int i = 0, o = 0; i < argb.length; i++) {
      out[o++] = (byte) (argb[i] >> 16);
      out[o++] = (byte) (argb[i] >> 8);
      out[o++] = (byte) argb[i];
    }
    return new DecodedImage(width, height, 3, out);
  }

  /**
   * A sample of the given bit depth as 8 bits: deeper samples keep their high byte (as Pillow reads 16-bit PNGs);
   * shallower ones (5- and 6-bit BMP fields, 1/2/4-bit grey) are scaled with rounding so full scale stays 255.
   */
  static int toEightBits(int sample, int bits) {
    if (bits >= 8) {
      return sample >>> (bits - 8);
    }
    int max = (1 << bits) - 1;
    return (sample * 255 + max / 2) / max;
  }
}
