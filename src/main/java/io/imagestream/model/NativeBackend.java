package io.imagestream.model;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Prepares ND4J's native backend once per JVM, before any network is built or loaded.
 *
 * <p>DL4J's oneDNN layer helpers are off unless a system property says otherwise; with them on (and the shim class
 * {@code org.nd4j.nativeblas.Nd4jCpu}) convolutions run through oneDNN instead of im2col.
 */
public final class NativeBackend {
  static final String HELPERS_DISABLE_PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";
  private static volatile boolean initialised;

  private NativeBackend() {}

  public static synchronized void init() {
    if (initialised) {
      return;
    }
    if (System.getProperty(HELPERS_DISABLE_PROPERTY) == null) {
      System.setProperty(HELPERS_DISABLE_PROPERTY, "false");
    }
    Nd4j.create(1); // loads the native library now, so later failures name the real cause
    initialised = true;
  }

  /** True when convolution layers will use oneDNN. */
  public static boolean oneDnnEnabled() {
    init();
    return org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper.mklDnnEnabled();
  }
}
