package io.imagestream.bench;

import io.imagestream.classify.ClassifierService;
import io.imagestream.classify.ClassifierStreamsConfig;
import io.imagestream.classify.ClassifierTopology;
import io.imagestream.classify.ModelFollower;
import io.imagestream.classify.ServingModel;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.model.LoadedModel;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The classifier at a steady rate below saturation: a paced producer sends images at {@code rate} per second with
 * CreateTime timestamps (the moment of sending) for a warm-up and then a measurement window, while a read_committed
 * consumer notes, for every output, when it received it. End-to-end latency = receive time - the input record's
 * timestamp (predictions carry their input's timestamp), so it includes the producer, the broker, decoding, the
 * micro-batch wait, the network, and the wait for the exactly-once commit that makes the output visible.
 *
 * <p>The classifier runs with the product's defaults (batch size, batch max wait, Kafka Streams' commit interval),
 * wired as the classify command wires it: {@link ClassifierService} plus a {@link ModelFollower} on a models topic.
 * With {@code swap}, a new model version (same architecture and input, other weights) is published to that topic in
 * the middle of the window, and the batches around the swap are compared with the run's median batch.
 */
final class HalfLoad {
  /** How long to warm up and to measure; where in the window to publish the new model (null: no swap). */
  /** @param overrides imagestream settings to run with instead of the product's defaults (none: the defaults) */
  record Settings(Duration warmUp, Duration window, Duration swapAt, Map<String, String> overrides) {
    Settings(Duration warmUp, Duration window, Duration swapAt) {
      this(warmUp, window, swapAt, Map.of());
    }
  }

  /** The swap: when, whether it showed in the predictions, and the batches and latencies around it. */
  record Swap(long publishedAtMs, long swappedAtMs, long windowStartMs, long windowEndMs, double loadSeconds,
              int batchesInWindow, double worstBatchMs, int worstBatchSize, long worstBatchAtMs,
              double medianSameSizeBatchMs, double medianBatchMs,
              double firstNewBatchMs, double controlWorstBatchMs, int controlBatches,
              Percentiles latencyInWindow, long oldVersion, long newVersion, long oldPredictions,
              long newPredictions, int oldAfterNew, long worstBatchGcMs, long controlWorstBatchGcMs) {
    boolean happened() {
      return swappedAtMs > 0 && newPredictions > 0;
    }

    double worstOverMedian() {
      return worstBatchMs / medianBatchMs;
    }

    /** Where the worst batch fell: before the publish (no swap yet), while the new model loaded, or after the swap. */
    String whenWorst() {
      if (worstBatchAtMs < publishedAtMs) {
        return String.format("%.2f s before the publish (no swap under way)", (publishedAtMs - worstBatchAtMs) / 1e3);
      }
      if (swappedAtMs <= 0 || worstBatchAtMs < swappedAtMs) {
        return String.format("%.2f s after the publish, while the new model loaded",
            (worstBatchAtMs - publishedAtMs) / 1e3);
      }
      return String.format("%.2f s after the swap", (worstBatchAtMs - swappedAtMs) / 1e3);
    }
  }

  record Result(String what, double targetRate, double achievedRate, int produced, int outputs, int deadLetters,
                int lost, int duplicated, Percentiles latencyMs, Percentiles batchMs, Percentiles batchSize,
                Swap swap, Map<String, String> classifierSettings, Percentiles untilReceivedMs,
                Percentiles untilClassifiedMs, Window window) {
    boolean complete() {
      return lost == 0 && duplicated == 0;
    }

    double coresBusy() {
      return window.coresBusy();
    }

    Commits commits() {
      return window.commits();
    }
  }

  /**
   * What the measured window cost beside the images.
   *
   * @param coresBusy the cores this whole JVM kept busy (broker, paced producer, classifier, timing consumer)
   * @param jitShare the share of the cores that JIT compilation took
   * @param warmUpSeconds how long the paced warm-up before the window ran (see {@link WarmUp})
   * @param gc the JVM's GC pauses during the window ({@link GcPauses})
   */
  record Window(double coresBusy, double jitShare, double warmUpSeconds, Commits commits, GcPauses.Summary gc) {}

