package io.imagestream.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** The trainer's meters (contract names once rendered by the Prometheus registry). All exist from the start. */
public final class TrainerMetrics {
  private final MeterRegistry registry;
  private final Counter labelled;
  private final Map<String, Counter> bad = new ConcurrentHashMap<>();
  private final Map<String, Counter> unmatched = new ConcurrentHashMap<>();
  private final Counter published;
  private final Counter rejected;
  private final Timer training;
  private final AtomicLong candidateAccuracyMicros = new AtomicLong();
  private final AtomicLong liveAccuracyMicros = new AtomicLong();
  private final AtomicLong shadowAccuracyMicros = new AtomicLong();
  private final AtomicLong liveShadowAccuracyMicros = new AtomicLong();
  private final AtomicLong datasetSize = new AtomicLong();
  private final AtomicLong liveVersion = new AtomicLong();

  public TrainerMetrics(MeterRegistry registry) {
    this.registry = registry;
    labelled = Counter.builder("imagestream.trainer.labelled.images")
        .description("Labelled images accepted into the training data").register(registry);
    published = Counter.builder("imagestream.trainer.models.published")
        .description("Candidates that passed the validation gate and were published").register(registry);
    rejected = Counter.builder("imagestream.trainer.models.rejected")
        .description("Candidates the validation gate rejected (not better than the live model)").register(registry);
    training = Timer.builder("imagestream.trainer.training").description("Time one retraining takes")
        .register(registry);
    Gauge.builder("imagestream.trainer.candidate.accuracy", candidateAccuracyMicros, v -> v.get() / 1e6)
        .description("Held-out accuracy of the latest candidate").register(registry);
    Gauge.builder("imagestream.trainer.live.accuracy", liveAccuracyMicros, v -> v.get() / 1e6)
        .description("Held-out accuracy of the live model, on the same images").register(registry);
    Gauge.builder("imagestream.trainer.shadow.accuracy", shadowAccuracyMicros, v -> v.get() / 1e6)
        .description("Accuracy of the latest candidate on the most recent labelled images (not used by the gate)")
        .register(registry);
    Gauge.builder("imagestream.trainer.live.shadow.accuracy", liveShadowAccuracyMicros, v -> v.get() / 1e6)
        .description("Accuracy of the live model on the same recent labelled images").register(registry);
    Gauge.builder("imagestream.trainer.dataset.size", datasetSize, AtomicLong::doubleValue)
        .description("Labelled images held for training and validation").register(registry);
    Gauge.builder("imagestream.trainer.live.model.version", liveVersion, AtomicLong::doubleValue)
        .description("Version of the model the trainer compares candidates with").register(registry);
    Counter.builder("imagestream.trainer.bad.records").description("Labelled records dead-lettered, by reason")
        .tag("reason", "UNDECODABLE").register(registry); // so the series exists before the first bad record
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void accepted(int datasetSizeNow) {
    labelled.increment();
    datasetSize.set(datasetSizeNow);
  }

  /**
   * A label that is no known class's name: {@code renamed} to the class it names but for separators, or learnt as a
   * {@code new_class}.
   */
  public void unmatchedLabel(String outcome) {
    unmatched.computeIfAbsent(outcome, o -> Counter.builder("imagestream.trainer.labels.unmatched")
        .description("Labelled records whose label is no known class's name, by what became of them")
        .tag("outcome", o).register(registry)).increment();
  }

  public void badRecord(String reason) {
    bad.computeIfAbsent(reason, r -> Counter.builder("imagestream.trainer.bad.records")
        .description("Labelled records dead-lettered, by reason").tag("reason", r).register(registry)).increment();
  }

  public void judged(double candidateAccuracy, double liveAccuracy, boolean wasPublished, long trainingNanos) {
    candidateAccuracyMicros.set(Math.round(candidateAccuracy * 1e6));
    liveAccuracyMicros.set(Math.round(liveAccuracy * 1e6));
    training.record(trainingNanos, TimeUnit.NANOSECONDS);
    (wasPublished ? published : rejected).increment();
  }

  public void shadow(double candidateAccuracy, double liveAccuracy) {
    shadowAccuracyMicros.set(Math.round(candidateAccuracy * 1e6));
    liveShadowAccuracyMicros.set(Math.round(liveAccuracy * 1e6));
  }

  public void liveVersion(long version) {
    liveVersion.set(version);
  }
}
