package io.imagestream.bench;

import static io.imagestream.bench.BenchmarkReport.BATCHES;
import static io.imagestream.bench.BenchmarkReport.P99_TARGET_MS;

import io.imagestream.bench.BenchmarkReport.Measured;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** benchmarks.png: throughput by batch size and pipeline, and the latency percentiles at half load. */
final class BenchmarkChart {
  private BenchmarkChart() {}

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
}
