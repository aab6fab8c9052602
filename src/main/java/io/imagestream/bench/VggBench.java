package io.imagestream.bench;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.EmbeddedKafkaBroker;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.NativeBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code bench --vgg}: only the comparison of {@code vgg-bn} with the tutorial CNN ({@link VggComparison}), both
 * measured in this run: the networks alone at the report's batch sizes, then, after the pipeline's JIT warm-up on
 * 28x28 PNGs, the tutorial CNN's pipeline and vgg-bn's. A few minutes instead of the whole benchmark's half hour.
 */
public final class VggBench {
  private VggBench() {
  }

  public static void run(boolean quick, int rounds, Path out, Consumer<String> log) throws Exception {
    NativeBackend.useThreadsPerCall(ImagestreamConfig.defaults().getInt(ImagestreamConfig.INFERENCE_THREADS));
    NativeBackend.init();
    Benchmark bench = new Benchmark(new Benchmark.Settings(BenchmarkReport.measure(quick), quick ? 1500 : 5000,
        rounds, quick ? 2 : 12, quick ? 0 : BenchmarkReport.WARM_UP_IMAGES), log);
    LoadedModel cnn = BenchmarkReport.defaultModel();
    VggComparison vgg = VggComparison.prepare(cnn, VggComparison.TRAINED);
    log.accept("vgg-bn " + vgg.figures().vggSource() + "; tutorial CNN " + vgg.figures().cnnSource());
    Map<String, Double> results = new HashMap<>(); // empty: the comparison measures both networks itself
    vgg.modelOnly(bench, BenchmarkReport.BATCHES, results, "model28", log);
    byte[][] pngs = BenchImages.make(VggComparison.PIPELINE_KIND, 200, VggComparison.PIPELINE_KIND.ordinal());
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null,
        Map.of("group.initial.rebalance.delay.ms", "3000"))) {
      log.accept("pipeline warm-up (not measured), " + VggComparison.PIPELINE_KIND.label);
      List<Benchmark.WarmUpRun> warmUp = bench.warmUpPipeline(broker.bootstrapServers(), cnn, pngs,
          VggComparison.PIPELINE_BATCH);
      String key = "pipeline:" + VggComparison.PIPELINE_KIND + ":" + VggComparison.PIPELINE_BATCH;
      results.put(key, bench.pipeline(broker.bootstrapServers(), cnn, pngs, VggComparison.PIPELINE_BATCH,
          warmUp.isEmpty() ? 0 : warmUp.get(warmUp.size() - 1).imagesPerSecond()));
      vgg.pipeline(bench, broker.bootstrapServers(), pngs, results, key, log);
    }
    String md = "<!-- written by `bench --vgg`; do not edit by hand -->\n# vgg-bn beside the tutorial CNN: measured "
        + "figures\n\n## Machine\n\n" + HeavyBench.machine() + "\n\n"
        + VggComparison.markdown(vgg.figures(), BenchmarkReport.BATCHES).replaceFirst("^## [^\n]*\n\n", "")
            .replace("The same run, input and harness as the rows above:", "Both networks measured in this run:");
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, md);
    log.accept("wrote " + out);
  }
}
