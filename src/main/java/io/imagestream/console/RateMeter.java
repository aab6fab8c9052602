package io.imagestream.console;

/**
 * Events per second over the last few whole seconds, from per-second buckets: cheap enough to call for every record,
 * and steady enough to read (the second still running is left out). Thread-safe.
 */
final class RateMeter {
  private final int seconds;
  private final long[] counts;
  private final long[] bucketSecond;

  RateMeter(int seconds) {
    this.seconds = seconds;
    this.counts = new long[seconds + 1];
    this.bucketSecond = new long[seconds + 1];
  }

  synchronized void record(long nowMs) {
    long second = nowMs / 1000;
    int i = (int) (second % counts.length);
    if (bucketSecond[i] != second) {
      bucketSecond[i] = second;
      counts[i] = 0;
    }
    counts[i]++;
  }

  /** The mean per second over the {@code seconds} whole seconds before the current one. */
  synchronized double perSecond(long nowMs) {
    long current = nowMs / 1000;
    long total = 0;
    for (int i = 0; i < counts.length; i++) {
      if (bucketSecond[i] < current && bucketSecond[i] >= current - seconds) {
        total += counts[i];
      }
    }
    return (double) total / seconds;
  }
}
