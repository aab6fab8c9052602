package io.imagestream.image;

/** Decoded 8-bit samples, row-major with channels interleaved: 1 channel (grey) or 3 (R, G, B). */
record DecodedImage(int width, int height, int channels, byte[] samples) {

  DecodedImage {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
    }
    if (samples.length != width * height * channels) {
      throw new IllegalArgumentException(
          "expected " + width + "x" + height + "x" + channels + " samples, got " + samples.length);
    }
  }
}
