package io.imagestream.model;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One network call at a time in this JVM. Each call already uses every core (ND4J's OpenMP threads); two at once
 * oversubscribe the cores and their spinning threads slow both down many times over (a serving batch of ~10 ms took
 * ~250 ms while a new model's load-time checks ran beside it). Fair, so a serving batch waits for at most the calls
 * queued before it: a swap's checks and warm-up then cost the serving thread about one batch each, not a stall.
 */
public final class NetworkCalls {
  private static final ReentrantLock LOCK = new ReentrantLock(true);

  private NetworkCalls() {}

  public static <T> T run(Supplier<T> call) {
    LOCK.lock();
    try {
      return call.get();
    } finally {
      LOCK.unlock();
    }
  }
}
