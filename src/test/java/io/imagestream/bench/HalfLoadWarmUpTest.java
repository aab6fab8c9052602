package io.imagestream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HalfLoadWarmUpTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void theWindowStartsAtTheMinimumWhenTheJitIsAlreadyQuiet() {
    AtomicLong jitMs = new AtomicLong(50_000);
    HalfLoad.WarmUp warmUp = new HalfLoad.WarmUp(0, 10 * SECOND, jitMs::get, 2);
    assertFalse(warmUp.settled(5 * SECOND), "not before the minimum");
    assertFalse(warmUp.settled(9 * SECOND), "not before the minimum");
    jitMs.addAndGet(1_000); // 1 s of compiling over 10 s on 2 cores: 5 %
    assertTrue(warmUp.settled(10 * SECOND));
  }

  @Test
  void aBusyJitExtendsTheWarmUpStepByStepUntilItQuietens() {
    AtomicLong jitMs = new AtomicLong();
    HalfLoad.WarmUp warmUp = new HalfLoad.WarmUp(0, 10 * SECOND, jitMs::get, 2);
    jitMs.addAndGet(6_000); // 30 % of 2 cores over the first 10 s
    assertFalse(warmUp.settled(10 * SECOND));
    jitMs.addAndGet(1_500); // the next 5 s step: 15 %
    assertFalse(warmUp.settled(12 * SECOND), "a step lasts 5 s");
    assertFalse(warmUp.settled(15 * SECOND));
    jitMs.addAndGet(900); // 9 %
    assertTrue(warmUp.settled(20 * SECOND));
  }

  @Test
  void theWarmUpEndsAtItsLimitEvenIfTheJitNeverQuietens() {
    AtomicLong jitMs = new AtomicLong();
    HalfLoad.WarmUp warmUp = new HalfLoad.WarmUp(0, 10 * SECOND, jitMs::get, 2);
    long now = 10 * SECOND;
    int steps = 0;
    while (true) {
      jitMs.addAndGet(5_000); // always 50 %
      if (warmUp.settled(now)) {
        break;
      }
      now += HalfLoad.WarmUp.STEP_NANOS;
      steps++;
    }
    assertEquals(HalfLoad.WarmUp.MAX_WARM_UP_FACTOR * 10 * SECOND, now, "ended at " + steps + " steps");
  }

  @Test
  void theJitShareIsOfAllTheCores() {
    assertEquals(0.25, Benchmark.jitShare(1_000, 2 * SECOND, 2), 1e-9);
  }
}
