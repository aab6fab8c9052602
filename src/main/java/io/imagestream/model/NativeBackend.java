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
  private static volatile int requestedThreadsPerCall;

  /** What libc offers us: setting an environment variable of this process, for native libraries loaded later. */
  private interface LibC extends com.sun.jna.Library {
    int setenv(String name, String value, int overwrite);
  }

  private NativeBackend() {}

  /**
   * Threads each network call may use, to be set before ND4J loads (its OpenMP runtime reads OMP_NUM_THREADS once,
   * when it loads). One thread per call and one call per core beats two threads per call here: the 2-conv CNN runs at
   * ~965 images/s on 1 thread (1.1 cores busy) against ~1,050 on 2 (2 cores busy), so a second concurrent call on the
   * other core nearly doubles throughput. 0 keeps ND4J's default (one per core). An OMP_NUM_THREADS already in the
   * environment wins.
   *
   * @return false when ND4J was already loaded with another value (the setting then applies at the next start)
   */
  public static synchronized boolean useThreadsPerCall(int threads) {
    if (threads <= 0 || System.getenv("OMP_NUM_THREADS") != null) {
      return true;
    }
    if (initialised) {
      return threadsPerCall() == threads;
    }
    requestedThreadsPerCall = threads;
    return true;
  }

  public static synchronized void init() {
    if (initialised) {
      return;
    }
    if (requestedThreadsPerCall > 0) {
      try {
        ((LibC) com.sun.jna.Native.loadLibrary("c", LibC.class))
            .setenv("OMP_NUM_THREADS", Integer.toString(requestedThreadsPerCall), 0);
      } catch (RuntimeException | LinkageError e) { // no libc to call: ND4J keeps its default
        org.slf4j.LoggerFactory.getLogger(NativeBackend.class)
            .warn("cannot set OMP_NUM_THREADS={} ({}); ND4J uses its default", requestedThreadsPerCall, e.toString());
      }
    }
    if (System.getProperty(HELPERS_DISABLE_PROPERTY) == null) {
      System.setProperty(HELPERS_DISABLE_PROPERTY, "false");
    }
    Nd4j.create(1); // loads the native library now, so later failures name the real cause
    if (requestedThreadsPerCall > 0) {
      alignBlasThreads(requestedThreadsPerCall);
    }
    initialised = true;
  }

  /**
   * Gives OpenBLAS (the dense layers' matrix products) the same number of threads as OpenMP. ND4J sizes OpenBLAS's
   * own thread pool from OMP_NUM_THREADS as the JVM saw it at start (System.getenv, a copy taken before setenv above),
   * so it would keep one thread per core; with one call per core those extra BLAS threads spin in sched_yield while
   * they wait for work (measured: ~18 % of both cores in the pipeline, model only 2,560 -> 3,690 images/s at batch
   * 32 once aligned).
   */
  static void alignBlasThreads(int threads) {
    Nd4j.factory().blas().setMaxThreads(threads);
  }

  /** Threads OpenBLAS may use per matrix product. */
  public static int blasThreads() {
    init();
    return Nd4j.factory().blas().getMaxThreads();
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
