package io.imagestream.bench;

import java.util.Arrays;
import java.util.Collection;

/**
 * Exact percentiles of a set of samples (nearest rank on the sorted values). HdrHistogram is on the runtime
 * classpath only (through Kafka and Micrometer, scope runtime), not on the compile classpath, and a benchmark
 * window holds at most some tens of thousands of samples: sorting them is exact and cheap.
 */
record Percentiles(int count, double p50, double p95, double p99, double max, double mean) {

  static final Percentiles NONE = new Percentiles(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

  static Percentiles of(Collection<? extends Number> samples) {
    double[] values = samples.stream().mapToDouble(Number::doubleValue).toArray();
    return of(values);
  }

  static Percentiles of(double[] samples) {
    if (samples.length == 0) {
      return NONE;
    }
    double[] sorted = samples.clone();
    Arrays.sort(sorted);
    double sum = 0;
    for (double v : sorted) {
      sum += v;
    }
    return new Percentiles(sorted.length, rank(sorted, 50), rank(sorted, 95), rank(sorted, 99),
        sorted[sorted.length - 1], sum / sorted.length);
  }

  /** The nearest-rank percentile: the smallest value with at least p % of the samples at or below it. */
  static double rank(double[] sorted, double p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  boolean isEmpty() {
    return count == 0;
  }
}
