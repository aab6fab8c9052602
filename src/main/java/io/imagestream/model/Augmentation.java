package io.imagestream.model;

import io.imagestream.image.InputShape;
import java.util.Random;

/**
 * Random shear, zoom and horizontal flip of training images, as Keras' {@code ImageDataGenerator(shear_range=...,
 * zoom_range=..., horizontal_flip=...)} does them: one affine transform per image around its centre, sampled
 * bilinearly, with Keras' default {@code fill_mode='nearest'} (points outside take the nearest edge pixel).
 *
 * @param shearDegrees  shear angle drawn from [-s, s] degrees (Keras interprets {@code shear_range} in degrees)
 * @param zoom          zoom factors drawn per axis from [1 - z, 1 + z]
 * @param horizontalFlip flip half of the images left-right
 */
public record Augmentation(double shearDegrees, double zoom, boolean horizontalFlip) {
  public static final Augmentation NONE = new Augmentation(0, 0, false);
  /** What the classic Keras tutorials use: shear_range=0.2, zoom_range=0.2, horizontal_flip=True. */
  public static final Augmentation KERAS_TUTORIAL = new Augmentation(0.2, 0.2, true);

  public Augmentation {
    if (shearDegrees < 0 || zoom < 0 || zoom >= 1) {
      throw new IllegalArgumentException("shear must be >= 0 and zoom in [0, 1), got " + shearDegrees + ", " + zoom);
    }
  }

  public boolean isNone() {
    return shearDegrees == 0 && zoom == 0 && !horizontalFlip;
  }

  /** A transformed copy of one image's pixels (HWC, 8-bit). */
  public byte[] apply(byte[] pixels, InputShape shape, Random random) {
    if (isNone()) {
      return pixels;
    }
    int h = shape.height();
    int w = shape.width();
    int c = shape.channels();
    double shear = Math.toRadians((random.nextDouble() * 2 - 1) * shearDegrees);
    double zx = 1 + (random.nextDouble() * 2 - 1) * zoom;
    double zy = 1 + (random.nextDouble() * 2 - 1) * zoom;
    boolean flip = horizontalFlip && random.nextBoolean();
    // Inverse mapping around the centre: each output pixel samples the input at the zoomed and sheared position.
    double cy = (h - 1) / 2.0;
    double cx = (w - 1) / 2.0;
    double sin = Math.sin(shear);
    double cos = Math.cos(shear);
    byte[] out = new byte[pixels.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double dx = (flip ? (w - 1 - x) : x) - cx;
        double dy = y - cy;
        double sx = cx + zx * dx - sin * zy * dy;
        double sy = cy + cos * zy * dy;
        sample(pixels, h, w, c, sy, sx, out, (y * w + x) * c);
      }
    }
    return out;
  }

  private static void sample(byte[] in, int h, int w, int c, double y, double x, byte[] out, int at) {
    y = Math.min(Math.max(y, 0), h - 1);
    x = Math.min(Math.max(x, 0), w - 1);
    int y0 = (int) Math.floor(y);
    int x0 = (int) Math.floor(x);
    int y1 = Math.min(y0 + 1, h - 1);
    int x1 = Math.min(x0 + 1, w - 1);
    double fy = y - y0;
    double fx = x - x0;
    for (int k = 0; k < c; k++) {
      double v = (1 - fy) * ((1 - fx) * u(in, (y0 * w + x0) * c + k) + fx * u(in, (y0 * w + x1) * c + k))
          + fy * ((1 - fx) * u(in, (y1 * w + x0) * c + k) + fx * u(in, (y1 * w + x1) * c + k));
      out[at + k] = (byte) Math.round(v);
    }
  }

  private static int u(byte[] b, int i) {
    return b[i] & 0xFF;
  }
}
