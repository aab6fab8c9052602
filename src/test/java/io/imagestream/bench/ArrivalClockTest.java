package io.imagestream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The steady rate leaves out a slow start and a slow tail. */
class ArrivalClockTest {

  @Test
  void aSlowStartAndTailDoNotCountOnlyTheSteadyMiddle() {
    ArrivalClock clock = new ArrivalClock(101);
    long t = 0;
    for (int i = 0; i <= 100; i++) {
      // the first 10 and the last 10 outputs arrive 1 s apart, the middle ones 10 ms apart
      t += (i <= 10 || i > 90) ? 1_000_000_000L : 10_000_000L;
      clock.arrived(t);
    }
    assertEquals(100.0, clock.steadyRate(), 1e-6); // 80 outputs in 0.8 s
  }

  @Test
  void tooFewArrivalsGiveZeroAndEvenOnesTheirRate() {
    assertEquals(0, new ArrivalClock(5).steadyRate());
    ArrivalClock clock = new ArrivalClock(11);
    for (int i = 0; i <= 10; i++) {
      clock.arrived(i * 100_000_000L);
    }
    assertEquals(10.0, clock.steadyRate(), 1e-9);
  }

  @Test
  void outputsArrivingInOnePollUseTheWholeRun() {
    ArrivalClock clock = new ArrivalClock(3);
    clock.arrived(0);
    clock.arrived(0);
    clock.arrived(1_000_000_000L);
    assertEquals(2.0, clock.steadyRate(), 1e-9);
  }
}
