package io.imagestream.bench;

/**
 * Arrival times of a known number of outputs, and the steady rate between the 10th and the 90th percentile of them:
 * the start (group join, first transactions, JIT warm-up) and the tail (the last partition's leftovers) are left out,
 * so pipelines that start differently are compared on their sustained rate. Not thread-safe: one reader records.
 */
final class ArrivalClock {
  static final double FROM = 0.10;
  static final double TO = 0.90;

  private final long[] arrivals;
  private int seen;

  ArrivalClock(int expected) {
    arrivals = new long[Math.max(1, expected)];
  }

  void arrived(long nanos) {
    if (seen < arrivals.length) {
      arrivals[seen] = nanos;
    }
    seen++;
  }

  int seen() {
    return seen;
  }

  /** Outputs per second between the 10 % and the 90 % arrival (all of them when there are too few). */
  double steadyRate() {
    int n = Math.min(seen, arrivals.length);
    if (n < 2) {
      return 0;
    }
    int from = (int) Math.floor((n - 1) * FROM);
    int to = (int) Math.ceil((n - 1) * TO);
    if (to <= from || arrivals[to] == arrivals[from]) {
      from = 0;
      to = n - 1;
    }
    return (to - from) / Math.max(1e-9, (arrivals[to] - arrivals[from]) / 1e9);
  }
}
