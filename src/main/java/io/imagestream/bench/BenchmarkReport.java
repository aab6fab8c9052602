package io.imagestream.bench;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.InputShape;
import io.imagestream.kafka.EmbeddedKafkaBroker;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.NativeBackend;
import io.imagestream.model.NetworkCalls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import io.imagestream.model.Architectures;
import io.imagestream.model.ModelMetadata;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** Runs the benchmark and writes the Markdown report: the table of medians and the ratios the targets name. */
public final class BenchmarkReport {
  private static final int[] BATCHES = {1, 8, 32, 128, 256};

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
    String report = markdown(rows, results, measured, rounds, quick);
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
  private static Measured measureUnderLoad(EmbeddedKafkaBroker broker, boolean quick, LoadedModel rgbModel,
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

  private static void deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp dir: not worth failing the report for
    }
  }

  static String mib(long bytes) {
    return bytes < 0 ? "–" : String.format("%,d MiB", bytes >> 20);
  }

  /** Throughput (model only by batch size, the pipeline) and, below it, latency percentiles at half load. */
  static void chart(Map<String, Double> r, Measured measured, Path file) throws IOException {
    CategoryChart chart = new CategoryChartBuilder().width(1000).height(500)
        .title("images/s on this machine").xAxisTitle("").yAxisTitle("images/s").build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setXAxisLabelRotation(20);
    List<String> batches = new ArrayList<>();
    List<Double> model64 = new ArrayList<>();
    List<Double> model28 = new ArrayList<>();
    for (int batch : BATCHES) {
      batches.add("model, batch " + batch);
      model64.add(r.get("model64:" + batch));
      model28.add(r.get("model28:" + batch));
    }
    List<String> kinds = new ArrayList<>(batches);
    List<Double> a = new ArrayList<>(model64);
    List<Double> b = new ArrayList<>(model28);
    kinds.add("pipeline, batch 32");
    a.add(r.get("pipeline:JPEG_64:32"));
    b.add(r.get("pipeline:PNG_GREY_28:32"));
    kinds.add("pipeline, batch 1");
    a.add(r.get("pipeline:JPEG_64:1"));
    b.add(r.get("pipeline:PNG_GREY_28:1"));
    if (measured.one() != null && measured.two() != null) {
      kinds.add("1 instance (child JVM)");
      a.add(measured.one().imagesPerSecond());
      b.add(0.0);
      kinds.add("2 instances (child JVMs)");
      a.add(measured.two().imagesPerSecond());
      b.add(0.0);
    }
    chart.addSeries("64x64x3 CNN / 64x64 JPEG", kinds, a);
    chart.addSeries("28x28x1 default model / 28x28 PNG", kinds, b);
    List<CategoryChart> charts = new ArrayList<>(List.of(chart));
    List<String> cases = new ArrayList<>();
    List<Double> p50 = new ArrayList<>();
    List<Double> p95 = new ArrayList<>();
    List<Double> p99 = new ArrayList<>();
    measured.halfLoad().forEach((kind, result) -> {
      cases.add(kind.label + " at " + Math.round(result.targetRate()) + "/s");
      p50.add(result.latencyMs().p50());
      p95.add(result.latencyMs().p95());
      p99.add(result.latencyMs().p99());
    });
    if (measured.swap() != null && !measured.swap().swap().latencyInWindow().isEmpty()) {
      Percentiles w = measured.swap().swap().latencyInWindow();
      cases.add("around the hot swap");
      p50.add(w.p50());
      p95.add(w.p95());
      p99.add(w.p99());
    }
    if (!cases.isEmpty()) {
      CategoryChart latency = new CategoryChartBuilder().width(1000).height(500)
          .title("end-to-end latency at half load (target p99 <= " + Math.round(P99_TARGET_MS) + " ms)")
          .xAxisTitle("").yAxisTitle("ms").build();
      latency.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
      latency.addSeries("p50", cases, p50);
      latency.addSeries("p95", cases, p95);
      latency.addSeries("p99", cases, p99);
      charts.add(latency);
    }
    BitmapEncoder.saveBitmap(charts, charts.size(), 1, file.toString(), BitmapEncoder.BitmapFormat.PNG);
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

  private static String row(String what, String how, double imagesPerSecond) {
    return String.format("| %s | %s | %,.0f |", what, how, imagesPerSecond);
  }

  static String markdown(List<String> rows, Map<String, Double> r, Measured m, int rounds, boolean quick)
      throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# Benchmarks\n\n");
    md.append("Produced by `java -jar target/imagestream.jar bench").append(quick ? " --quick" : "")
        .append(" --rounds ").append(rounds).append("` (after `mvn -q -DskipTests package`), ").append(Instant.now()).append(".\n\n");
    md.append("## Machine\n\n").append(machine()).append("\n");
    md.append("## Results (images/s, median of ").append(rounds).append(rounds == 1 ? " round" : " rounds")
        .append(")\n\n| what | how | images/s |\n|---|---|---|\n");
    rows.forEach(row -> md.append(row).append('\n'));
    if (m.one() != null) {
      md.append(row("pipeline, 1 classifier instance (child JVM, `classify`), 64x64 RGB JPEG",
          ScaleOut.PARTITIONS + " partitions, micro-batch 32", m.one().imagesPerSecond())).append('\n');
    }
    if (m.two() != null) {
      md.append(row("pipeline, 2 classifier instances (child JVMs, same application id), 64x64 RGB JPEG",
          ScaleOut.PARTITIONS + " partitions, micro-batch 32", m.two().imagesPerSecond())).append('\n');
    }
    r.forEach((key, value) -> {
      if (key.startsWith("peer:")) {
        md.append(row("Python peer", key.substring("peer:".length()), value)).append('\n');
      }
    });
    md.append("\nPipeline: a backlog of images (enough for ~" + 2 * measure(quick).toSeconds()
            + " s at the input's rate, ")
        .append("the same for the Python peer) is produced to a " + Benchmark.PARTITIONS + "-partition topic of the ")
        .append("embedded broker, then the classifier (Kafka Streams, exactly_once_v2, the product's default threads: ")
        .append("see Machine) starts in the same JVM; images/s is the steady rate between its 10 % and 90 % committed ")
        .append("output (start-up and the last partition's tail left out). Before the rounds of each input, ")
        .append("unmeasured ")
        .append("runs of three times the backlog warm the JIT up until it takes at most " + String.format("%.0f %%",
            100 * Benchmark.JIT_SETTLED_SHARE) + " of the cores" + (quick ? "" : String.format(", after at least "
            + "%,d images in the JVM", WARM_UP_IMAGES)) + " (the broker, the clients and Kafka Streams run in ")
        .append("this JVM, and C2 keeps compiling their code for the first tens of thousands of records), so the ")
        .append("figures are of a classifier that has been running; the warm-up runs below show a cold one.")
        .append(jitText(r))
        .append(" Inputs are synthetic (gradients, shapes, noise), made in the run. Active ")
        .append("learning is off in every classifier of the bench (imagestream.active.uncertainty.threshold=0): the ")
        .append("64x64 bench model is untrained, so it would send every image to to-label as well (a trained model ")
        .append("sends few), and the peer does not do it either. Python peer: bench/peer/peer.py (confluent-kafka, ")
        .append("Pillow, PyTorch with the same network and weights, batch 32, at-least-once: offsets committed after ")
        .append("each batch's predictions are acknowledged) on the same backlog, measured the same way.\n\n");
    md.append(warmUpText(r));
    latencySection(md, m);
    swapSection(md, m.swap());
    memorySection(md, m.one());
    scaleSection(md, m.one(), m.two(), quick);
    md.append("## Ratios and targets (same run)\n\n| ratio | target | measured | verdict | in this run |\n")
        .append("|---|---|---|---|---|\n");
    for (Target t : targets(r, m)) {
      md.append(t.markdownRow()).append('\n');
    }
    md.append(likeForLike(r));
    md.append("\nWhy the missed targets are missed, what the design does about each, and what would close the rest: ")
        .append("[performance.md](performance.md).\n");
    md.append("\n![throughput and latency chart](benchmarks.png)\n");
    return md.toString();
  }

  /**
   * Every target of the issue this run measured, as "target, measured, met or missed by how much", each with the
   * figures of this run that it is made of or bounded by.
   */
  static List<Target> targets(Map<String, Double> r, Measured m) {
    List<Target> targets = new ArrayList<>();
    double jpeg = r.get("pipeline:JPEG_64:32");
    targets.add(Target.atLeast("pipeline / model only, 64x64 JPEG, batch 32", 0.6, jpeg / r.get("model64:32"), "")
        .because(String.format(Locale.ROOT, "%s / %s images/s; the broker, the clients and decoding share the "
            + "cores with the network", Target.number(jpeg), Target.number(r.get("model64:32")))));
    targets.add(perRecord("pipeline / per-record pipeline, 64x64 JPEG", r, "JPEG_64", "model64"));
    targets.add(perRecord("pipeline / per-record pipeline, 28x28 PNG", r, "PNG_GREY_28", "model28"));
    targets.add(Target.atLeast("photo-sized JPEG pipeline / its decode-only rate", 0.8,
        r.get("pipeline:JPEG_PHOTO:32") / r.get("decode:JPEG_PHOTO"), "")
        .because(String.format(Locale.ROOT, "%s / %s images/s (decoding on one thread)",
            Target.number(r.get("pipeline:JPEG_PHOTO:32")), Target.number(r.get("decode:JPEG_PHOTO")))));
    Double peer = r.get("peer:pipeline:JPEG_64");
    targets.add(Target.atLeast("pipeline / Python peer (confluent-kafka + PyTorch), 64x64 JPEG", 2,
        peer != null ? jpeg / peer : Double.NaN, "")
        .because(peer == null ? "the peer's Python packages are not installed" : String.format(Locale.ROOT,
            "%s / %s images/s; the peer varies most between runs", Target.number(jpeg), Target.number(peer))));
    m.halfLoad().forEach((kind, result) -> targets.add(Target.atMost("end-to-end p99 at half load, " + kind.label,
        P99_TARGET_MS, result.latencyMs().p99(), "ms").because(String.format(Locale.ROOT,
            "at %s images/s with %.2f of the %d cores busy; until read p99 %s ms; GC pauses %d, %d ms in all",
            Target.number(result.achievedRate()), result.coresBusy(), Runtime.getRuntime().availableProcessors(),
            Target.number(result.untilReceivedMs().p99()),
            result.window().gc().count(), result.window().gc().totalMs()))));
    if (m.swap() != null) {
      HalfLoad.Swap s = m.swap().swap();
      targets.add(Target.atMost("hot swap: worst batch around the swap / median batch, 64x64 JPEG at half load",
          SWAP_TARGET_RATIO, s.happened() ? s.worstOverMedian() : Double.NaN, "")
          .because(String.format(Locale.ROOT, "with no swap, the worst batch of the stretch just before: %.2f x "
              + "the median", s.controlWorstBatchMs() / s.medianBatchMs())));
    }
    if (m.one() != null) {
      ChildClassifier.Memory memory = m.one().memory().get(0);
      long rss = memory.peakRssBytes();
      targets.add(Target.atMost("classifier peak RSS (VmHWM), 64x64 JPEG pipeline", RSS_TARGET_GIB,
          rss < 0 ? Double.NaN : rss / (double) (1L << 30), "GiB")
          .because("ND4J off-heap peak " + mib(memory.peakOffHeapAllocatedBytes())));
    }
    return targets;
  }

  /**
   * Micro-batched / record by record. It can reach 5 only if 5 x the per-record rate is below what the network alone
   * does at its best batch size: the pipeline cannot outrun its network. The context says which it is here.
   */
  private static Target perRecord(String name, Map<String, Double> r, String kind, String model) {
    double batched = r.get("pipeline:" + kind + ":32");
    double single = r.get("pipeline:" + kind + ":1");
    double networkBest = r.entrySet().stream().filter(e -> e.getKey().startsWith(model + ":"))
        .mapToDouble(Map.Entry::getValue).max().orElse(Double.NaN);
    double needed = 5 * single;
    String reach = needed > networkBest
        ? "more than the network alone at its best batch size (%s): out of reach on this machine"
        : "the network alone reaches %s at its best batch size";
    return Target.atLeast(name, 5, batched / single, "").because(String.format(Locale.ROOT,
        "%s / %s images/s; 5x needs %s micro-batched, " + reach, Target.number(batched), Target.number(single),
        Target.number(needed), Target.number(networkBest)));
  }

  private static void latencySection(StringBuilder md, Measured m) {
    if (m.halfLoad().isEmpty()) {
      return;
    }
    HalfLoad.Result any = m.halfLoad().values().iterator().next();
    md.append("## Latency at half load\n\n")
        .append("A paced producer sends images at half the saturated micro-batch pipeline rate above (CreateTime = ")
        .append("the moment of the send call, so the producer's linger counts; linger.ms ").append(HalfLoad.LINGER_MS)
        .append(", Kafka's default) for a warm-up, then for the measured window. The warm-up runs until JIT ")
        .append("compilation takes at most ").append(Math.round(100 * Benchmark.JIT_SETTLED_SHARE))
        .append(" % of the cores over ").append(HalfLoad.WarmUp.STEP_NANOS / 1_000_000_000L)
        .append(" s (at most ").append(HalfLoad.WarmUp.MAX_WARM_UP_FACTOR).append("x its minimum): the saturated ")
        .append("warm-up leaves the paced path (small fetches, caught-up commits) cold, and the first paced run of ")
        .append("a JVM measured a cold classifier. A read_committed ")
        .append("consumer notes when each prediction (or dead letter) arrives. Latency = arrival - the input ")
        .append("record's timestamp (the prediction carries it), for the images sent in the window; exact ")
        .append("percentiles of all of them (one run per input). The classifier runs with the product's defaults: ")
        .append(settingsText(any.classifierSettings())).append(". A read_committed consumer only sees an output ")
        .append("once its transaction commits, so the commit interval bounds what the batching saves; a classifier ")
        .append("that keeps up with its input commits every `imagestream.commit.caught.up.interval.ms` instead of ")
        .append("`commit.interval.ms` (a backlog, as in the saturated runs, commits at the latter). \"Until ")
        .append("classified\" is the part up to the prediction's `timestamps.classified` (the batch's network call ")
        .append("done): the rest is producing, committing and the consumer's fetch. \"Until read\" is the part up to ")
        .append("`timestamps.received` (the classifier read the record): the paced producer, the broker and the ")
        .append("stream threads' polling; the percentiles of each part are of that part alone. \"Commits\" are the ")
        .append("stream threads' exactly-once commits per second of the window, with Kafka Streams' commit-latency-avg ")
        .append("and -max (each one flushes the producer and waits for the broker while its thread reads nothing). ")
        .append("\"CPU busy\" is ")
        .append("the cores this JVM kept busy over the window: the broker, the paced producer, the classifier and ")
        .append("the timing consumer, everything measured here, of the machine's ")
        .append(Runtime.getRuntime().availableProcessors()).append(". \"GC pauses\" are this JVM's stop-the-world ")
        .append("collections during the window (count, longest, total), as the garbage collector's MXBeans report ")
        .append("them (with G1 on Java 17: young, mixed and full collections; not the concurrent cycle's Remark and ")
        .append("Cleanup): every Java thread stops in one, the stream threads, the clients and the broker included.\n\n")
        .append("| input | rate (target / achieved) | paced warm-up | CPU busy | images in window | p50 | p95 | p99 | max | until read "
            + "p50 / p99 | until classified p50 / p99 | median batch (images, ms) | commits/s (avg / max ms) "
            + "| GC pauses (n, max / total ms) | lost / duplicated |\n"
            + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    m.halfLoad().forEach((kind, r) -> md.append(String.format("| %s | %.0f / %.0f images/s | %.0f s "
            + "| %.2f cores (JIT %.0f %%) | %,d "
            + "| %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f / %.0f ms | %.0f / %.0f ms | %.0f, %.1f ms "
            + "| %.0f (%.1f / %.0f ms) | %d, %d / %d ms | %d / %d |%n",
        kind.label, r.targetRate(), r.achievedRate(), r.window().warmUpSeconds(), r.coresBusy(),
        100 * r.window().jitShare(), r.latencyMs().count(), r.latencyMs().p50(),
        r.latencyMs().p95(), r.latencyMs().p99(), r.latencyMs().max(), r.untilReceivedMs().p50(),
        r.untilReceivedMs().p99(), r.untilClassifiedMs().p50(), r.untilClassifiedMs().p99(), r.batchSize().p50(),
        r.batchMs().p50(), r.commits().perSecond(), r.commits().avgMs(), r.commits().maxMs(), r.window().gc().count(),
        r.window().gc().maxMs(), r.window().gc().totalMs(), r.lost(), r.duplicated())));
    md.append('\n');
  }

  /** The comparison with the peer at its own guarantee (not a target: exactly-once is the product's default). */
  static String likeForLike(Map<String, Double> r) {
    Double atLeastOnce = r.get(AT_LEAST_ONCE_KEY);
    Double peer = r.get("peer:pipeline:JPEG_64");
    Double exactlyOnce = r.get("pipeline:JPEG_64:32");
    if (atLeastOnce == null || exactlyOnce == null) {
      return "";
    }
    String text = String.format("%nNot a target, for comparison on 64x64 JPEGs: the pipeline at-least-once (as the "
        + "peer runs) / exactly-once: %.2f", atLeastOnce / exactlyOnce);
    if (peer != null) {
      text += String.format("; at-least-once pipeline / Python peer (both at-least-once): %.2f", atLeastOnce / peer);
    }
    return text + ".\n";
  }

  /** The warm-up runs by input: images/s and the JIT's share of the cores, from the cold JVM to the warm one. */
  static String warmUpText(Map<String, Double> r) {
    StringBuilder md = new StringBuilder();
    for (BenchImages.Kind kind : BenchImages.Kind.values()) {
      List<String> runs = new ArrayList<>();
      for (int i = 1; r.containsKey(WARM_UP_KEY + kind + ":" + i); i++) {
        runs.add(String.format("%,.0f (JIT %.0f %%)", r.get(WARM_UP_KEY + kind + ":" + i),
            100 * r.getOrDefault(WARM_UP_JIT_KEY + kind + ":" + i, 0.0)));
      }
      if (!runs.isEmpty()) {
        md.append("| ").append(kind.label).append(" | ").append(String.join(", ", runs)).append(" |\n");
      }
    }
    if (md.length() == 0) {
      return "";
    }
    return "Warm-up runs (micro-batch 32, not measured; images/s of each run, and the share of the cores JIT "
        + "compilation took during it), in the order they ran: the first input's first run is a cold JVM.\n\n"
        + "| input | warm-up runs: images/s (JIT share) |\n|---|---|\n" + md + "\n";
  }

  /** How much of the measured pipeline rounds' CPU the JIT compiler still took, when the run measured it. */
  static String jitText(Map<String, Double> r) {
    Double compileMs = r.get("jit:pipelineCompileMs");
    Double wallMs = r.get("jit:pipelineWallMs");
    if (compileMs == null || wallMs == null || wallMs <= 0) {
      return "";
    }
    int cores = Runtime.getRuntime().availableProcessors();
    return String.format(" Even so, JIT compilation took %.0f s of CPU during the %.0f s of measured pipeline rounds "
        + "(%.0f %% of the %d cores).", compileMs / 1000, wallMs / 1000, 100 * compileMs / (wallMs * cores), cores);
  }

  static String settingsText(Map<String, String> settings) {
    List<String> parts = new ArrayList<>();
    settings.forEach((k, v) -> parts.add("`" + k + "=" + v + "`"));
    return String.join(", ", parts);
  }

  private static void swapSection(StringBuilder md, HalfLoad.Result result) {
    if (result == null) {
      return;
    }
    HalfLoad.Swap s = result.swap();
    md.append("## Hot swap under load\n\n")
        .append(String.format("64x64 JPEGs at %.0f images/s (half load, as above); the classifier is wired as ",
            result.targetRate()))
        .append("`classify` wires it (a ModelFollower on the models topic). In the middle of the window the bench ")
        .append(String.format("publishes v%d (same architecture and input, other weights) with the models-topic ",
            s.newVersion()))
        .append("publisher; the follower loads, verifies and warms it up off the processing path, at the lowest CPU ")
        .append("priority (`imagestream.model.load.background`), then swaps it in ")
        .append("between two batches. Batch latency = the network's time for one micro-batch, as the processor ")
        .append("reports it (`ClassifierMetrics#batch`), recorded batch by batch. The window around the swap runs from ")
        .append(HalfLoad.SWAP_WINDOW_BEFORE_MS / 1000).append(" s before the publish to ")
        .append(HalfLoad.SWAP_WINDOW_AFTER_MS / 1000).append(" s after the swap, so it includes the loading and ")
        .append("warm-up that compete for the same cores.\n\n| what | measured |\n|---|---|\n")
        .append(String.format("| swap happened | %s (v%d predictions: %,d, v%d predictions: %,d; v%d after v%d on a "
                + "partition: %d) |%n", s.happened() ? "yes" : "NO", s.oldVersion(), s.oldPredictions(),
            s.newVersion(), s.newPredictions(), s.oldVersion(), s.newVersion(), s.oldAfterNew()))
        .append(String.format("| from publish to swap | %.1f s (of which load + verify + warm-up %.1f s) |%n",
            s.swappedAtMs() > 0 ? (s.swappedAtMs() - s.publishedAtMs()) / 1000.0 : Double.NaN, s.loadSeconds()))
        .append(String.format("| batches in the swap window | %d |%n", s.batchesInWindow()))
        .append(String.format("| worst batch in the swap window | %.1f ms (%d images), %s; GC pauses during it: %d ms "
                + "|%n", s.worstBatchMs(), s.worstBatchSize(), s.whenWorst(), s.worstBatchGcMs()))
        .append(String.format("| median batch of the run (window) | %.1f ms (median %.0f images) |%n", s.medianBatchMs(),
            result.batchSize().p50()))
        .append(String.format("| worst / median | %.2f |%n", s.worstOverMedian()))
        .append(String.format("| median batch of the run of the worst one's size (%d images) | %.1f ms (worst / it: "
            + "%.2f) |%n", s.worstBatchSize(), s.medianSameSizeBatchMs(), s.worstBatchMs() / s.medianSameSizeBatchMs()))
        .append(String.format("| first batch with v%d | %.1f ms |%n", s.newVersion(), s.firstNewBatchMs()))
        .append(String.format("| control: worst batch in an equally long stretch just before the swap window | "
            + "%.1f ms (%d batches; %.2f x the median; GC pauses during it: %d ms) |%n", s.controlWorstBatchMs(),
            s.controlBatches(), s.controlWorstBatchMs() / s.medianBatchMs(), s.controlWorstBatchGcMs()))
        .append(String.format("| end-to-end p50 / p99 in the swap window | %.0f / %.0f ms (%,d images) |%n",
            s.latencyInWindow().p50(), s.latencyInWindow().p99(), s.latencyInWindow().count()))
        .append(String.format("| end-to-end p99, whole window | %.0f ms |%n", result.latencyMs().p99()))
        .append(String.format("| images sent / lost / duplicated | %,d / %d / %d |%n%n", result.produced(),
            result.lost(), result.duplicated()));
  }

  private static void memorySection(StringBuilder md, ScaleOut.Run one) {
    if (one == null) {
      return;
    }
    ChildClassifier.Memory mem = one.memory().get(0);
    md.append("## Memory of one classifier\n\n")
        .append("The real `classify` command in a child JVM (`java -cp <the jar> io.imagestream.cli.Main classify ")
        .append("--config F --model M --metrics-port 0`, no JVM flags: the JVM's default heap limit), serving the ")
        .append(String.format("64x64 CNN through the one-instance run below (%,d images). Peak RSS is the kernel's ",
            one.expected()))
        .append("high-water mark (VmHWM in /proc/PID/status); ND4J off-heap from the child's /metrics ")
        .append("(`").append(ChildClassifier.OFFHEAP_ALLOCATED).append("`, `").append(ChildClassifier.OFFHEAP_PHYSICAL)
        .append("`), sampled every second.\n\n| what | peak |\n|---|---|\n")
        .append("| RSS (VmHWM) | ").append(mib(mem.peakRssBytes())).append(" |\n")
        .append("| RSS at the end of the run | ").append(mib(mem.lastRssBytes())).append(" |\n")
        .append("| ND4J off-heap allocated (JavaCPP totalBytes) | ").append(mib(mem.peakOffHeapAllocatedBytes()))
        .append(" |\n")
        .append("| process physical memory as JavaCPP sees it | ").append(mib(mem.peakOffHeapPhysicalBytes()))
        .append(" |\n")
        .append("| JVM heap used | ").append(mib(mem.peakHeapUsedBytes())).append(" |\n")
        .append("| RSS beyond the JVM's committed heap + non-heap (native libraries, ND4J buffers and workspaces, ")
        .append("thread stacks) | ").append(mib(mem.peakOutsideJvmBytes())).append(" |\n\n");
    if (mem.peakOffHeapAllocatedBytes() == 0) {
      md.append("`").append(ChildClassifier.OFFHEAP_ALLOCATED).append("` read 0 throughout: it is JavaCPP's ")
          .append("`Pointer.totalBytes()`, which does not count the memory ND4J's CPU backend allocates for its ")
          .append("buffers and workspaces itself, so the last row is the better bound of ND4J's native memory.\n\n");
    }
  }

  private static void scaleSection(StringBuilder md, ScaleOut.Run one, ScaleOut.Run two, boolean quick) {
    if (one == null || two == null) {
      return;
    }
    int cores = Runtime.getRuntime().availableProcessors();
    md.append("## Scale-out\n\n")
        .append(String.format("The same backlog (%,d 64x64 JPEGs in a %d-partition topic) classified by one, then by ",
            one.expected(), ScaleOut.PARTITIONS))
        .append("two `classify` child JVMs with the same application id (Kafka Streams shares the partitions between ")
        .append(String.format("them); images/s between the outputs at %.0f %% and 90 %% of the backlog, which ",
            100 * scaleOutMeasureFrom(quick)))
        .append(quick ? "leaves out JVM start and the first rebalance. " : "leaves out JVM start, the first rebalance ")
        .append(quick ? "" : "and most of the child JVMs' JIT warm-up (the first half of the backlog). ")
        .append("CPU = cores kept busy on average over the same stretch (/proc CPU times). ")
        .append(String.format("**This machine has %d cores: the two instances share them** (with the broker), so ", cores))
        .append("two instances here show that the work splits over the group without loss or duplicates, not a ")
        .append("doubling of capacity.\n\n")
        .append("| instances | images/s | images/s per core (classifier CPU) | classifier CPU | broker + consumer "
            + "JVM CPU | lost / duplicated | peak RSS per instance |\n|---|---|---|---|---|---|---|\n");
    for (ScaleOut.Run run : List.of(one, two)) {
      md.append(String.format("| %d | %,.0f | %,.0f | %.2f cores | %.2f cores | %d / %d | %s |%n", run.instances(),
          run.imagesPerSecond(), run.imagesPerSecond() / run.classifierCores(), run.classifierCores(),
          run.brokerJvmCores(), run.lost(), run.duplicated(),
          String.join(", ", run.memory().stream().map(x -> mib(x.peakRssBytes())).toList())));
    }
    md.append(String.format("%nTwo instances / one: %.2f on the same %d cores.%n%n",
        two.imagesPerSecond() / one.imagesPerSecond(), cores));
    md.append("## Scale beyond one machine\n\n");
    ClusterSizing sizing;
    try {
      sizing = new ClusterSizing(one.imagesPerSecond(), one.classifierCores(),
          Double.isNaN(one.brokerJvmCores()) ? 0 : one.brokerJvmCores(), childStreamThreads());
    } catch (IllegalArgumentException e) {
      md.append("Not computed: ").append(e.getMessage()).append("\n\n");
      return;
    }
    md.append(String.format("From the one-instance run: %,.0f images/s with the classifier keeping %.2f cores busy ",
            one.imagesPerSecond(), one.classifierCores()))
        .append(String.format("and the broker (+ the bench's consumer, same JVM) %.2f: **%,.0f images/s per ",
            one.brokerJvmCores(), sizing.perClassifierCore()))
        .append(String.format("classifier core, %,.0f images/s per core of the whole pipeline**; the broker's share ",
            sizing.perPipelineCore()))
        .append(String.format("of the pipeline's CPU was %.0f %%.%n%n", 100 * sizing.brokerShare()))
        .append("Assumptions: throughput grows linearly with instances, each on its own cores; an instance does at ")
        .append("least as well as the one measured beside the broker; ").append(childStreamThreads())
        .append(" stream thread(s) per instance (the product's default on this machine, as measured), so at least ")
        .append("that many input partitions per instance; the broker's CPU per image stays as measured ")
        .append("(replication factor 1 and these ~2-3 KB images; with replication factor 3 count about three times ")
        .append("the broker cores). Plain arithmetic, not a measurement of a cluster.\n\n")
        .append("| target | classifier instances | classifier cores | broker cores | total cores | input partitions "
            + "(≥ instances x stream threads) |\n|---|---|---|---|---|---|\n");
    for (double target : CLUSTER_TARGETS) {
      ClusterSizing.Plan p = sizing.plan(target);
      md.append(String.format("| %,.0f images/s | %,d | %,d | %,d | %,d | ≥ %,d |%n", target, p.instances(),
          p.classifierCores(), p.brokerCores(), p.totalCores(), p.partitions()));
    }
    md.append('\n');
  }

  /** Stream threads of a `classify` child with the product's defaults on this machine. */
  private static int childStreamThreads() {
    return io.imagestream.classify.ClassifierStreamsConfig.streamThreads(ImagestreamConfig.defaults());
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /**
   * The first processor of /proc/cpuinfo: its model name, family and model, and its widest vector unit. Hosts that
   * all call themselves "AMD EPYC" ran the CNN at 2,242 and 5,098 images/s (Zen 2 with AVX2, Zen 4 with AVX-512).
   */
  static String cpu(List<String> cpuinfo) {
    Map<String, String> first = new LinkedHashMap<>();
    for (String line : cpuinfo) {
      if (line.isBlank() && !first.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      if (colon > 0) {
        first.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
      }
    }
    String name = first.getOrDefault("model name", "unknown CPU");
    if (!first.containsKey("cpu family") || !first.containsKey("model")) {
      return name;
    }
    List<String> flags = List.of(first.getOrDefault("flags", "").split("\\s+"));
    String vectors = flags.contains("avx512f") ? "AVX-512" : flags.contains("avx2") ? "AVX2, no AVX-512" : "no AVX2";
    return name + " (family " + first.get("cpu family") + ", model " + first.get("model") + "; " + vectors + ")";
  }

  private static String machine() throws IOException {
    Path cpuinfo = Path.of("/proc/cpuinfo");
    String cpu = Files.isReadable(cpuinfo) ? cpu(Files.readAllLines(cpuinfo)) : "unknown CPU";
    return String.format("- %s, %d cores visible to the JVM, %d MB max heap%n- Java %s (%s)%n- ND4J native CPU "
            + "backend, oneDNN layer helpers %s, %d thread(s) per network call (OpenBLAS: %d), up to %d calls at once, "
            + "models served in NHWC; DL4J 1.0.0-M2.1; Kafka 4.3.1%n- JPEG decoding: %s%n- PNG decoding: %s%n"
            + "- load average at the start: %s%n", cpu,
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
        System.getProperty("java.version"), System.getProperty("java.vm.name"),
        NativeBackend.oneDnnEnabled() ? "on" : "OFF", NativeBackend.threadsPerCall(), NativeBackend.blasThreads(),
        NetworkCalls.concurrency(), ImagePreprocessor.jpegDecoder(), ImagePreprocessor.pngDecoder(),
        loadAverage());
  }
}
