package io.imagestream.image;

import java.util.Locale;

/** The model's input size: height x width x channels (1 = grey, 3 = RGB). */
public record InputShape(int height, int width, int channels) {

  public InputShape {
    if (height < 1 || width < 1) {
      throw new IllegalArgumentException("image size must be at least 1x1, got " + height + "x" + width);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), got " + channels);
    }
    if ((long) height * width * channels > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "input shape " + height + "x" + width + "x" + channels + " has too many values for one array");
    }
  }

  /** Parses "HxWxC", e.g. "64x64x3" or "28x28x1". */
  public static InputShape parse(String s) {
    int[] parts = numbers(s, 3, "HxWxC, e.g. 64x64x3");
    return new InputShape(parts[0], parts[1], parts[2]);
  }

  /** Parses "HxW", e.g. "64x64", with the channels given separately (as the CLI's --image-size and --channels). */
  public static InputShape of(String heightByWidth, int channels) {
    int[] parts = numbers(heightByWidth, 2, "HxW, e.g. 64x64");
    return new InputShape(parts[0], parts[1], channels);
  }

  /** height * width * channels: the number of values one image gives the model. */
  public int pixelCount() {
    return height * width * channels;
  }

  @Override
  public String toString() {
    return height + "x" + width + "x" + channels;
  }

  private static int[] numbers(String s, int count, String expected) {
    if (s == null) {
      throw new IllegalArgumentException("missing image shape, expected " + expected);
    }
    String[] parts = s.trim().toLowerCase(Locale.ROOT).split("x", -1);
    if (parts.length != count) {
      throw new IllegalArgumentException("bad image shape '" + s + "', expected " + expected);
    }
    int[] numbers = new int[count];
    for (int i = 0; i < count; i++) {
      try {
        numbers[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad image shape '" + s + "', expected " + expected);
      }
    }
    return numbers;
  }
}
