package io.imagestream.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The classifier's own meters, named as the contract says once rendered by the Prometheus registry
 * ({@code imagestream.images.classified} becomes {@code imagestream_images_classified_total}). Labels stay
 * low-cardinality: never an image id.
 */
public final class ClassifierMetrics {
  private final MeterRegistry registry;
  private final Counter classified;
  private final Counter uncertain;
  private final Map<String, Counter> deadLettered = new ConcurrentHashMap<>();
  private final Map<String, Counter> byLabel = new ConcurrentHashMap<>();
  private final Map<String, Counter> commitRequests = new ConcurrentHashMap<>();
  private final DistributionSummary batchSize;
  private final Timer inference;
  private final Timer endToEnd;
  private final Timer inputWait;
  private final Counter swaps;
  private final AtomicLong modelVersion = new AtomicLong();
  private final Counter refused;
  private final Timer load;
  private final Timer swap;

  public ClassifierMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.classified = Counter.builder("imagestream.images.classified")
        .description("Images classified (one prediction each)").register(registry);
    this.uncertain = Counter.builder("imagestream.images.uncertain")
        .description("Predictions below the uncertainty threshold, also sent to the to-label topic")
        .register(registry);
    this.batchSize = DistributionSummary.builder("imagestream.batch.size")
        .description("Images per micro-batch run through the network")
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512).register(registry);
    this.inference = Timer.builder("imagestream.inference")
        .description("Time the network takes for one micro-batch")
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
    this.endToEnd = sinceRecordTimestamp(registry, "imagestream.end.to.end.latency",
        "From the input record's timestamp to its prediction");
    this.inputWait = sinceRecordTimestamp(registry, "imagestream.input.wait",
        "From the input record's timestamp to the classifier reading it: time spent before the classifier (the "
            + "producer, the broker, consumer lag); end-to-end latency minus this is the classifier's own");
    this.swaps = Counter.builder("imagestream.model.swaps").description("Models swapped in while serving")
        .register(registry);
    this.refused = Counter.builder("imagestream.model.refused")
        .description("Models on the models topic refused (bad sha256, unloadable, wrong shape or classes)")
        .register(registry);
    this.load = Timer.builder("imagestream.model.load")
        .description("Loading, verifying and warming up a new model, off the processing path").register(registry);
    this.swap = Timer.builder("imagestream.model.swap")
        .description("The pause of swapping a verified model in (an atomic reference change between batches)")
        .register(registry);
    Gauge.builder("imagestream.model.version", modelVersion, AtomicLong::doubleValue)
        .description("Version of the model being served").register(registry);
  }

  /** Meters that go nowhere: for tools and tests that do not export metrics. */
  public static ClassifierMetrics discarding() {
    return new ClassifierMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void batch(int size, long inferenceNanos) {
    batchSize.record(size);
    inference.record(inferenceNanos, TimeUnit.NANOSECONDS);
  }

  /** An input record read by the classifier at {@code nowMs} (wall clock), before anything is done with it. */
  public void received(long recordTimestampMs, long nowMs) {
    recordSince(inputWait, recordTimestampMs, nowMs);
  }

  public void classified(String label, long recordTimestampMs, long nowMs) {
    classified.increment();
    // Tagged by class name: bounded by the model's classes (the trainer caps them), never by image.
    byLabel.computeIfAbsent(label, l -> Counter.builder("imagestream.predictions")
        .description("Predictions by predicted class").tag("label", l).register(registry)).increment();
    recordSince(endToEnd, recordTimestampMs, nowMs);
  }

  /** A latency histogram from a record's timestamp (1 ms to 60 s). */
  private static Timer sinceRecordTimestamp(MeterRegistry registry, String name, String description) {
    return Timer.builder(name).description(description).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
  }

  /** Records nowMs - recordTimestampMs, unless the record has no timestamp or one from the future (clock skew). */
  private static void recordSince(Timer timer, long recordTimestampMs, long nowMs) {
    if (recordTimestampMs > 0 && nowMs >= recordTimestampMs) {
      timer.record(nowMs - recordTimestampMs, TimeUnit.MILLISECONDS);
    }
  }

  public void uncertain() {
    uncertain.increment();
  }

  public void deadLettered(String reason) {
    deadLettered.computeIfAbsent(reason, r -> Counter.builder("imagestream.images.dead.lettered")
        .description("Inputs sent to the dead-letter topic, by reason").tag("reason", r).register(registry))
        .increment();
  }

  /**
   * The classifier asked Kafka Streams to commit before commit.interval.ms: {@code caught_up} (it keeps up with its
   * input) or {@code spare_capacity} (a small batch due by its wait).
   */
  public void commitRequested(String reason) {
    commitRequests.computeIfAbsent(reason, r -> Counter.builder("imagestream.commits.requested")
        .description("Commits the classifier asked for before commit.interval.ms, by reason").tag("reason", r)
        .register(registry)).increment();
  }

  public void modelServed(long version) {
    modelVersion.set(version);
  }

  public void modelSwapped(long version, long pauseNanos) {
    modelVersion.set(version);
    swaps.increment();
    swap.record(pauseNanos, TimeUnit.NANOSECONDS);
  }

  public void modelLoaded(long nanos) {
    load.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void modelRefused() {
    refused.increment();
  }
}
