package io.imagestream.cli;

import io.imagestream.bench.BenchmarkReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Measures the network alone, decoding alone and the whole classifier on an embedded broker "
        + "(micro-batched and record by record; at-least-once too, as the Python peer runs), end-to-end latency at half load, a hot swap under load, and one "
        + "and two classifier instances as child JVMs (images/s, peak RSS, ND4J off-heap), and a vgg-bn network beside "
        + "the 28x28x1 tutorial CNN (alone and on the 28x28 PNG pipeline; models/fashion-vgg.zip when present), side "
        + "by side in one run; "
        + "writes docs/benchmarks.md and docs/benchmarks.png (throughput and latency charts).",
        "Use --quick for a short run (a few minutes); a full run with --rounds 1 takes about 10-15 minutes."})
final class BenchCommand implements Callable<Integer> {
  @Option(names = "--quick", description = "Shorter measurements and fewer images.")
  boolean quick;

  @Option(names = "--rounds", description = "Rounds per measurement; the median is reported (default: 3, quick: 1).")
  Integer rounds;

  @Option(names = "--out", defaultValue = "docs/benchmarks.md", description = "Report file (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--heavy", description = "Only the heavy-model rows: the VGG16-64 transfer model (random weights) "
      + "alone and on the stream, a hot swap of its ~60 MB artifact at half load, a classify child's peak RSS; writes "
      + "docs/heavy-models-bench.md unless --out is given.")
  boolean heavy;

  @Option(names = "--vgg", description = "Only vgg-bn beside the tutorial CNN, both measured in this run: the networks "
      + "alone at batch 1-256 and the 28x28 PNG pipeline; writes docs/vgg-bench.md unless --out is given.")
  boolean vgg;

  @Override
  public Integer call() throws Exception {
    if (heavy && vgg) {
      throw new Errors.UserException("--heavy and --vgg are two separate reports; give one of them");
    }
    if (heavy) {
      Path target = out.equals(Path.of("docs/benchmarks.md")) ? Path.of("docs/heavy-models-bench.md") : out;
      io.imagestream.bench.HeavyBench.run(quick, target, System.out::println);
      return 0;
    }
    if (vgg) {
      Path target = out.equals(Path.of("docs/benchmarks.md")) ? Path.of("docs/vgg-bench.md") : out;
      io.imagestream.bench.VggBench.run(quick, rounds == null ? 1 : rounds, target, System.out::println);
      return 0;
    }
    BenchmarkReport.run(quick, rounds == null ? (quick ? 1 : 3) : rounds, out, System.out::println);
    return 0;
  }
}
