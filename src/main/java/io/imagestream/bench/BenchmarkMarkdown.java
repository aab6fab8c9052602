package io.imagestream.bench;

import static io.imagestream.bench.BenchMachine.childStreamThreads;
import static io.imagestream.bench.BenchMachine.machine;
import static io.imagestream.bench.BenchmarkReport.AT_LEAST_ONCE_KEY;
import static io.imagestream.bench.BenchmarkReport.CLUSTER_TARGETS;
import static io.imagestream.bench.BenchmarkReport.WARM_UP_IMAGES;
import static io.imagestream.bench.BenchmarkReport.WARM_UP_JIT_KEY;
import static io.imagestream.bench.BenchmarkReport.WARM_UP_KEY;
import static io.imagestream.bench.BenchmarkReport.measure;
import static io.imagestream.bench.BenchmarkReport.mib;
import static io.imagestream.bench.BenchmarkReport.scaleOutMeasureFrom;
import static io.imagestream.bench.BenchmarkTargets.targets;

import io.imagestream.bench.BenchmarkReport.Measured;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** benchmarks.md: the table of medians, the sections of the runs under load, and the targets table. */
final class BenchmarkMarkdown {
  private BenchmarkMarkdown() {}

  static String row(String what, String how, double imagesPerSecond) {
    return String.format("| %s | %s | %,.0f |", what, how, imagesPerSecond);
  }

  static String markdown(List<String> rows, Map<String, Double> r, Measured m, int rounds, boolean quick)
      throws IOException {
    return markdown(rows, r, m, null, rounds, quick);
  }

  /** @param vgg vgg-bn beside the tutorial CNN, or null when not measured */
  static String markdown(List<String> rows, Map<String, Double> r, Measured m, VggComparison.Figures vgg, int rounds,
                         boolean quick) throws IOException {
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
    md.append(VggComparison.markdown(vgg, BenchmarkReport.BATCHES));
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

  static void latencySection(StringBuilder md, Measured m) {
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

  static void swapSection(StringBuilder md, HalfLoad.Result result) {
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
        .append(HalfLoadAnalysis.SWAP_WINDOW_BEFORE_MS / 1000).append(" s before the publish to ")
        .append(HalfLoadAnalysis.SWAP_WINDOW_AFTER_MS / 1000).append(" s after the swap, so it includes the loading and ")
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

  static void memorySection(StringBuilder md, ScaleOut.Run one) {
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

  static void scaleSection(StringBuilder md, ScaleOut.Run one, ScaleOut.Run two, boolean quick) {
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
}
