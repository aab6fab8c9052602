package io.imagestream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's arithmetic and chart, on made-up figures (the measurements themselves run in `bench`). */
class BenchmarkReportTest {

  /** Made-up results of every row the report reads. */
  static Map<String, Double> figures() {
    Map<String, Double> r = new HashMap<>();
    for (int batch : new int[] {1, 8, 32, 128, 256}) {
      r.put("model64:" + batch, 100.0 * batch);
      r.put("model28:" + batch, 300.0 * batch);
    }
    for (BenchImages.Kind kind : BenchImages.Kind.values()) {
      r.put("decode:" + kind, 1000.0);
      r.put("pipeline:" + kind + ":32", 1600.0);
      r.put("pipeline:" + kind + ":1", 200.0);
    }
    return r;
  }

  private static BenchmarkReport.Measured measured() {
    HalfLoad.Result latency = new HalfLoad.Result("64x64 RGB JPEG", 800, 798, 16_000, 16_000, 0, 0, 0,
        new Percentiles(12_000, 60, 85, 130, 210, 62), new Percentiles(400, 9, 14, 20, 30, 9.5),
        new Percentiles(400, 8, 20, 32, 32, 9), null, Map.of("imagestream.batch.size", "32"),
        new Percentiles(12_000, 3, 8, 15, 40, 4), new Percentiles(12_000, 20, 40, 60, 90, 24), 
        new HalfLoad.Window(1.234, 0.031, 25, new HalfLoad.Commits(66.5, 4.25, 31),
            new GcPauses.Summary(14, 180, 31)));
    HalfLoad.Swap swap = new HalfLoad.Swap(10_000, 12_000, 9_000, 14_000, 1.8, 40, 27, 32, 12_500, 13.5, 9, 12, 18, 38,
        new Percentiles(900, 70, 90, 120, 150, 72), 1, 2, 9_000, 7_000, 0, 17, 4);
    HalfLoad.Result withSwap = new HalfLoad.Result("64x64 RGB JPEG with a swap", 800, 799, 16_000, 16_000, 0, 0, 0,
        new Percentiles(12_000, 61, 86, 131, 220, 63), new Percentiles(400, 9, 14, 20, 30, 9.5),
        new Percentiles(400, 8, 20, 32, 32, 9), swap, Map.of(), new Percentiles(12_000, 3, 8, 15, 40, 4),
        new Percentiles(12_000, 21, 41, 61, 95, 25), 
        new HalfLoad.Window(1.3, 0.02, 10, HalfLoad.Commits.NONE, GcPauses.Summary.NONE));
    ChildClassifier.Memory memory = new ChildClassifier.Memory(1L << 30, 900L << 20, 200L << 20, 1L << 30, 300L << 20,
        400L << 20);
    ScaleOut.Run one = new ScaleOut.Run(1, 500, 3000, 3000, 0, 0, 1.25, 0.5, List.of(memory));
    ScaleOut.Run two = new ScaleOut.Run(2, 450, 3000, 3000, 0, 0, 1.5, 0.45, List.of(memory, memory));
    return new BenchmarkReport.Measured(Map.of(BenchImages.Kind.JPEG_64, latency), withSwap, one, two);
  }

  @Test
  void theRatiosAreComputedFromTheSameRunsFigures() throws Exception {
    String md = BenchmarkMarkdown.markdown(List.of("| a | b | 1 |"), figures(), BenchmarkReport.Measured.NONE, 3,
        false);
    assertTrue(md.contains("| pipeline / model only, 64x64 JPEG, batch 32 | ≥ 0.60 | 0.50 | missed by 0.10 (17 %) |"),
        md);
    assertTrue(md.contains("| pipeline / per-record pipeline, 64x64 JPEG | ≥ 5.00 | 8.00 | met, 3.00 (60 %) above |"),
        md);
    assertTrue(md.contains("| photo-sized JPEG pipeline / its decode-only rate | ≥ 0.80 | 1.60 | met"), md);
    assertTrue(md.contains("median of 3 rounds"), md);
    assertTrue(md.contains("| pipeline / Python peer (confluent-kafka + PyTorch), 64x64 JPEG | ≥ 2.00 | – | not measured |"), md);
  }

