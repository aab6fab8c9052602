package io.imagestream.model;

import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * At most as many network calls at once in this JVM as the cores allow: cores / threads per call (ND4J's OpenMP
 * threads). More at once oversubscribe the cores and their spinning threads slow every call down many times over (a
 * serving batch of ~10 ms took ~250 ms while a new model's load-time checks ran beside it). Fair, so a serving batch
 * waits for at most the calls queued before it: a swap's checks and warm-up then cost the serving threads about one
 * batch each, not a stall.
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

  /** How many calls may run at once. */
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