  /**
   * The paced warm-up before the window: at least the settings' warm-up, then on in steps until JIT compilation took
   * at most {@link Benchmark#JIT_SETTLED_SHARE} of the cores during a step, or {@link #MAX_WARM_UP_FACTOR} times the
   * minimum. The saturated warm-up leaves the paced path cold: the first half-load run of a JVM (small fetches,
   * caught-up commits, the paced producer and the timing consumer) ran at 1.8 of the 2 cores with p99 0.6-0.8 s at
   * 1,000 images/s, the next ones at 1.35 cores with p99 ~140 ms (AMD EPYC, bench/settings-ab.sh).
   */
  static final class WarmUp {
    static final long STEP_NANOS = 5_000_000_000L;
    static final int MAX_WARM_UP_FACTOR = 6;

    private final long startNanos;
    private final long minNanos;
    private final java.util.function.LongSupplier jitMillis;
    private final int cores;
    private long stepStartNanos;
    private long stepStartJitMs;

    WarmUp(long startNanos, long minNanos) {
      this(startNanos, minNanos, Benchmark::compileMillis, Runtime.getRuntime().availableProcessors());
    }

    /** @param jitMillis the JVM's total JIT compilation time so far */
    WarmUp(long startNanos, long minNanos, java.util.function.LongSupplier jitMillis, int cores) {
      this.startNanos = startNanos;
      this.minNanos = minNanos;
      this.jitMillis = jitMillis;
      this.cores = cores;
      this.stepStartNanos = startNanos;
      this.stepStartJitMs = jitMillis.getAsLong();
    }

    boolean settled(long nowNanos) {
      if (nowNanos - stepStartNanos < Math.min(STEP_NANOS, minNanos) || nowNanos - startNanos < minNanos) {
        return false;
      }
      long jitMs = jitMillis.getAsLong();
      double share = Benchmark.jitShare(jitMs - stepStartJitMs, nowNanos - stepStartNanos, cores);
      stepStartNanos = nowNanos;
      stepStartJitMs = jitMs;
      return share <= Benchmark.JIT_SETTLED_SHARE || nowNanos - startNanos >= MAX_WARM_UP_FACTOR * minNanos;
    }
  }

  /**
   * The stream threads' exactly-once commits over the window, from Kafka Streams' thread metrics: each one flushes
   * the producer and takes round trips to the broker while its thread reads nothing.
   *
   * @param perSecond commits of all stream threads per second of the window
   * @param avgMs the threads' commit-latency-avg at the window's end (Kafka's sampled window: about the last 30-60 s)
   * @param maxMs the largest commit-latency-max of the threads
   */
  record Commits(double perSecond, double avgMs, double maxMs) {
    static final Commits NONE = new Commits(Double.NaN, Double.NaN, Double.NaN);
  }

  private final Consumer<String> log;

  HalfLoad(Consumer<String> log) {
    this.log = log;
  }