  @Test
  void theWorstBatchIsPlacedBeforeTheSwapWhileItLoadedOrAfterIt() {
    // published at 10 s, swapped in at 12 s
    assertEquals("0.70 s before the publish (no swap under way)", swapWithWorstAt(9_300).whenWorst());
    assertEquals("1.25 s after the publish, while the new model loaded", swapWithWorstAt(11_250).whenWorst());
    assertEquals("0.00 s after the swap", swapWithWorstAt(12_000).whenWorst());
  }

  private static HalfLoad.Swap swapWithWorstAt(long atMs) {
    return new HalfLoad.Swap(10_000, 12_000, 9_000, 14_000, 1.8, 40, 27, 32, atMs, 13.5, 9, 12, 18, 38,
        Percentiles.NONE, 1, 2, 9_000, 7_000, 0, 0, 0);
  }

  @Test
  void theNewMeasurementsGetSectionsAndTargetRows() throws Exception {
    String md = BenchmarkMarkdown.markdown(List.of("| a | b | 1 |"), figures(), measured(), 1, true);
    assertTrue(md.contains("| end-to-end p99 at half load, 64x64 RGB JPEG | ≤ 100 ms | 130 ms | missed by 30.0 ms "
        + "(30 %) |"), md);
    // worst 27 ms / median 9 ms = 3.00 against at most 2
    assertTrue(md.contains("| hot swap: worst batch around the swap / median batch, 64x64 JPEG at half load | ≤ 2.00 | "
        + "3.00 | missed by 1.00 (50 %) |"), md);
    assertTrue(md.contains("| classifier peak RSS (VmHWM), 64x64 JPEG pipeline | ≤ 1.50 GiB | 1.00 GiB | met, "
        + "0.50 GiB (33 %) below |"), md);
    assertTrue(md.contains("(30 %) | at 798 images/s with 1.23 of the " + Runtime.getRuntime().availableProcessors()
        + " cores busy; until read p99 15.0 ms; GC pauses 14, 180 ms in all |"), md);
    assertTrue(md.contains("missed by 1.00 (50 %) | with no swap, the worst batch of the stretch just before: "
        + "2.00 x the median |"), md);
    assertTrue(md.contains("| swap happened | yes (v1 predictions: 9,000, v2 predictions: 7,000"), md);
    assertTrue(md.contains("| worst batch in the swap window | 27.0 ms (32 images), 0.50 s after the swap; GC pauses "
        + "during it: 17 ms |"), md);
    assertTrue(md.contains("| median batch of the run of the worst one's size (32 images) | 13.5 ms (worst / it: "
        + "2.00) |"), md);
    assertTrue(md.contains("| RSS (VmHWM) | 1,024 MiB |"), md);
    assertTrue(md.contains("| control: worst batch in an equally long stretch just before the swap window | 18.0 ms "
        + "(38 batches; 2.00 x the median; GC pauses during it: 4 ms) |"), md);
    // 500 images/s on 1.25 classifier cores = 400 per core; 10k/s: 20 instances, 25 cores, 10 broker cores
    assertTrue(md.contains("| 1 | 500 | 400 | 1.25 cores | 0.50 cores | 0 / 0 |"), md);
    assertTrue(md.contains("| 10,000 images/s | 20 | 25 | 10 | 35 | ≥ 20 |"), md);
    assertTrue(md.contains("the two instances share them"), md);
    assertTrue(md.contains("`imagestream.batch.size=32`"), md);
  }

  @Test
  void aPerRecordTargetBeyondTheNetworksOwnSpeedSaysSo() throws Exception {
    Map<String, Double> r = figures();
    r.put("pipeline:JPEG_64:32", 4_000.0);
    r.put("pipeline:JPEG_64:1", 1_300.0); // 5x would be 6,500 images/s, more than the network's best (6,200)
    for (int batch : new int[] {1, 8, 32, 128, 256}) {
      r.put("model64:" + batch, Math.min(6_200.0, 1_200.0 * batch));
    }
    String md = BenchmarkMarkdown.markdown(List.of(), r, BenchmarkReport.Measured.NONE, 1, true);
    assertTrue(md.contains("| pipeline / per-record pipeline, 64x64 JPEG | ≥ 5.00 | 3.08 | missed by 1.92 (38 %) | "
        + "4,000 / 1,300 images/s; 5x needs 6,500 micro-batched, more than the network alone at its best batch size "
        + "(6,200): out of reach on this machine |"), md);
    // the PNG row's 5x (1,000) is below its network's best (76,800)
    assertTrue(md.contains("1,600 / 200 images/s; 5x needs 1,000 micro-batched, the network alone reaches 76,800 at "
        + "its best batch size |"), md);
  }

