package io.imagestream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class GcPausesTest {

  @Test
  void aCollectionIsRecordedWithItsWallClockInterval() throws Exception {
    try (GcPauses gc = GcPauses.record()) {
      long before = System.currentTimeMillis();
      System.gc(); // a full, stop-the-world collection with the JVM's default collector
      long after = System.currentTimeMillis();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (gc.between(before - 1, after + 1).isEmpty() && System.nanoTime() < deadline) {
        Thread.onSpinWait(); // the beans notify on a service thread of the JVM's own
      }
      List<GcPauses.Pause> pauses = gc.between(before - 1, after + 1);
      assertFalse(pauses.isEmpty(), "System.gc() was reported");
      GcPauses.Pause pause = pauses.get(0);
      // the bean's clock is the JVM's uptime, ours the wall clock: allow for the rounding of each
      assertTrue(pause.startMs() >= before - 2 && pause.endMs() <= after + 2, pause + " in " + before + ".." + after);
      assertTrue(gc.between(after + 1_000, after + 2_000).isEmpty(), "nothing after it");
    }
  }

  @Test
  void onlyThePartOfAPauseInsideAnIntervalCounts() {
    try (GcPauses gc = GcPauses.record()) {
      long base = System.currentTimeMillis() + 3_600_000; // an hour ahead: no real collection falls there
      gc.add(new GcPauses.Pause(base + 100, base + 130, "G1 Young Generation", "G1 Evacuation Pause"));
      gc.add(new GcPauses.Pause(base + 500, base + 510, "G1 Young Generation", "G1 Evacuation Pause"));
      assertEquals(10, gc.pausedMs(base + 120, base + 140), "the last 10 ms of the first pause");
      assertEquals(40, gc.pausedMs(base, base + 1_000), "both, whole");
      assertEquals(0, gc.pausedMs(base + 200, base + 400), "between them");
      assertEquals(new GcPauses.Summary(2, 40, 30), GcPauses.Summary.of(gc.between(base, base + 1_000)));
      assertEquals(1, gc.between(base + 505, base + 505).size(), "a point inside a pause");
    }
  }

  @Test
  void theBatchIntervalEndsWhenItWasReported() {
    try (GcPauses gc = GcPauses.record()) {
      long base = System.currentTimeMillis() + 3_600_000;
      gc.add(new GcPauses.Pause(base + 100, base + 125, "G1 Young Generation", "G1 Evacuation Pause"));
      // a 40 ms batch reported at +130 ran from +90: the whole 25 ms pause fell in it
      assertEquals(25, HalfLoadAnalysis.pausedDuring(gc, new BatchRecorder.Batch(base + 130, 32, 40_000_000L)));
      // a 10 ms batch reported at +140 ran from +130: after the pause
      assertEquals(0, HalfLoadAnalysis.pausedDuring(gc, new BatchRecorder.Batch(base + 140, 32, 10_000_000L)));
      assertEquals(0, HalfLoadAnalysis.pausedDuring(gc, null));
    }
  }
}