  /**
   * @param model the model served first; with a swap, {@code next} (a higher version of the same name) is published
   */
  Result run(String bootstrapServers, String what, LoadedModel model, LoadedModel next, byte[] nextArtifact,
             byte[][] images, double rate, Settings settings) throws Exception {
    String run = BenchKafka.runId();
    String in = "bench-halfload-images-" + run;
    String out = "bench-halfload-predictions-" + run;
    String dlq = "bench-halfload-dlq-" + run;
    String toLabel = "bench-halfload-to-label-" + run;
    String models = "bench-halfload-models-" + run;
    BenchKafka.createTopics(bootstrapServers, Benchmark.PARTITIONS, in, out, dlq);
    BenchKafka.createTopics(bootstrapServers, 1, toLabel, models);

    Map<String, String> values = new HashMap<>();
    values.put(ImagestreamConfig.BOOTSTRAP_SERVERS, bootstrapServers);
    values.put(ImagestreamConfig.TOPIC_IMAGES, in);
    values.put(ImagestreamConfig.TOPIC_PREDICTIONS, out);
    values.put(ImagestreamConfig.TOPIC_DLQ, dlq);
    values.put(ImagestreamConfig.TOPIC_TO_LABEL, toLabel);
    values.put(ImagestreamConfig.TOPIC_MODELS, models);
    values.put(ImagestreamConfig.APPLICATION_ID, "bench-halfload-" + run);
    values.put(ImagestreamConfig.ACTIVE_UNCERTAINTY_THRESHOLD, Benchmark.UNCERTAINTY_THRESHOLD);
    values.putAll(settings.overrides());
    ImagestreamConfig config = ImagestreamConfig.of(values); // everything else: the product's defaults
    Properties streamsProps = ClassifierStreamsConfig.of(config);
    Map<String, String> used = settingsUsed(config, streamsProps);

    BatchRecorder recorder = new BatchRecorder();
    ClassifierMetrics metrics = new ClassifierMetrics(recorder);
    ServingModel serving = new ServingModel(model);
    ModelsTopic modelsTopic = new ModelsTopic(config.clientProperties(), models);
    long warmUpMs = settings.warmUp().toMillis();
    long windowMs = settings.window().toMillis();
    HalfLoadCollector collector = new HalfLoadCollector(bootstrapServers, List.of(out, dlq));
    long publishedAt = 0;
    int produced = 0;
    long cpuAtWindow = 0;
    long jitAtWindow = 0;
    double commitsAtWindow = 0;
    long windowStartMs = 0;
    double coresBusy;
    double jitShare;
    double warmUpSeconds;
    Commits commits;
    long start;
    long end;
    GcPauses gc = GcPauses.record();
    try (ClassifierService service = new ClassifierService(config, serving, metrics, streamsProps);
         ModelFollower follower = ModelFollower.of(config, modelsTopic, model.metadata().name(), serving,
             metrics);
         HalfLoadCollector c = collector) {
      follower.start();
      service.start();
      waitRunning(service);
      c.start();
      Map<String, Object> producerProps = new HashMap<>(BenchKafka.client(bootstrapServers));
      // A producer as users run one: Kafka's default linger (5 ms since Kafka 4.0, as `publish` sends). Latency still
      // counts from the send call (the record's timestamp), linger included. With 0, every image was a request of
      // its own: ~0.16 of the 2 cores more at 1,400 images/s (broker and client), for a p99 no better (176 vs 166 ms).
      producerProps.put(ProducerConfig.LINGER_MS_CONFIG, LINGER_MS);
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(),
               new ByteArraySerializer());
           ModelsTopic.Publisher publisher = nextArtifact == null ? null
               : new ModelsTopic.Publisher(config.clientProperties(), models, "bench-publisher-" + run)) {
        long intervalNanos = (long) (1e9 / rate);
        long startNanos = System.nanoTime();
        start = System.currentTimeMillis();
        long warmUpNanos = warmUpMs * 1_000_000L;
        long nextProgress = startNanos + 10_000_000_000L;
        WarmUp warmUp = new WarmUp(startNanos, warmUpNanos);
        long windowStartNanos = -1; // set once warm
        Thread publishing = null;
        for (long i = 0; ; i++) {
          long due = startNanos + i * intervalNanos;
          if (windowStartNanos >= 0 && due - windowStartNanos >= windowMs * 1_000_000L) {
            break;
          }
          long now;
          while ((now = System.nanoTime()) < due) {
            LockSupport.parkNanos(Math.min(due - now, 1_000_000L));
          }
          if (windowStartNanos < 0 && warmUp.settled(now)) {
            windowStartNanos = now;
            windowStartMs = System.currentTimeMillis();
            cpuAtWindow = processCpuNanos();
            jitAtWindow = Benchmark.compileMillis();
            commitsAtWindow = threadMetric(service, "commit-total").sum();
          }
          if (publisher != null && publishedAt == 0 && windowStartNanos >= 0
              && now - windowStartNanos >= settings.swapAt().toNanos()) {
            publishedAt = System.currentTimeMillis();
            // publishing is a transaction with a blocking send: off this thread, so the pace stays steady
            publishing = new Thread(() -> publish(publisher, nextArtifact), "bench-model-publish");
            publishing.start();
            log.accept(String.format("  publishing %s v%d to %s", next.metadata().name(),
                next.metadata().version(), models));
          }
          producer.send(new ProducerRecord<>(in, null, System.currentTimeMillis(), BenchKafka.key(produced),
              images[produced % images.length]));
          produced++;
          if (now >= nextProgress) {
            log.accept(String.format("  %s: %,d images sent at %.0f/s, %,d outputs so far%s", what, produced,
                rate, c.count(), windowStartNanos < 0 ? " (warming up)" : ""));
            nextProgress += 10_000_000_000L;
          }
        }
        long windowNanos = System.nanoTime() - windowStartNanos;
        double seconds = windowNanos / 1e9;
        coresBusy = (processCpuNanos() - cpuAtWindow) / 1e9 / seconds;
        jitShare = Benchmark.jitShare(Benchmark.compileMillis() - jitAtWindow, windowNanos,
            Runtime.getRuntime().availableProcessors());
        warmUpSeconds = (windowStartNanos - startNanos) / 1e9;
        commits = new Commits((threadMetric(service, "commit-total").sum() - commitsAtWindow) / seconds,
            threadMetric(service, "commit-latency-avg").average().orElse(Double.NaN),
            threadMetric(service, "commit-latency-max").max().orElse(Double.NaN));
        producer.flush();
        end = System.currentTimeMillis();
        if (publishing != null) {
          publishing.join(60_000);
        }
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (c.distinct() < produced && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Thread.sleep(500); // a duplicate would show up now, if any
    } finally {
      gc.close();
    }
    BenchKafka.deleteTopics(bootstrapServers, in, out, dlq, toLabel, models,
        "bench-halfload-" + run + "-" + ClassifierTopology.PENDING_STORE + "-changelog");
    List<OutputLog.Output> outputs = collector.outputs();
    return HalfLoadAnalysis.result(what, rate, produced / ((end - start) / 1000.0), produced, outputs, recorder, windowStartMs,
        windowStartMs + windowMs, publishedAt, model, next, used, new Window(coresBusy, jitShare, warmUpSeconds,
            commits, GcPauses.Summary.of(gc.between(windowStartMs, windowStartMs + windowMs))), gc);
  }

