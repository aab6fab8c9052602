package io.imagestream.image;

/** Conversions between grey and RGB on interleaved 8-bit samples, as Pillow does them. */
final class Channels {

  private Channels() {}

  /**
   * Grey from RGB with Pillow's "L" conversion (ITU-R 601-2 luma, L = R*299/1000 + G*587/1000 + B*114/1000), in
   * Pillow's own 16-bit fixed point with rounding, computed on the raw sRGB byte values. Keras' load_img uses it.
   */
  static DecodedImage toGrey(DecodedImage rgb) {
    if (rgb.channels() == 1) {
      return rgb;
    }
    byte[] in = rgb.samples();
    byte[] out = new byte[rgb.width() * rgb.height()];
    for (int i = 0, j = 0; i < out.length; i++, j += 3) {
      out[i] = (byte) luma(in[j] & 0xFF, in[j + 1] & 0xFF, in[j + 2] & 0xFF);
    }
    return new DecodedImage(rgb.width(), rgb.height(), 1, out);
  }

  /** RGB from grey: the value in all three channels. */
  static DecodedImage toRgb(DecodedImage grey) {
    if (grey.channels() == 3) {
      return grey;
    }
    byte[] in = grey.samples();
    byte[] out = new byte[in.length * 3];
    for (int i = 0, j = 0; i < in.length; i++, j += 3) {
      out[j] = in[i];
      out[j + 1] = in[i];
      out[j + 2] = in[i];
    }
    return new DecodedImage(grey.width(), grey.height(), 3, out);
  }

  static int luma(int r, int g, int b) {
    return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
  }
}
