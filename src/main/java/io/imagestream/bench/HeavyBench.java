package io.imagestream.bench;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.EmbeddedKafkaBroker;
import io.imagestream.kafka.ModelChunks;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.NativeBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * {@code bench --heavy}: the VGG16-64 transfer model ({@link HeavyModel}, ~1.26 G multiply-adds per image, a ~57 MB
 * artifact)
 * on the stream: the network alone vs the whole pipeline (the network should dominate: target >= 0.9), a hot swap of
 * a second ~60 MB version under half load (it travels in ~1 MB chunks through the models topic; load + verify time,
 * worst batch), the peak RSS of a {@code classify} child JVM with two stream threads, and the trainer's retraining
 * of the model on 2,000 labels ({@link HeavyRetrain}).
 */
public final class HeavyBench {
  static final double RATIO_TARGET = 0.9;
  private static final int BATCH = 32;

  /** What one run measured. */
  record Figures(String machine, double gflopPerImage, int artifactBytes, int chunks, String layout,
                 double modelOnly, double pipeline, HalfLoad.Result swap, long peakRssBytes, long heapBytes,
                 long offHeapBytes, int rssImages, int rssOutputs, HeavyRetrain.Result retrain) {
    double ratio() {
      return pipeline / modelOnly;
    }
  }

  private HeavyBench() {
  }

