package io.imagestream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The arithmetic behind the report: percentiles, verdicts, cluster sizing. */
class TargetAndPercentilesTest {

  @Test
  void percentilesAreNearestRankOnTheSortedSamples() {
    List<Integer> samples = new ArrayList<>();
    for (int i = 100; i >= 1; i--) {
      samples.add(i); // unsorted on purpose
    }
    Percentiles p = Percentiles.of(samples);
    assertEquals(100, p.count());
    assertEquals(50, p.p50());
    assertEquals(95, p.p95());
    assertEquals(99, p.p99());
    assertEquals(100, p.max());
    assertEquals(50.5, p.mean(), 1e-9);
  }

  @Test
  void percentilesOfFewSamplesAndOfNone() {
    Percentiles one = Percentiles.of(List.of(7));
    assertEquals(7, one.p50());
    assertEquals(7, one.p99());
    Percentiles three = Percentiles.of(List.of(30, 10, 20));
    assertEquals(20, three.p50()); // ceil(1.5) = 2nd
    assertEquals(30, three.p99());
    assertTrue(Percentiles.of(List.<Integer>of()).isEmpty());
    assertTrue(Double.isNaN(Percentiles.of(List.<Integer>of()).p99()));
  }

  @Test
  void aTailOfOnePercentShowsInP99ButNotInP95() {
    List<Integer> samples = new ArrayList<>();
    for (int i = 0; i < 990; i++) {
      samples.add(10);
    }
    for (int i = 0; i < 10; i++) {
      samples.add(500);
    }
    Percentiles p = Percentiles.of(samples);
    assertEquals(10, p.p95());
    assertEquals(10, p.p99()); // exactly 1 %: the 990th value is still 10
    samples.add(500);
    assertEquals(500, Percentiles.of(samples).p99());
  }

  @Test
  void verdictsSayMetOrMissedByHowMuch() {
    assertEquals("met, 20.0 ms (20 %) below", Target.atMost("p99", 100, 80, "ms").verdict());
    assertEquals("missed by 50.0 ms (50 %)", Target.atMost("p99", 100, 150, "ms").verdict());
    assertEquals("missed by 0.30 (50 %)", Target.atLeast("ratio", 0.6, 0.3, "").verdict());
    assertEquals("met, 0.00 (0 %) above", Target.atLeast("ratio", 5, 5, "").verdict());
    assertTrue(Target.atLeast("ratio", 5, 5, "").met());
    assertFalse(Target.atMost("x", 1, Double.NaN, "").met());
    assertEquals("not measured", Target.atMost("x", 1, Double.NaN, "").verdict());
    assertEquals("| rss | ≤ 1.50 GiB | 1.20 GiB | met, 0.30 GiB (20 %) below | off-heap 600 MiB |",
        Target.atMost("rss", 1.5, 1.2, "GiB").because("off-heap 600 MiB").markdownRow());
  }

  @Test
  void clusterSizingIsArithmeticOnTheMeasuredFigures() {
    // 400 images/s from 1.6 classifier cores and 0.4 broker cores
    ClusterSizing s = new ClusterSizing(400, 1.6, 0.4, 1);
    assertEquals(250, s.perClassifierCore(), 1e-9);
    assertEquals(200, s.perPipelineCore(), 1e-9);
    assertEquals(0.2, s.brokerShare(), 1e-9);
    ClusterSizing.Plan tenK = s.plan(10_000);
    assertEquals(25, tenK.instances());
    assertEquals(40, tenK.classifierCores());
    assertEquals(10, tenK.brokerCores());
    assertEquals(50, tenK.totalCores());
    assertEquals(25, tenK.partitions());
    ClusterSizing.Plan hundredK = s.plan(100_000);
    assertEquals(250, hundredK.instances());
    assertEquals(400, hundredK.classifierCores());
    assertEquals(100, hundredK.brokerCores());
    assertEquals(250, hundredK.partitions());
  }

  @Test
  void clusterSizingRoundsUpAndGivesEveryInstanceACore() {
    // 300 images/s on 0.5 cores: 600 per core, but an instance still needs a core of its own
    ClusterSizing s = new ClusterSizing(300, 0.5, 0.1, 2);
    ClusterSizing.Plan plan = s.plan(1000);
    assertEquals(4, plan.instances()); // 3.33 -> 4
    assertEquals(4, plan.classifierCores()); // 1.67 -> 2, but 4 instances
    assertEquals(1, plan.brokerCores()); // 0.33 -> 1
    assertEquals(8, plan.partitions()); // 2 stream threads each
    assertThrows(IllegalArgumentException.class, () -> new ClusterSizing(0, 1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new ClusterSizing(100, Double.NaN, 0, 1));
  }
}
