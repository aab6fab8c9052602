package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Serving calls from several threads never overlap the cores' budget, and every call runs; load-time calls run aside. */
class NetworkCallsTest {

  @Test
  void servingCallsFromManyThreadsRunOneAtATime() throws Exception {
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

  @Test
  void aLoadTimeCallDoesNotQueueBehindServingCalls() throws Exception {
    int limit = NetworkCalls.concurrency();
    CountDownLatch allServing = new CountDownLatch(limit);
    CountDownLatch release = new CountDownLatch(1);
    List<Thread> serving = new ArrayList<>();
    for (int t = 0; t < limit; t++) { // every serving permit taken, and held
      Thread thread = new Thread(() -> NetworkCalls.run(() -> {
        allServing.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return null;
      }));
      thread.start();
      serving.add(thread);
    }
    allServing.await();
    try {
      assertEquals(42, NetworkCalls.aside(() -> 42), "ran while every serving permit was held");
    } finally {
      release.countDown();
    }
    for (Thread thread : serving) {
      thread.join();
    }
  }

  @Test
  void loadTimeCallsRunOneAtATime() throws Exception {
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      Thread thread = new Thread(() -> {
        for (int i = 0; i < 100; i++) {
          NetworkCalls.aside(() -> {
            mostAtOnce.accumulateAndGet(inside.incrementAndGet(), Math::max);
            Thread.yield();
            return inside.decrementAndGet();
          });
        }
      });
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertEquals(1, mostAtOnce.get());
  }
}
