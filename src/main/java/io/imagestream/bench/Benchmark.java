package io.imagestream.bench;

import io.imagestream.classify.ClassifierService;
import io.imagestream.classify.ClassifierTopology;
import io.imagestream.classify.ServingModel;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.ImageRejectedException;
import io.imagestream.image.InputShape;
import io.imagestream.image.Interpolation;
import io.imagestream.kafka.TopicInitializer;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.model.Architectures;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.NetworkCalls;
import io.imagestream.model.ModelMetadata;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures, in one process on one machine: the network alone, decoding alone, and the whole classifier on a real
 * broker (exactly-once, decode, batch, predict, produce), micro-batched and record by record.
 */
final class Benchmark {
  /**
   * Active learning off in every classifier the bench runs: the untrained bench model is unsure of every image, so
   * each would also be written to to-label with its original bytes (a trained model is unsure of a few), and the
   * Python peer does not do it either.
   */
  static final String UNCERTAINTY_THRESHOLD = "0";

  /** Partitions of the benchmark's topics: as topics/images.properties (a multiple of 1, 2 and 3 stream threads). */
  static final int PARTITIONS = 6;

  /**
   * @param warmUpRuns at most this many unmeasured pipeline runs before an input's rounds (fewer once the JIT has
   *     settled, see {@link #settled})
   * @param warmUpImages and at least this many warm-up images in this JVM before the first measured round
   */
  record Settings(Duration measure, int pipelineImages, int rounds, int warmUpRuns, int warmUpImages) {}

  /**
   * The JIT has settled when it took at most this share of the cores during a warm-up run. Measured here (64x64
   * JPEGs, runs of 15,000 images, one JVM): C2 took 35-45 % of both cores in the first two runs, 23 % in the third,
   * 7-11 % from the fifth on, and the rate went 957 -> 1,077 -> 1,532 -> 1,880 -> 1,765 -> 2,070 images/s.
   */
  static final double JIT_SETTLED_SHARE = 0.10;

  /** Warm-up images run in this JVM so far, over all inputs (the clients' and Kafka Streams' code is shared). */
  private long warmedImages;

  /** One unmeasured warm-up run: its images/s and the share of the cores that JIT compilation took during it. */
  record WarmUpRun(double imagesPerSecond, double jitShare) {}

  private final Settings settings;
  private final Consumer<String> log;

  Benchmark(Settings settings, Consumer<String> log) {
    this.settings = settings;
    this.log = log;
  }

  /** A keras-tutorial-cnn for the given input, untrained (speed does not depend on the weights). */
  static LoadedModel untrained(InputShape shape) {
    List<String> classes = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    ModelMetadata metadata = new ModelMetadata("bench", 1, 0, Architectures.KERAS_TUTORIAL_CNN, classes,
        ModelMetadata.Input.of(shape), new ModelMetadata.Preprocessing(1.0 / 255, "bilinear", "rgb"),
        ModelMetadata.SOFTMAX, null, null, null);
    return LoadedModel.of(Architectures.build(Architectures.KERAS_TUTORIAL_CNN, shape, classes.size(), 1, 1e-3),
        metadata);
  }

  /** Images per second of the network alone on ready tensors, median of the rounds. */
  /**
   * Images per second of the network alone on ready tensors, median of the rounds: as many concurrent callers as
   * the classifier may run network calls at once (cores / threads per call, see NetworkCalls), each with its own
   * copy of the network, as its stream threads do.
   */
  double modelOnly(LoadedModel model, int batch) {
    INDArray input = Nd4j.rand(model.batchShape(batch)); // in the model's serving layout
    int callers = NetworkCalls.concurrency();
    return median(() -> {
      java.util.concurrent.atomic.AtomicLong images = new java.util.concurrent.atomic.AtomicLong();
      java.util.concurrent.CyclicBarrier ready = new java.util.concurrent.CyclicBarrier(callers + 1);
      long[] window = new long[2];
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < callers; t++) {
        Thread thread = new Thread(() -> {
          for (int i = 0; i < 3; i++) {
            model.predict(input); // warm-up (this thread's copy of the network)
          }
          await(ready);
          await(ready);
          while (System.nanoTime() < window[1]) {
            model.predict(input);
            images.addAndGet(batch);
          }
        }, "bench-model-" + t);
        thread.start();
        threads.add(thread);
      }
      await(ready);
      window[0] = System.nanoTime();
      window[1] = window[0] + settings.measure().toNanos();
      await(ready);
      for (Thread thread : threads) {
        try {
          thread.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
      }
      return images.get() / ((System.nanoTime() - window[0]) / 1e9);
    });
  }

