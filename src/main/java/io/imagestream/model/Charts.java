package io.imagestream.model;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG charts drawn with XChart (headless): training curves and the confusion matrix. */
public final class Charts {
  private Charts() {}

  /**
   * The loss and accuracy curves of a training run, side by side as in the Keras tutorials: loss and val_loss on the
   * left, accuracy and val_accuracy on the right, one point per epoch.
   */
  public static void writeHistoryPng(TrainingHistory history, Path file) throws IOException {
    Map<String, List<Double>> curves = history.asKerasHistory();
    List<Integer> epochs = IntStream.rangeClosed(1, history.epochs().size()).boxed().toList();
    XYChart loss = curveChart("Loss", "loss", epochs, curves, "loss", "val_loss");
    XYChart accuracy = curveChart("Accuracy", "accuracy", epochs, curves, "accuracy", "val_accuracy");
    accuracy.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
    accuracy.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE); // accuracy rises: the corner stays free
    BitmapEncoder.saveBitmap(List.of(loss, accuracy), 1, 2, file.toString(), BitmapFormat.PNG);
  }

  private static XYChart curveChart(String title, String yTitle, List<Integer> epochs,
                                    Map<String, List<Double>> curves, String... names) {
    XYChart chart = new XYChartBuilder().width(600).height(400).title(title).xAxisTitle("epoch").yAxisTitle(yTitle)
        .build();
    chart.getStyler().setXAxisDecimalPattern("0");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    for (String name : names) {
      List<Double> values = curves.get(name);
      if (values != null) {
        chart.addSeries(name, epochs, values).setMarker(SeriesMarkers.CIRCLE);
      }
    }
    return chart;
  }

  /** A heat map of the confusion matrix: rows true classes (top to bottom), columns predicted, counts shown. */
  public static void writeConfusionPng(ClassificationReport report, Path file) throws IOException {
    List<String> names = report.classNames();
    int k = names.size();
    int size = Math.max(400, 120 + 60 * k);
    HeatMapChart chart = new HeatMapChartBuilder().width(size + 120).height(size).title("Confusion matrix")
        .xAxisTitle("predicted").yAxisTitle("true").build();
    chart.getStyler().setShowValue(true);
    chart.getStyler().setValueFontColor(Color.BLACK);
    chart.getStyler().setRangeColors(
        new Color[] {new Color(247, 251, 255), new Color(107, 174, 214), new Color(33, 113, 181)});
    List<Number[]> cells = new ArrayList<>();
    long max = 1;
    for (int t = 0; t < k; t++) {
      for (int p = 0; p < k; p++) {
        // y index 0 is drawn at the bottom: put the first true class on top, as confusion matrices are read
        cells.add(new Number[] {p, k - 1 - t, report.confusion()[t][p]});
        max = Math.max(max, report.confusion()[t][p]);
      }
    }
    chart.getStyler().setMin(0);
    chart.getStyler().setMax(max);
    List<String> rows = new ArrayList<>(names);
    java.util.Collections.reverse(rows);
    chart.addSeries("count", names, rows, cells);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapFormat.PNG);
  }
}
