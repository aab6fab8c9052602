package io.imagestream.image;

import java.util.Arrays;

/**
 * Resizes interleaved 8-bit samples to an exact size (aspect ratio not kept, like Keras' load_img target_size),
 * with Pillow's resampling rules so that the model sees what it would see in a Keras/Pillow pipeline.
 */
final class Resizer {

  private Resizer() {}

  static DecodedImage resize(DecodedImage image, int width, int height, Interpolation interpolation) {
    if (image.width() == width && image.height() == height) {
      return image;
    }
    return switch (interpolation) {
      case NEAREST -> nearest(image, width, height);
      case BILINEAR -> bilinear(image, width, height);
    };
  }

  /** Pillow's NEAREST: the source pixel under each target pixel's centre. */
  private static DecodedImage nearest(DecodedImage image, int width, int height) {
    int channels = image.channels();
    byte[] in = image.samples();
    byte[] out = new byte[width * height * channels];
    int[] sourceX = nearestSources(image.width(), width);
    int[] sourceY = nearestSources(image.height(), height);
    int o = 0;
    for (int y = 0; y < height; y++) {
      int rowStart = sourceY[y] * image.width() * channels;
      for (int x = 0; x < width; x++) {
        System.arraycopy(in, rowStart + sourceX[x] * channels, out, o, channels);
        o += channels;
      }
    }
    return new DecodedImage(width, height, channels, out);
  }

  /**
   * floor((t + 0.5) * sourceSize / targetSize), accumulated in double exactly as Pillow does: at exact ties
   * (e.g. 4 -> 7) its rounding error picks the lower pixel, and matching that keeps outputs identical.
   */
  private static int[] nearestSources(int sourceSize, int targetSize) {
    double step = (double) sourceSize / targetSize;
    double position = step * 0.5;
    int[] sources = new int[targetSize];
    for (int t = 0; t < targetSize; t++) {
      sources[t] = Math.min(sourceSize - 1, (int) position);
      position += step;
    }
    return sources;
  }

  /** Separable triangle filter: horizontal pass, then vertical pass, rounding to 8 bits in between as Pillow does. */
  private static DecodedImage bilinear(DecodedImage image, int width, int height) {
    DecodedImage wide = image.width() == width ? image : horizontal(image, width);
    return wide.height() == height ? wide : vertical(wide, height);
  }

  private static DecodedImage horizontal(DecodedImage image, int width) {
    int channels = image.channels();
    int rows = image.height();
    byte[] in = image.samples();
    byte[] out = new byte[width * rows * channels];
    Weights weights = Weights.of(image.width(), width);
    int inRow = image.width() * channels;
    if (channels == 3) { // the three channels of a tap together: one weight read and one loop for all of them
      for (int y = 0; y < rows; y++) {
        int o = y * width * 3;
        for (int x = 0; x < width; x++, o += 3) {
          int base = x * weights.stride;
          int at = y * inRow + weights.first[x] * 3;
          int r = Weights.HALF;
          int g = Weights.HALF;
          int b = Weights.HALF;
          for (int k = 0, n = weights.count[x]; k < n; k++, at += 3) {
            int w = weights.values[base + k];
            r += w * (in[at] & 0xFF);
            g += w * (in[at + 1] & 0xFF);
            b += w * (in[at + 2] & 0xFF);
          }
          out[o] = toByte(r);
          out[o + 1] = toByte(g);
          out[o + 2] = toByte(b);
        }
      }
      return new DecodedImage(width, rows, channels, out);
    }
    for (int y = 0; y < rows; y++) {
      for (int x = 0; x < width; x++) {
        int first = weights.first[x];
        int base = x * weights.stride;
        for (int c = 0; c < channels; c++) {
          int sum = Weights.HALF;
          int at = y * inRow + first * channels + c;
          for (int k = 0; k < weights.count[x]; k++, at += channels) {
            sum += weights.values[base + k] * (in[at] & 0xFF);
          }
          out[(y * width + x) * channels + c] = toByte(sum);
        }
      }
    }
    return new DecodedImage(width, rows, channels, out);
  }

  /**
   * Row by row: each source row's contribution is added to the whole output row at once, a sequential pass the JIT
   * can vectorise (the same integer sums as tap by tap per sample, so the same bytes).
   */
  private static DecodedImage vertical(DecodedImage image, int height) {
    int channels = image.channels();
    int rowLength = image.width() * channels;
    byte[] in = image.samples();
    byte[] out = new byte[rowLength * height];
    Weights weights = Weights.of(image.height(), height);
    int[] sums = new int[rowLength];
    for (int y = 0; y < height; y++) {
      Arrays.fill(sums, Weights.HALF);
      int base = y * weights.stride;
      for (int k = 0, n = weights.count[y]; k < n; k++) {
        int w = weights.values[base + k];
        int row = (weights.first[y] + k) * rowLength;
        for (int i = 0; i < rowLength; i++) {
          sums[i] += w * (in[row + i] & 0xFF);
        }
      }
      int o = y * rowLength;
      for (int i = 0; i < rowLength; i++) {
        out[o + i] = toByte(sums[i]);
      }
    }
    return new DecodedImage(image.width(), height, channels, out);
  }

  /** A fixed-point sum (already offset by half a unit, so the shift rounds) as a clamped byte. */
  private static byte toByte(int sum) {
    return (byte) Math.max(0, Math.min(255, sum >> Weights.PRECISION_BITS));
  }

  /**
   * For each target index, the source indices it reads and their normalised weights: Pillow's precompute_coeffs
   * for its bilinear filter (support 1, widened by the scale when shrinking), in Pillow's 22-bit fixed point so
   * that results match Pillow's to the last bit.
   */
  private static final class Weights {
    static final int PRECISION_BITS = 32 - 8 - 2;
    static final int HALF = 1 << (PRECISION_BITS - 1);

    final int[] first;
    final int[] count;
    final int[] values;
    final int stride;

    private Weights(int[] first, int[] count, int[] values, int stride) {
      this.first = first;
      this.count = count;
      this.values = values;
      this.stride = stride;
    }

    static Weights of(int sourceSize, int targetSize) {
      double scale = (double) sourceSize / targetSize;
      double filterScale = Math.max(scale, 1.0);
      double support = filterScale; // the triangle filter's support is 1 source pixel at scale 1
      int stride = (int) Math.ceil(support) * 2 + 1;
      int[] first = new int[targetSize];
      int[] count = new int[targetSize];
      int[] values = new int[targetSize * stride];
      for (int t = 0; t < targetSize; t++) {
        double centre = (t + 0.5) * scale;
        int min = Math.max(0, (int) (centre - support + 0.5));
        int max = Math.min(sourceSize, (int) (centre + support + 0.5));
        double total = 0;
        double[] w = new double[max - min];
        for (int s = min; s < max; s++) {
          w[s - min] = triangle((s - centre + 0.5) / filterScale);
          total += w[s - min];
        }
        first[t] = min;
        count[t] = max - min;
        for (int k = 0; k < w.length; k++) {
          double normalised = total == 0 ? 0 : w[k] / total;
          values[t * stride + k] = (int) Math.round(normalised * (1 << PRECISION_BITS)); // weights are >= 0
        }
      }
      return new Weights(first, count, values, stride);
    }

    private static double triangle(double x) {
      double distance = Math.abs(x);
      return distance < 1 ? 1 - distance : 0;
    }
  }
}