  private static void await(java.util.concurrent.CyclicBarrier barrier) {
    try {
      barrier.await();
    } catch (InterruptedException | java.util.concurrent.BrokenBarrierException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("benchmark threads out of step", e);
    }
  }


  /** Images per second of decoding + resizing alone, one thread. */
  double decodeOnly(ImagePreprocessor preprocessor, byte[][] images) {
    return median(() -> {
      long count = 0;
      long start = System.nanoTime();
      long end = start + settings.measure().toNanos();
      while (System.nanoTime() < end) {
        try {
          preprocessor.toPixels(images[(int) (count % images.length)]);
        } catch (ImageRejectedException e) {
          throw new IllegalStateException("a benchmark image was refused: " + e.getMessage(), e);
        }
        count++;
      }
      return count / ((System.nanoTime() - start) / 1e9);
    });
  }

  /**
   * Sustained images per second of the full classifier: a backlog of images is produced first, then the classifier
   * starts; the rate is taken between its 10 % and its 90 % committed output (ArrivalClock).
   */
  double pipeline(String bootstrapServers, LoadedModel model, byte[][] images, int batchSize,
                  double expectedRate) {
    return median(() -> pipelineOnce(bootstrapServers, model, images, batchSize, backlogSize(expectedRate), Map.of()));
  }

  /**
   * Enough images for twice the measuring time at the expected rate, at least the settings' backlog: a fixed
   * backlog measured the 28x28 PNG pipeline over ~0.7 s (5,000 images at ~6,000/s), where start-up still shows.
   */
  int backlogSize(double expectedRate) {
    return (int) Math.max(settings.pipelineImages(), 2 * settings.measure().toSeconds() * expectedRate);
  }

  /**
   * The same pipeline at-least-once (no transactions, no read_committed), as the Python peer runs: not the
   * product's default, but the like-for-like comparison with the peer, and what exactly-once costs.
   */
  double pipelineAtLeastOnce(String bootstrapServers, LoadedModel model, byte[][] images, int batchSize,
                             double expectedRate) {
    return median(() -> pipelineOnce(bootstrapServers, model, images, batchSize, backlogSize(expectedRate),
        Map.of("processing.guarantee", "at_least_once")));
  }

  /**
   * Unmeasured pipeline runs of three times the backlog until the JIT has settled (or {@code warmUpRuns} of them):
   * the broker, the clients and Kafka Streams run in this JVM, and C2 keeps compiling their code for the first
   * ~50,000 records on these cores, while a deployed classifier runs for hours. The figures are of a classifier that
   * has been running; the runs returned show what a cold one does.
   */
  List<WarmUpRun> warmUpPipeline(String bootstrapServers, LoadedModel model, byte[][] images, int batchSize) {
    List<WarmUpRun> runs = new ArrayList<>();
    int cores = Runtime.getRuntime().availableProcessors();
    do {
      long compileBefore = compileMillis();
      long start = System.nanoTime();
      double rate = pipelineOnce(bootstrapServers, model, images, batchSize, 3 * settings.pipelineImages(), Map.of());
      long elapsedNanos = System.nanoTime() - start;
      warmedImages += 3L * settings.pipelineImages();
      runs.add(new WarmUpRun(rate, jitShare(compileMillis() - compileBefore, elapsedNanos, cores)));
      log.accept(String.format("  warm-up run %d: %.0f images/s, JIT %.0f %% of the cores", runs.size(), rate,
          100 * runs.get(runs.size() - 1).jitShare()));
    } while (!settled(runs, settings.warmUpRuns(), warmedImages >= settings.warmUpImages()));
    return runs;
  }

  /**
   * Warm enough: the JVM has run its minimum of warm-up images and the last run's JIT share is at most
   * {@link #JIT_SETTLED_SHARE}, or the runs are used up. Why a minimum too: the rate kept climbing for a while after
   * C2's share fell under 10 % (runs of 15,000: 1,880 -> 1,765 -> 2,070 -> 2,222 images/s at 7-11 %).
   */
  static boolean settled(List<WarmUpRun> runs, int maxRuns, boolean enoughImages) {
    return runs.size() >= maxRuns || (enoughImages && runs.get(runs.size() - 1).jitShare() <= JIT_SETTLED_SHARE);
  }

  /** The share of {@code cores} that {@code jitMs} of JIT compilation took over {@code elapsedNanos}. */
  static double jitShare(long jitMs, long elapsedNanos, int cores) {
    return jitMs / (elapsedNanos / 1e6) / cores;
  }

  /** Total JIT compilation time of this JVM so far (0 where the JVM does not tell). */
  static long compileMillis() {
    java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
  }

