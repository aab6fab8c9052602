package io.imagestream.model;

import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * At most as many serving network calls at once in this JVM as the cores allow: cores / threads per call (ND4J's
 * OpenMP threads), fair, so that a serving batch waits for at most the calls queued before it.
 *
 * <p>Calls made while a model loads (its checks and warm-up) and the trainer's evaluations run {@link #aside}: one
 * at a time, beside the serving calls rather than in their queue. Queued with them, a load-time call held a serving
 * thread for its whole length: the worst batch around a hot swap was 41x the median in the bench; beside them it
 * was 5-9x (docs/benchmarks.md). Sharing the cores with one more thread for a while costs little now that no thread
 * spins while it waits (OpenBLAS gets one thread per call, see NativeBackend).
 */
public final class NetworkCalls {
  private static volatile Semaphore permits;
  private static volatile int limit;

  private NetworkCalls() {}

  public static <T> T run(Supplier<T> call) {
    Semaphore gate = gate();
    gate.acquireUninterruptibly();
    try {
      return call.get();
    } finally {
      gate.release();
    }
  }

  /** A load-time call (checks, warm-up, evaluation): one at a time, not in the serving calls' queue. */
  public static <T> T aside(Supplier<T> call) {
    synchronized (ASIDE) {
      return call.get();
    }
  }

  private static final Object ASIDE = new Object();

  /** How many serving calls may run at once. */
  public static int concurrency() {
    gate();
    return limit;
  }

  private static Semaphore gate() {
    Semaphore gate = permits;
    if (gate == null) {
      synchronized (NetworkCalls.class) {
        if (permits == null) {
          int cores = Runtime.getRuntime().availableProcessors();
          limit = Math.max(1, cores / NativeBackend.threadsPerCall());
          permits = new Semaphore(limit, true);
        }
        gate = permits;
      }
    }
    return gate;
  }
}