  @Test
  void peerFiguresGetARowAndARatio() throws Exception {
    Map<String, Double> r = figures();
    r.put("peer:pipeline:JPEG_64", 800.0);
    String md = BenchmarkMarkdown.markdown(List.of(), r, BenchmarkReport.Measured.NONE, 1, true);
    assertTrue(md.contains("| Python peer | pipeline:JPEG_64 | 800 |"), md);
    assertTrue(md.contains("| pipeline / Python peer (confluent-kafka + PyTorch), 64x64 JPEG | ≥ 2.00 | 2.00 | met, 0.00 (0 %) above |"), md);
  }

  @Test
  void theChartIsAPng(@TempDir Path dir) throws Exception {
    Path png = dir.resolve("b.png");
    BenchmarkChart.chart(figures(), BenchmarkReport.Measured.NONE, png);
    BufferedImage image = ImageIO.read(png.toFile());
    assertNotNull(image);
    assertEquals(1000, image.getWidth());
  }

  @Test
  void theChartHasALatencyPanelWhenLatencyWasMeasured(@TempDir Path dir) throws Exception {
    Path png = dir.resolve("b.png");
    BenchmarkChart.chart(figures(), measured(), png);
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(1000, image.getWidth());
    assertEquals(1000, image.getHeight()); // throughput 500 above latency 500
  }

  @Test
  void benchImagesDecodeAsTheirKind() throws Exception {
    for (BenchImages.Kind kind : BenchImages.Kind.values()) {
      byte[][] images = BenchImages.make(kind, 2, 1);
      BufferedImage image = ImageIO.read(new java.io.ByteArrayInputStream(images[0]));
      assertEquals(kind.width, image.getWidth(), kind.label);
      assertEquals(kind.height, image.getHeight(), kind.label);
    }
  }

  @Test
  void theJitShareOfTheMeasuredPipelineRoundsIsReportedWhenMeasured() {
    assertEquals("", BenchmarkMarkdown.jitText(Map.of()));
    int cores = Runtime.getRuntime().availableProcessors();
    String text = BenchmarkMarkdown.jitText(Map.of("jit:pipelineCompileMs", 6_000.0, "jit:pipelineWallMs", 60_000.0));
    assertTrue(text.contains("6 s of CPU during the 60 s"), text);
    assertTrue(text.contains(String.format("(%.0f %% of the %d cores)", 10.0 / cores, cores)), text);
  }

  @Test
  void theWarmUpStopsOnceTheJitHasSettledOrTheRunsAreUsedUp() {
    var hot = new Benchmark.WarmUpRun(1_000, 0.40);
    var settled = new Benchmark.WarmUpRun(2_000, Benchmark.JIT_SETTLED_SHARE);
    assertFalse(Benchmark.settled(List.of(hot), 8, true));
    assertFalse(Benchmark.settled(List.of(hot, hot, hot), 8, true));
    assertTrue(Benchmark.settled(List.of(hot, hot, settled), 8, true));
    assertFalse(Benchmark.settled(List.of(hot, hot, settled), 8, false), "not before the JVM's minimum of images");
    assertTrue(Benchmark.settled(List.of(hot, hot), 2, false), "at most warmUpRuns runs");
    assertTrue(Benchmark.settled(List.of(settled), 8, true), "a warm JVM needs one run");
  }

