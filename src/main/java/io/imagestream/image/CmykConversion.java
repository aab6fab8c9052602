package io.imagestream.image;

import java.awt.image.Raster;

/**
 * RGB from the raw 4-component raster of a CMYK or YCCK JPEG, as Pillow (and so Keras) does it.
 *
 * <p>We read such JPEGs with {@code ImageReader.readRaster}, which returns the components exactly as stored.
 * (Older JDKs refuse {@code read()} with "Unsupported Image Type"; newer ones convert, but always assume inverted
 * values and use their own colour maths, which differ from Pillow's.) The steps, as libjpeg and Pillow take them:
 * <ol>
 *   <li>YCCK (Adobe transform 2): Y, Cb, Cr are JFIF YCbCr of (255-C, 255-M, 255-Y), so convert YCbCr to RGB and
 *       subtract from 255 to get C, M, Y back; K is stored as it is.
 *   <li>Photoshop stores CMYK inverted (0 = full ink) and marks its files with the Adobe APP14 marker: when that
 *       marker is present, invert all four (Pillow's "CMYK;I" raw mode).
 *   <li>CMYK to RGB without a colour profile, Pillow's formula: R = (255-C)(255-K)/255, likewise G and B.
 * </ol>
 */
final class CmykConversion {

  private CmykConversion() {}

  static DecodedImage toRgb(Raster raster, JpegHeader header) {
    int width = raster.getWidth();
    int height = raster.getHeight();
    boolean ycck = header.adobeTransform() == JpegHeader.ADOBE_YCCK;
    boolean inverted = header.hasAdobeMarker();
    int[] row = new int[width * 4];
    byte[] out = new byte[width * height * 3];
    int o = 0;
    for (int y = 0; y < height; y++) {
      raster.getPixels(raster.getMinX(), raster.getMinY() + y, width, 1, row);
      for (int i = 0; i < row.length; i += 4) {
        int c = row[i];
        int m = row[i + 1];
        int ye = row[i + 2];
        int k = row[i + 3];
        if (ycck) {
          int luma = c;
          int cb = m - 128;
          int cr = ye - 128;
          c = 255 - clamp(luma + 1.402 * cr);
          m = 255 - clamp(luma - 0.344136 * cb - 0.714136 * cr);
          ye = 255 - clamp(luma + 1.772 * cb);
        }
        if (inverted) {
          c = 255 - c;
          m = 255 - m;
          ye = 255 - ye;
          k = 255 - k;
        }
        int notBlack = 255 - k;
        out[o++] = (byte) (notBlack - mulDiv255(c, notBlack));
        out[o++] = (byte) (notBlack - mulDiv255(m, notBlack));
        out[o++] = (byte) (notBlack - mulDiv255(ye, notBlack));
      }
    }
    return new DecodedImage(width, height, 3, out);
  }

  /** round(a * b / 255) for 8-bit a, b: Pillow's MULDIV255. */
  private static int mulDiv255(int a, int b) {
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
  }

  private static int clamp(double value) {
    long rounded = Math.round(value);
    return (int) Math.max(0, Math.min(255, rounded));
  }
}