  double pipelineOnce(String bootstrapServers, LoadedModel model, byte[][] images, int batchSize,
                      int count, Map<String, String> overrides) {
    Backlog backlog = backlog(bootstrapServers, images, count);
    Map<String, String> values = new HashMap<>();
    values.put(ImagestreamConfig.BOOTSTRAP_SERVERS, bootstrapServers);
    values.put(ImagestreamConfig.TOPIC_IMAGES, backlog.in());
    values.put(ImagestreamConfig.TOPIC_PREDICTIONS, backlog.out());
    values.put(ImagestreamConfig.TOPIC_DLQ, backlog.dlq());
    values.put(ImagestreamConfig.APPLICATION_ID, "bench-" + backlog.run());
    values.put(ImagestreamConfig.BATCH_SIZE, Integer.toString(batchSize));
    values.put(ImagestreamConfig.ACTIVE_UNCERTAINTY_THRESHOLD, UNCERTAINTY_THRESHOLD);
    values.putAll(overrides);
    try (ClassifierService service = new ClassifierService(ImagestreamConfig.of(values), new ServingModel(model),
        ClassifierMetrics.discarding())) {
      service.start();
      return throughput(backlog.client(), List.of(backlog.out(), backlog.dlq()), backlog.images());
    } finally {
      BenchKafka.deleteTopics(bootstrapServers, backlog.in(), backlog.out(), backlog.dlq(),
          "bench-" + backlog.run() + "-" + ClassifierTopology.PENDING_STORE + "-changelog");
    }
  }

  /**
   * The Python peer (bench/peer/peer.py: confluent-kafka, Pillow, PyTorch, the same CNN and weights) on the same
   * backlog, measured the same way (first to last prediction seen by a read_committed consumer).
   */
  double peer(String bootstrapServers, LoadedModel model, byte[][] images, int batchSize, double expectedRate) {
    return median(() -> {
      Backlog backlog = backlog(bootstrapServers, images, backlogSize(expectedRate));
      try {
        return PythonPeer.run(bootstrapServers, backlog.in(), backlog.out(), model, batchSize, 20,
            backlog.images(), Duration.ofMinutes(10)).imagesPerSecond();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("the Python peer failed: " + e.getMessage(), e);
      } finally {
        BenchKafka.deleteTopics(bootstrapServers, backlog.in(), backlog.out(), backlog.dlq());
      }
    });
  }

  private record Backlog(String run, String in, String out, String dlq, int images, Map<String, Object> client) {}

  /** Fresh topics of PARTITIONS partitions, with the input holding the run's images (produced before anyone consumes). */
  private Backlog backlog(String bootstrapServers, byte[][] images, int n) {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String in = "bench-images-" + run;
    String out = "bench-predictions-" + run;
    String dlq = "bench-dlq-" + run;
    Map<String, Object> client = Map.of("bootstrap.servers", bootstrapServers);
    try (Admin admin = Admin.create(client)) {
      new TopicInitializer(admin).ensure(List.of(new TopicSpec(in, PARTITIONS, (short) 1, Map.of("max.message.bytes",
          "16777216")), new TopicSpec(out, PARTITIONS, (short) 1, Map.of()),
          new TopicSpec(dlq, PARTITIONS, (short) 1, Map.of())),
          Duration.ofSeconds(60));
    }
    Map<String, Object> producerProps = new HashMap<>(client);
    producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    producerProps.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < n; i++) {
        producer.send(new ProducerRecord<>(in, ("img-" + i).getBytes(StandardCharsets.UTF_8),
            images[i % images.length]));
      }
    }
    return new Backlog(run, in, out, dlq, n, client);
  }

  private static double throughput(Map<String, Object> client, List<String> topics, int expected) {
    Map<String, Object> props = new HashMap<>(client);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      topics.forEach(t -> consumer.partitionsFor(t).forEach(p -> partitions.add(new TopicPartition(t, p.partition()))));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      ArrivalClock clock = new ArrivalClock(expected);
      long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      while (clock.seen() < expected && System.nanoTime() < deadline) {
        int count = consumer.poll(Duration.ofMillis(100)).count();
        long now = System.nanoTime();
        for (int i = 0; i < count; i++) {
          clock.arrived(now);
        }
      }
      if (clock.seen() < expected) {
        throw new IllegalStateException("only " + clock.seen() + " of " + expected + " outputs within 10 minutes");
      }
      return clock.steadyRate();
    }
  }

  static ImagePreprocessor preprocessor(InputShape shape) {
    return new ImagePreprocessor(shape, 40_000_000L, 16 << 20, Interpolation.BILINEAR);
  }

  private interface Measurement {
    double run();
  }

  private double median(Measurement measurement) {
    List<Double> results = new ArrayList<>();
    for (int i = 0; i < settings.rounds(); i++) {
      results.add(measurement.run());
    }
    results.sort(Double::compare);
    return results.get(results.size() / 2);
  }
}