  public static void run(boolean quick, Path out, Consumer<String> log) throws Exception {
    double gflop = HeavyModel.flopsPerImage() / 1e9;
    log.accept(String.format("heavy model: VGG16 base on 64x64x3 + Dense(256) head, %.2f G multiply-adds (%.2f GFLOP)"
        + " per image", gflop / 2, gflop));
    byte[] first = HeavyModel.artifact(1, 1);
    byte[] second = HeavyModel.artifact(2, 2);
    LoadedModel model = HeavyModel.load(first);
    LoadedModel next = HeavyModel.load(second);
    int chunks = ModelChunks.chunkCount(second.length, ModelChunks.CHUNK_BYTES);
    log.accept(String.format("artifact %,d bytes (%d chunks on the models topic), served in %s", second.length,
        chunks, model.inputLayout()));
    Duration measure = Duration.ofSeconds(quick ? 5 : 15);
    Benchmark bench = new Benchmark(new Benchmark.Settings(measure, 0, 1, 1, 0), log);
    double modelOnly = bench.modelOnly(model, BATCH); // before the pipeline (and again after it)
    log.accept(String.format("model only, batch %d: %.1f images/s", BATCH, modelOnly));
    byte[][] images = BenchImages.make(BenchImages.Kind.JPEG_64, 200, 0);

    Path work = Files.createTempDirectory("imagestream-heavy-bench");
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null,
        Map.of("group.initial.rebalance.delay.ms", "3000"))) {
      String bootstrap = broker.bootstrapServers();
      int count = (int) Math.max(200, modelOnly * measure.toSeconds() * 2);
      log.accept("pipeline warm-up (not measured)");
      bench.pipelineOnce(bootstrap, model, images, BATCH, Math.max(100, count / 4), Map.of());
      double pipeline = bench.pipelineOnce(bootstrap, model, images, BATCH, count, Map.of());
      // the network alone again: on a shared machine the load changes between measurements; the mean of both
      double modelOnlyAfter = bench.modelOnly(model, BATCH);
      log.accept(String.format("model only again, batch %d: %.1f images/s", BATCH, modelOnlyAfter));
      modelOnly = (modelOnly + modelOnlyAfter) / 2;
      log.accept(String.format("pipeline (broker, exactly-once), 64x64 JPEG, micro-batch %d: %.1f images/s (%.2f of "
          + "the network alone, before and after)", BATCH, pipeline, pipeline / modelOnly));

      double rate = pipeline / 2;
      log.accept(String.format("hot swap of a %.0f MB model at half load (%.0f images/s)", second.length / 1e6, rate));
      HalfLoad.Result swap = new HalfLoad(log).run(bootstrap, "heavy swap", model, next, second, images, rate,
          new HalfLoad.Settings(Duration.ofSeconds(quick ? 10 : 20), Duration.ofSeconds(quick ? 30 : 60),
              Duration.ofSeconds(quick ? 5 : 10)));
      log.accept(describeSwap(swap));

      Path modelFile = work.resolve("heavy.zip");
      Files.write(modelFile, first);
      int rssImages = (int) Math.max(200, pipeline * (quick ? 20 : 40));
      long[] memory = new long[3];
      int outputs = rss(bootstrap, work, modelFile, images, rssImages, memory, log);
      HeavyRetrain.Result retrain = HeavyRetrain.run(log);
      Figures figures = new Figures(machine(), gflop, second.length, chunks, model.inputLayout().toString(), modelOnly,
          pipeline, swap, memory[0], memory[1], memory[2], rssImages, outputs, retrain);
      Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(out, markdown(figures));
      log.accept("wrote " + out);
    } finally {
      try (var files = Files.walk(work)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** A classify child JVM (two stream threads, the heavy model) through a backlog: its peak RSS, heap, off-heap. */
  private static int rss(String bootstrap, Path work, Path modelFile, byte[][] images, int count, long[] memory,
                         Consumer<String> log) throws Exception {
    String run = BenchKafka.runId();
    String in = "bench-heavy-images-" + run;
    String outTopic = "bench-heavy-predictions-" + run;
    String dlq = "bench-heavy-dlq-" + run;
    BenchKafka.createTopics(bootstrap, Benchmark.PARTITIONS, in, outTopic, dlq);
    BenchKafka.backlog(bootstrap, in, images, count);
    Path config = work.resolve("classify-" + run + ".properties");
    Files.writeString(config, String.join("\n",
        "bootstrap.servers=" + bootstrap,
        "imagestream.topic.images=" + in,
        "imagestream.topic.predictions=" + outTopic,
        "imagestream.topic.dlq=" + dlq,
        "imagestream.topic.to.label=bench-heavy-to-label-" + run,
        "imagestream.topic.models=bench-heavy-models-" + run,
        "imagestream.topic.labelled=bench-heavy-labelled-" + run,
        "imagestream.classifier.application.id=bench-heavy-" + run,
        ImagestreamConfig.STREAM_THREADS + "=2",
        ImagestreamConfig.ACTIVE_UNCERTAINTY_THRESHOLD + "=" + Benchmark.UNCERTAINTY_THRESHOLD, ""));
    log.accept(String.format("classify child JVM, 2 stream threads, %,d images", count));
    Set<String> seen = new HashSet<>();
    try (ChildClassifier child = ChildClassifier.start(config, modelFile, work.resolve("classify-" + run + ".log"));
         KafkaConsumer<byte[], byte[]> consumer = BenchKafka.committedReader(bootstrap, List.of(outTopic, dlq))) {
      long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
      while (seen.size() < count && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          seen.add(r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8));
        }
      }
      Thread.sleep(1_000); // the sampler's last look
      ChildClassifier.Memory m = child.memory();
      memory[0] = m.peakRssBytes();
      memory[1] = m.peakHeapUsedBytes();
      memory[2] = m.peakOffHeapPhysicalBytes();
      log.accept(String.format("  %,d of %,d outputs; peak RSS %,d MB (heap used %,d MB, ND4J off-heap %,d MB)",
          seen.size(), count, memory[0] >> 20, memory[1] >> 20, memory[2] >> 20));
    } finally {
      BenchKafka.deleteTopics(bootstrap, in, outTopic, dlq);
    }
    return seen.size();
  }

  static String describeSwap(HalfLoad.Result r) {
    HalfLoad.Swap s = r.swap();
    if (s == null || !s.happened()) {
      return "  the swap did not show in the predictions within the window";
    }
    return String.format("  swap v%d -> v%d: load + verify + warm-up %.1f s; worst batch %.0f ms (median %.0f ms, "
            + "no-swap control worst %.0f ms), %s; %,d produced, %d lost, %d duplicated",
        s.oldVersion(), s.newVersion(), s.loadSeconds(), s.worstBatchMs(), s.medianBatchMs(), s.controlWorstBatchMs(),
        s.whenWorst(), r.produced(), r.lost(), r.duplicated());
  }

  static String markdown(Figures f) {
    StringBuilder md = new StringBuilder();
    md.append("<!-- written by `bench --heavy`; do not edit by hand -->\n")
        .append("# Heavy model on the stream: measured figures\n\n")
        .append("## Machine\n\n").append(f.machine()).append("\n\n")
        .append(String.format("Model: VGG16's convolutional base on 64x64x3 under Flatten -> Dense(256) -> Dropout -> "
            + "Dense(1, sigmoid), random weights; %.2f G multiply-adds (%.2f GFLOP) per image; artifact %,d bytes = "
            + "%d chunks on the models topic; served in %s.%n%n", f.gflopPerImage() / 2, f.gflopPerImage(),
            f.artifactBytes(), f.chunks(), f.layout()))
        .append("| measurement | figure | target | met |\n|---|---|---|---|\n")
        .append(String.format("| network alone, batch %d (mean of before and after the pipeline) | %.1f images/s "
            + "(%.0f GFLOP/s) | | |%n", BATCH, f.modelOnly(),
            f.modelOnly() * f.gflopPerImage()))
        .append(String.format("| pipeline (broker, exactly-once, 64x64 JPEG), micro-batch %d | %.1f images/s | | |%n",
            BATCH, f.pipeline()))
        .append(String.format("| pipeline / network alone | %.2f | >= %.1f | %s |%n", f.ratio(), RATIO_TARGET,
            f.ratio() >= RATIO_TARGET ? "yes" : "no"));
    HalfLoad.Swap s = f.swap() == null ? null : f.swap().swap();
    if (s != null && s.happened()) {
      md.append(String.format("| hot swap at half load (%.1f images/s): load + verify + warm-up of v%d | %.1f s "
              + "| | |%n",
              f.swap().targetRate(), s.newVersion(), s.loadSeconds()))
          .append(String.format("| hot swap: worst batch in the window around it | %.0f ms (median batch %.0f ms; "
              + "worst of a no-swap control window %.0f ms), %s | | |%n", s.worstBatchMs(), s.medianBatchMs(),
              s.controlWorstBatchMs(), s.whenWorst()))
          .append(String.format("| hot swap: images lost / duplicated | %d / %d of %,d | 0 / 0 | %s |%n",
              f.swap().lost(), f.swap().duplicated(), f.swap().produced(), f.swap().complete() ? "yes" : "no"));
    } else {
      md.append("| hot swap at half load | did not show in the predictions within the window | | no |\n");
    }
    md.append(String.format("| `classify` child JVM, 2 stream threads: peak RSS | %,d MB (heap used %,d MB, ND4J "
            + "off-heap %,d MB; %,d of %,d images classified) | | |%n", f.peakRssBytes() >> 20, f.heapBytes() >> 20,
        f.offHeapBytes() >> 20, f.rssOutputs(), f.rssImages()));
    HeavyRetrain.Result r = f.retrain();
    if (r != null) {
      md.append(retrainRow("trainer retraining on %,d labels (base outputs, 3 head epochs, gate, shadow scoring)",
              r.labels(), r.first()))
          .append(retrainRow("trainer retraining after %,d more labels (unchanged images' base outputs reused)",
              r.moreLabels(), r.second()));
    }
    return md.toString();
  }

  private static String retrainRow(String what, int labels, HeavyRetrain.Timing t) {
    return String.format("| " + what + " | %.1f s wall (base outputs: %,d reused, %,d computed; %s) | | |%n", labels,
        t.seconds(), t.reused(), t.computed(), t.verdict().replace("|", "/"));
  }

  static String machine() {
    String cpu = "unknown CPU";
    try {
      Path cpuinfo = Path.of("/proc/cpuinfo");
      if (Files.isReadable(cpuinfo)) {
        cpu = BenchMachine.cpu(Files.readAllLines(cpuinfo));
      }
    } catch (IOException e) {
      // keep "unknown CPU"
    }
    List<String> parts = new ArrayList<>();
    parts.add("- " + cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores visible to the JVM");
    parts.add("- Java " + System.getProperty("java.version") + "; ND4J native CPU backend, oneDNN layer helpers "
        + (NativeBackend.oneDnnEnabled() ? "on" : "OFF") + ", " + NativeBackend.threadsPerCall()
        + " thread(s) per network call; DL4J 1.0.0-M2.1; Kafka 4.3.1");
    try {
      parts.add("- load average at the end (1, 5, 15 min): " + Files.readString(Path.of("/proc/loadavg")).trim()
          + " (other processes on the same cores slow every figure alike)");
    } catch (IOException e) {
      // not Linux: no load average
    }
    return String.join("\n", parts);
  }
}
