package io.imagestream.bench;

import static io.imagestream.bench.BenchmarkReport.P99_TARGET_MS;
import static io.imagestream.bench.BenchmarkReport.RSS_TARGET_GIB;
import static io.imagestream.bench.BenchmarkReport.SWAP_TARGET_RATIO;
import static io.imagestream.bench.BenchmarkReport.mib;

import io.imagestream.bench.BenchmarkReport.Measured;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Every target the benchmark measures, with the figures of the same run behind each verdict. */
final class BenchmarkTargets {
  private BenchmarkTargets() {}

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
  static Target perRecord(String name, Map<String, Double> r, String kind, String model) {
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
}