  /** A stream-thread metric of Kafka Streams, one value per stream thread (NaN values left out). */
  private static java.util.stream.DoubleStream threadMetric(ClassifierService service, String name) {
    return service.streams().metrics().values().stream()
        .filter(m -> m.metricName().group().equals("stream-thread-metrics") && m.metricName().name().equals(name))
        .map(org.apache.kafka.common.Metric::metricValue)
        .filter(v -> v instanceof Double d && !d.isNaN())
        .mapToDouble(v -> (Double) v);
  }

  /** CPU time of this whole JVM: the broker, the paced producer, the classifier and the timing consumer. */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static void publish(ModelsTopic.Publisher publisher, byte[] artifact) {
    try {
      publisher.publish(artifact);
    } catch (Exception e) {
      throw new IllegalStateException("cannot publish the benchmark's second model: " + e.getMessage(), e);
    }
  }

  /** The paced producer's linger.ms. */
  static final int LINGER_MS = 5;

  /** The settings that decide latency, as the classifier really ran with them. */
  static Map<String, String> settingsUsed(ImagestreamConfig config, Properties streamsProps) {
    StreamsConfig streams = new StreamsConfig(streamsProps);
    Map<String, String> used = new LinkedHashMap<>();
    used.put(ImagestreamConfig.BATCH_SIZE, Integer.toString(config.getInt(ImagestreamConfig.BATCH_SIZE)));
    used.put(ImagestreamConfig.BATCH_MAX_WAIT_MS, Long.toString(config.getLong(ImagestreamConfig.BATCH_MAX_WAIT_MS)));
    used.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, streams.getString(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    used.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.toString(streams.getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)));
    used.put(ImagestreamConfig.COMMIT_CAUGHT_UP_INTERVAL_MS,
        Long.toString(config.getLong(ImagestreamConfig.COMMIT_CAUGHT_UP_INTERVAL_MS)));
    Object retryBackoff = streams.getProducerConfigs("bench").get(ProducerConfig.RETRY_BACKOFF_MS_CONFIG);
    used.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG),
        retryBackoff == null ? "100 (Kafka's default)" : retryBackoff.toString());
    used.put(ImagestreamConfig.STREAM_THREADS, Integer.toString(ClassifierStreamsConfig.streamThreads(config)));
    int decodeThreads = config.getInt(ImagestreamConfig.DECODE_THREADS);
    used.put(ImagestreamConfig.DECODE_THREADS, decodeThreads + (decodeThreads == -1 ? " (one per core)" : ""));
    used.put(ImagestreamConfig.ACTIVE_UNCERTAINTY_THRESHOLD,
        Double.toString(config.getDouble(ImagestreamConfig.ACTIVE_UNCERTAINTY_THRESHOLD)));
    return used;
  }

  private static void waitRunning(ClassifierService service) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!service.isRunning()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the classifier did not reach RUNNING within 60 s");
      }
      Thread.sleep(50);
    }
  }

}
