package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Network calls from several threads never overlap, and every call runs. */
class NetworkCallsTest {

  @Test
  void callsFromManyThreadsRunOneAtATime() throws Exception {
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread thread = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 200; i++) {
          NetworkCalls.run(() -> {
            mostAtOnce.accumulateAndGet(inside.incrementAndGet(), Math::max);
            Thread.yield(); // give another thread the chance to enter, were it allowed to
            calls.incrementAndGet();
            return inside.decrementAndGet();
          });
        }
      });
      thread.start();
      threads.add(thread);
    }
    start.countDown();
    for (Thread thread : threads) {
      thread.join();
    }
    assertEquals(1, mostAtOnce.get());
    assertEquals(800, calls.get());
  }
}
