package io.imagestream.image;

/** Order of one image's values in a float array. */
public enum Layout {
  /** Channels first: all red values, then all green, then all blue (DL4J's default). */
  NCHW,
  /** Channels last: red, green, blue of pixel 0, then of pixel 1, ... (Keras' default). */
  NHWC
}
