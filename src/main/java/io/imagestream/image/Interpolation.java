package io.imagestream.image;

/** How pixels are resampled when the image size differs from the model's input size. */
public enum Interpolation {
  /** Pillow's bilinear filter: a triangle filter widened when shrinking, so downscaling averages (no aliasing). */
  BILINEAR,
  /** The source pixel whose area contains the target pixel's centre. */
  NEAREST
}
