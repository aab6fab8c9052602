package io.imagestream.bench;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.cumulative.CumulativeDistributionSummary;
import io.micrometer.core.instrument.cumulative.CumulativeTimer;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.pause.PauseDetector;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Micrometer registry that, besides keeping the meters as usual, remembers every single micro-batch the
 * classifier reports ({@code ClassifierMetrics#batch(size, nanos)}: the {@code imagestream.batch.size} summary then
 * the {@code imagestream.inference} timer, on the stream thread) and every model swap, each with the wall-clock time
 * it was reported. The classifier's own metrics code is used unchanged: {@code new ClassifierMetrics(recorder)}.
 */
final class BatchRecorder extends SimpleMeterRegistry {
  static final String INFERENCE = "imagestream.inference";
  static final String BATCH_SIZE = "imagestream.batch.size";
  static final String SWAP = "imagestream.model.swap";
  static final String LOAD = "imagestream.model.load";

  /** One micro-batch: when it was reported (epoch ms), how many images, how long the network took. */
  record Batch(long atMs, int size, long nanos) {
    double millis() {
      return nanos / 1e6;
    }
  }

  /** One event of a timer other than inference (swap, load): when, how long. */
  record Event(long atMs, long nanos) {}

  private final List<Batch> batches = new ArrayList<>();
  private final List<Event> swaps = new ArrayList<>();
  private final List<Event> loads = new ArrayList<>();
  private final ThreadLocal<Integer> lastSize = ThreadLocal.withInitial(() -> -1);

  @Override
  protected Timer newTimer(Meter.Id id, DistributionStatisticConfig config, PauseDetector pauseDetector) {
    String name = id.getName();
    if (!name.equals(INFERENCE) && !name.equals(SWAP) && !name.equals(LOAD)) {
      return super.newTimer(id, config, pauseDetector);
    }
    return new CumulativeTimer(id, clock, config.merge(defaultHistogramConfig()), pauseDetector, getBaseTimeUnit(),
        false) {
      @Override
      protected void recordNonNegative(long amount, TimeUnit unit) {
        super.recordNonNegative(amount, unit);
        long nanos = unit.toNanos(amount);
        long now = System.currentTimeMillis();
        synchronized (BatchRecorder.this) {
          switch (name) {
            case INFERENCE -> batches.add(new Batch(now, lastSize.get(), nanos));
            case SWAP -> swaps.add(new Event(now, nanos));
            default -> loads.add(new Event(now, nanos));
          }
        }
      }
    };
  }

  @Override
  protected DistributionSummary newDistributionSummary(Meter.Id id, DistributionStatisticConfig config,
                                                       double scale) {
    if (!id.getName().equals(BATCH_SIZE)) {
      return super.newDistributionSummary(id, config, scale);
    }
    return new CumulativeDistributionSummary(id, clock, config.merge(defaultHistogramConfig()), scale, false) {
      @Override
      protected void recordNonNegative(double amount) {
        super.recordNonNegative(amount);
        lastSize.set((int) amount); // the inference time of the same batch follows on this thread
      }
    };
  }

  synchronized List<Batch> batches() {
    return List.copyOf(batches);
  }

  synchronized List<Event> swaps() {
    return List.copyOf(swaps);
  }

  synchronized List<Event> loads() {
    return List.copyOf(loads);
  }
}