  @Test
  void theWarmUpRunsAreListedByInputInOrder() {
    assertEquals("", BenchmarkMarkdown.warmUpText(Map.of()));
    Map<String, Double> r = new HashMap<>();
    r.put("warmup:JPEG_64:1", 957.0);
    r.put("warmupjit:JPEG_64:1", 0.45);
    r.put("warmup:JPEG_64:2", 1880.0);
    r.put("warmupjit:JPEG_64:2", 0.08);
    r.put("warmup:PNG_GREY_28:1", 4100.0);
    r.put("warmupjit:PNG_GREY_28:1", 0.02);
    String text = BenchmarkMarkdown.warmUpText(r);
    assertTrue(text.contains("| 64x64 RGB JPEG | 957 (JIT 45 %), 1,880 (JIT 8 %) |"), text);
    assertTrue(text.contains("| 28x28 grey PNG | 4,100 (JIT 2 %) |"), text);
    assertFalse(text.contains("500x375"), "an input without warm-up runs has no row");
  }

  @Test
  void aFullRunMeasuresTheScaleOutFromHalfWaySoThatTheChildJvmsAreWarm() throws Exception {
    String full = BenchmarkMarkdown.markdown(List.of(), figures(), measured(), 1, false);
    assertTrue(full.contains("between the outputs at 50 % and 90 % of the backlog"), "full run");
    assertTrue(full.contains("JIT warm-up (the first half of the backlog)"), "full run says why");
    String quick = BenchmarkMarkdown.markdown(List.of(), figures(), measured(), 1, true);
    assertTrue(quick.contains("between the outputs at 10 % and 90 % of the backlog"), "quick run");
  }

  @Test
  void theLatencyTableSplitsOffTheTimesUntilReadAndUntilClassifiedAndShowsTheCpuBusyAndTheCommits() throws Exception {
    String md = BenchmarkMarkdown.markdown(List.of(), figures(), measured(), 1, true);
    assertTrue(md.contains("| paced warm-up | CPU busy | images in window |"), "header");
    assertTrue(md.contains("until read p50 / p99 | until classified p50 / p99"), "header");
    assertTrue(md.contains("| 800 / 798 images/s | 25 s | 1.23 cores (JIT 3 %) | 12,000 |"),
        "the 64x64 row's warm-up, CPU busy and JIT share");
    assertTrue(md.contains("| 3 / 15 ms | 20 / 60 ms |"), "the 64x64 row's until-read and until-classified p50 / p99");
    assertTrue(md.contains("| commits/s (avg / max ms) |"), "header");
    assertTrue(md.contains("| commits/s (avg / max ms) | GC pauses (n, max / total ms) |"), "header");
    assertTrue(md.contains("| 8, 9.0 ms | 67 (4.3 / 31 ms) | 14, 31 / 180 ms | 0 / 0 |"),
        "the 64x64 row's commits and GC pauses: " + md);
  }

  @Test
  void thePeerIsAlsoComparedAtItsOwnGuaranteeWhenMeasured() {
    Map<String, Double> r = new HashMap<>(figures());
    assertEquals("", BenchmarkMarkdown.likeForLike(r));
    r.put(BenchmarkReport.AT_LEAST_ONCE_KEY, 2000.0);
    r.put("peer:pipeline:JPEG_64", 1000.0);
    String text = BenchmarkMarkdown.likeForLike(r);
    assertTrue(text.contains("at-least-once (as the peer runs) / exactly-once: 1.25"), text);
    assertTrue(text.contains("at-least-once pipeline / Python peer (both at-least-once): 2.00"), text);
  }

  @Test
  void theMachineLineTellsApartProcessorsOfTheSameName() {
    List<String> zen4 = List.of("processor\t: 0", "vendor_id\t: AuthenticAMD", "cpu family\t: 25", "model\t\t: 17",
        "model name\t: AMD EPYC", "flags\t\t: fpu sse2 avx2 avx512f avx512dq", "", "processor\t: 1",
        "cpu family\t: 99", "model name\t: other");
    assertEquals("AMD EPYC (family 25, model 17; AVX-512)", BenchMachine.cpu(zen4));
    List<String> zen2 = List.of("cpu family\t: 23", "model\t\t: 49", "model name\t: AMD EPYC", "flags\t\t: fpu avx2");
    assertEquals("AMD EPYC (family 23, model 49; AVX2, no AVX-512)", BenchMachine.cpu(zen2));
    assertEquals("some ARM board", BenchMachine.cpu(List.of("model name\t: some ARM board")));
    assertEquals("unknown CPU", BenchMachine.cpu(List.of()));
  }
}
