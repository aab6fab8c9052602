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

  /** Threads each network call may use (OMP_NUM_THREADS; ND4J's default is one per core). */
  public static int threadsPerCall() {
    init();
    return Math.max(1, Nd4j.getEnvironment().maxThreads());
  }

  /**
   * Why the given number of concurrent network callers would oversubscribe the cores, with what to set instead; empty
   * when callers x threads per call fits. Oversubscribed OpenMP threads spin against each other and run slower
   * together than one caller alone.
   */
  public static java.util.Optional<String> oversubscription(int callers, int threadsPerCall, int cores) {
    if ((long) callers * threadsPerCall <= cores) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(callers + " stream threads x " + threadsPerCall + " ND4J threads each exceeds the "
        + cores + " cores: start the JVM with OMP_NUM_THREADS=" + Math.max(1, cores / callers)
        + " or use fewer stream threads (imagestream.classifier.stream.threads)");
  }

  /** True when convolution layers will use oneDNN. */
  public static boolean oneDnnEnabled() {
    init();
    return org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper.mklDnnEnabled();
  }
}
