package io.imagestream.bench;

import static io.imagestream.bench.BenchmarkChart.chart;
import static io.imagestream.bench.BenchmarkMarkdown.markdown;
import static io.imagestream.bench.BenchmarkMarkdown.row;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.InputShape;
import io.imagestream.kafka.EmbeddedKafkaBroker;
import io.imagestream.model.Architectures;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import io.imagestream.model.NativeBackend;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Runs the benchmark and writes the Markdown report: the table of medians and the ratios the targets name. */
public final class BenchmarkReport {
  static final int[] BATCHES = {1, 8, 32, 128, 256};

  private BenchmarkReport() {}

  public static void run(boolean quick, int rounds, Path out, Consumer<String> log) throws Exception {
    // The product's default threads per network call (the in-process pipeline runs as `classify` would).
    NativeBackend.useThreadsPerCall(ImagestreamConfig.defaults().getInt(ImagestreamConfig.INFERENCE_THREADS));
    NativeBackend.init();
    Benchmark bench = new Benchmark(new Benchmark.Settings(measure(quick), quick ? 1500 : 5000,
        rounds, quick ? 2 : 12, quick ? 0 : WARM_UP_IMAGES), log);
    InputShape rgb64 = new InputShape(64, 64, 3);
    LoadedModel rgbModel = Benchmark.untrained(rgb64);
    LoadedModel greyModel = defaultModel();
    VggComparison vgg = VggComparison.prepare(greyModel, VggComparison.TRAINED);
    log.accept("vgg-bn beside the tutorial CNN: vgg-bn " + vgg.figures().vggSource() + "; tutorial CNN "
        + vgg.figures().cnnSource());
    Map<String, Double> results = new LinkedHashMap<>();
    List<String> rows = new ArrayList<>();

    for (int batch : BATCHES) {
      double v = bench.modelOnly(rgbModel, batch);
      results.put("model64:" + batch, v);
      rows.add(row("model only, 64x64x3 CNN", "batch " + batch, v));
      log.accept(rows.get(rows.size() - 1));
    }
    for (int batch : BATCHES) {
      double v = bench.modelOnly(greyModel, batch);
      results.put("model28:" + batch, v);
      rows.add(row("model only, 28x28x1 default model", "batch " + batch, v));
      log.accept(rows.get(rows.size() - 1));
    }
    vgg.modelOnly(bench, BATCHES, results, "model28", log);
    Map<BenchImages.Kind, byte[][]> images = new LinkedHashMap<>();
    for (BenchImages.Kind kind : BenchImages.Kind.values()) {
      images.put(kind, BenchImages.make(kind, 200, kind.ordinal()));
      InputShape target = kind.grey ? greyModel.inputShape() : rgb64;
      double v = bench.decodeOnly(Benchmark.preprocessor(target), images.get(kind));
      results.put("decode:" + kind, v);
      rows.add(row("decode + resize only (1 thread), " + kind.label, "to " + target, v));
      log.accept(rows.get(rows.size() - 1));
    }
    Measured measured;
    // Kafka's default initial rebalance delay (the embedded broker's is 0, for tests): a classifier's stream threads
    // then join before the first assignment, as they do on a real broker, instead of moving partitions at start.
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null,
        Map.of("group.initial.rebalance.delay.ms", "3000"))) {
      for (BenchImages.Kind kind : BenchImages.Kind.values()) {
        LoadedModel model = kind.grey ? greyModel : rgbModel;
        log.accept("pipeline warm-up (not measured), " + kind.label);
        List<Benchmark.WarmUpRun> warmUp = bench.warmUpPipeline(broker.bootstrapServers(), model, images.get(kind), 32);
        for (int i = 0; i < warmUp.size(); i++) {
          results.put(WARM_UP_KEY + kind + ":" + (i + 1), warmUp.get(i).imagesPerSecond());
          results.put(WARM_UP_JIT_KEY + kind + ":" + (i + 1), warmUp.get(i).jitShare());
        }
        for (int batch : new int[] {32, 1}) {
          long compileBefore = Benchmark.compileMillis();
          long wallBefore = System.nanoTime();
          // Micro-batched: sized by the last warm-up run's rate; record by record is slower, the minimum will do.
          double v = bench.pipeline(broker.bootstrapServers(), model, images.get(kind), batch,
              batch == 1 ? 0 : warmUp.get(warmUp.size() - 1).imagesPerSecond());
          results.merge("jit:pipelineCompileMs", (double) (Benchmark.compileMillis() - compileBefore), Double::sum);
          results.merge("jit:pipelineWallMs", (System.nanoTime() - wallBefore) / 1e6, Double::sum);
          results.put("pipeline:" + kind + ":" + batch, v);
          rows.add(row("pipeline (broker, exactly-once), " + kind.label, batch == 1 ? "record by record"
              : "micro-batch " + batch, v));
          log.accept(rows.get(rows.size() - 1));
        }
        if (kind == BenchImages.Kind.JPEG_64) {
          double v = bench.pipelineAtLeastOnce(broker.bootstrapServers(), model, images.get(kind), 32,
              warmUp.get(warmUp.size() - 1).imagesPerSecond());
          results.put(AT_LEAST_ONCE_KEY, v);
          rows.add(row("pipeline (broker, at-least-once, as the peer runs), " + kind.label, "micro-batch 32", v));
          log.accept(rows.get(rows.size() - 1));
        }
      }
      vgg.pipeline(bench, broker.bootstrapServers(), images.get(VggComparison.PIPELINE_KIND), results,
          "pipeline:" + VggComparison.PIPELINE_KIND + ":" + VggComparison.PIPELINE_BATCH, log);
      log.accept(String.format("vgg-bn beside the tutorial CNN: %.0f s of measurements", vgg.seconds()));
      PythonPeer.Availability peer = PythonPeer.check();
      for (BenchImages.Kind kind : BenchImages.Kind.values()) {
        if (!peer.ok()) {
          log.accept("Python peer not measured: " + peer.reason());
          break;
        }
        // The same backlog size as our micro-batched pipeline of this input.
        double v = bench.peer(broker.bootstrapServers(), kind.grey ? greyModel : rgbModel, images.get(kind), 32,
            results.getOrDefault("pipeline:" + kind + ":32", 0.0));
        results.put("peer:pipeline:" + kind, v);
        log.accept(row("Python peer", "pipeline:" + kind, v));
      }
      measured = measureUnderLoad(broker, quick, rgbModel, greyModel, images, results, log);
    }
    String report = markdown(rows, results, measured, vgg.figures(), rounds, quick) + OtherReports.section(out);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report);
    Path chart = out.resolveSibling(out.getFileName().toString().replaceFirst("\\.md$", "") + ".png");
    chart(results, measured, chart);
    log.accept("wrote " + out + " and " + chart);
  }

  /** How long each model-only and decode-only round measures; pipeline backlogs last about twice as long. */
  static Duration measure(boolean quick) {
    return Duration.ofSeconds(quick ? 2 : 5);
  }

  /**
   * What the run measured beyond images/s: latency at half load by input, the hot swap under load, one and two
   * classifier instances as child JVMs (with the first one's memory). Any of them may be null (not measured).
   */
  record Measured(Map<BenchImages.Kind, HalfLoad.Result> halfLoad, HalfLoad.Result swap, ScaleOut.Run one,
                  ScaleOut.Run two) {
    static final Measured NONE = new Measured(Map.of(), null, null, null);
  }

  /**
   * The scale-out backlog of a full run, measured from half-way: child JVMs start cold, and C2 is still compiling
   * the clients' and Kafka Streams' code for the first tens of thousands of records (as in the in-process warm-up).
   */
  static final int SCALE_OUT_BACKLOG = 40_000;

  static double scaleOutMeasureFrom(boolean quick) {
    return quick ? 0.1 : 0.5;
  }

  /** A full run's warm-up: at least this many images through the pipeline in this JVM before the first round. */
  static final int WARM_UP_IMAGES = 120_000;

  static final String WARM_UP_KEY = "warmup:";
  static final String WARM_UP_JIT_KEY = "warmupjit:";
  static final String AT_LEAST_ONCE_KEY = "pipeline:JPEG_64:32:at_least_once";
  static final double P99_TARGET_MS = 100;
  static final double SWAP_TARGET_RATIO = 2;
  static final double RSS_TARGET_GIB = 1.5;
  static final double[] CLUSTER_TARGETS = {10_000, 100_000};

  /** Latency at half load, the hot swap, then scale-out and memory (child JVMs); prints progress as it goes. */
  static Measured measureUnderLoad(EmbeddedKafkaBroker broker, boolean quick, LoadedModel rgbModel,
                                           LoadedModel greyModel, Map<BenchImages.Kind, byte[][]> images,
                                           Map<String, Double> results, Consumer<String> log) throws Exception {
    HalfLoad halfLoad = new HalfLoad(log);
    HalfLoad.Settings latencySettings = quick
        ? new HalfLoad.Settings(Duration.ofSeconds(5), Duration.ofSeconds(15), null)
        : new HalfLoad.Settings(Duration.ofSeconds(10), Duration.ofSeconds(40), null);
    Map<BenchImages.Kind, HalfLoad.Result> latency = new LinkedHashMap<>();
    for (BenchImages.Kind kind : quick ? List.of(BenchImages.Kind.JPEG_64) : List.of(BenchImages.Kind.values())) {
      double rate = results.get("pipeline:" + kind + ":32") / 2;
      log.accept(String.format("latency at half load, %s: %.0f images/s for a warm-up of at least %d s (until the JIT "
          + "settles) + %d s measured", kind.label, rate, latencySettings.warmUp().toSeconds(),
          latencySettings.window().toSeconds()));
      HalfLoad.Result r = halfLoad.run(broker.bootstrapServers(), kind.label, kind.grey ? greyModel : rgbModel, null,
          null, images.get(kind), rate, latencySettings);
      latency.put(kind, r);
      log.accept(String.format("| latency at half load, %s | p50 / p95 / p99 | %.0f / %.0f / %.0f ms (%,d images, "
          + "%d lost, %d duplicated) |", kind.label, r.latencyMs().p50(), r.latencyMs().p95(), r.latencyMs().p99(),
          r.latencyMs().count(), r.lost(), r.duplicated()));
    }

    BenchImages.Kind swapKind = BenchImages.Kind.JPEG_64;
    LoadedModel next = nextVersion(rgbModel);
    byte[] nextArtifact = ModelArtifact.toBytes(next.network(), next.metadata());
    HalfLoad.Settings swapSettings = quick
        ? new HalfLoad.Settings(Duration.ofSeconds(5), Duration.ofSeconds(20), Duration.ofSeconds(6))
        : new HalfLoad.Settings(Duration.ofSeconds(10), Duration.ofSeconds(40), Duration.ofSeconds(15));
    double swapRate = results.get("pipeline:" + swapKind + ":32") / 2;
    log.accept(String.format("hot swap under load, %s: %.0f images/s, v%d published %d s into the %d s window",
        swapKind.label, swapRate, next.metadata().version(), swapSettings.swapAt().toSeconds(),
        swapSettings.window().toSeconds()));
    HalfLoad.Result swap = halfLoad.run(broker.bootstrapServers(), swapKind.label + " with a swap", rgbModel, next,
        nextArtifact, images.get(swapKind), swapRate, swapSettings);
    HalfLoad.Swap s = swap.swap();
    log.accept(String.format("| hot swap, %s | worst batch in window / median batch | %.1f / %.1f ms = %.2f "
        + "(swap %s; v%d: %,d predictions, v%d: %,d; %d lost, %d duplicated) |", swapKind.label, s.worstBatchMs(),
        s.medianBatchMs(), s.worstOverMedian(), s.happened() ? "happened" : "DID NOT HAPPEN", s.oldVersion(),
        s.oldPredictions(), s.newVersion(), s.newPredictions(), swap.lost(), swap.duplicated()));

    Path work = ScaleOut.tempDir();
    ScaleOut.Run one;
    ScaleOut.Run two;
    try {
      Path modelFile = work.resolve("bench-64x64.zip");
      Files.write(modelFile, ModelArtifact.toBytes(rgbModel.network(), rgbModel.metadata()));
      ScaleOut scaleOut = new ScaleOut(log, work);
      int backlog = quick ? 3000 : SCALE_OUT_BACKLOG;
      double measureFrom = scaleOutMeasureFrom(quick);
      log.accept(String.format("scale-out, %s: a backlog of %,d images on a %d-partition topic, then 1 and 2 "
          + "classifier instances (child JVMs; logs in %s)", swapKind.label, backlog, ScaleOut.PARTITIONS, work));
      String topic = scaleOut.backlog(broker.bootstrapServers(), images.get(swapKind), backlog);
      one = scaleOut.run(broker.bootstrapServers(), topic, backlog, modelFile, 1, measureFrom);
      log.accept(String.format("| pipeline, 1 classifier instance (child JVM), %s | 6 partitions | %,.0f images/s, "
          + "peak RSS %s, ND4J off-heap peak %s |", swapKind.label, one.imagesPerSecond(),
          mib(one.memory().get(0).peakRssBytes()), mib(one.memory().get(0).peakOffHeapAllocatedBytes())));
      two = scaleOut.run(broker.bootstrapServers(), topic, backlog, modelFile, 2, measureFrom);
      log.accept(String.format("| pipeline, 2 classifier instances (child JVMs), %s | 6 partitions | %,.0f images/s |",
          swapKind.label, two.imagesPerSecond()));
    } finally {
      deleteQuietly(work);
    }
    return new Measured(latency, swap, one, two);
  }

  /** The same architecture and input as {@code model}, other weights, the next version: what a retrain publishes. */
  static LoadedModel nextVersion(LoadedModel model) {
    ModelMetadata m = model.metadata();
    return LoadedModel.of(Architectures.build(m.architecture(), model.inputShape(), m.classNames().size(), 2, 1e-3),
        m.withVersion(m.version() + 1, m.version()));
  }

  static void deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp dir: not worth failing the report for
    }
  }

  static String mib(long bytes) {
    return bytes < 0 ? "–" : String.format("%,d MiB", bytes >> 20);
  }

  /** The 28x28x1 default model (models/default.zip, else the bundled one), as the grey inputs run it. */
  static LoadedModel defaultModel() throws Exception {
    Path file = Path.of("models/default.zip");
    if (Files.isReadable(file)) {
      return ModelArtifact.load(file);
    }
    try (InputStream in = BenchmarkReport.class.getResourceAsStream("/models/default.zip")) {
      if (in == null) {
        return Benchmark.untrained(new InputShape(28, 28, 1));
      }
      return ModelArtifact.load(in.readAllBytes(), "bundled default model");
    }
  }

}
