package io.imagestream.model;

import io.imagestream.image.Layout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Accuracy, per-class precision/recall/F1 and the confusion matrix of a model on labelled data. */
public record ClassificationReport(List<String> classNames, long[][] confusion, double accuracy,
                                   List<ClassScore> classes) {

  public record ClassScore(String name, long support, double precision, double recall, double f1) {}

  public static ClassificationReport evaluate(LoadedModel model, LabelledDataset data) {
    if (!model.classNames().equals(data.classNames())) {
      throw new IllegalArgumentException("the model's classes " + model.classNames()
          + " differ from the data's " + data.classNames());
    }
    int k = data.classNames().size();
    long[][] confusion = new long[k][k];
    int[] all = new int[data.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    for (int from = 0; from < all.length; from += 512) {
      int to = Math.min(all.length, from + 512);
      // the data's features are NCHW; the model converts them to its serving layout
      float[][] probabilities = model.predict(data.features(all, from, to), Layout.NCHW);
      for (int i = from; i < to; i++) {
        confusion[data.label(i)][LoadedModel.argMax(probabilities[i - from])]++;
      }
    }
    return of(data.classNames(), confusion);
  }

  /** Rows are true classes, columns predicted classes. */
  public static ClassificationReport of(List<String> classNames, long[][] confusion) {
    int k = classNames.size();
    long correct = 0;
    long total = 0;
    List<ClassScore> scores = new ArrayList<>();
    for (int c = 0; c < k; c++) {
      long truePositives = confusion[c][c];
      long actual = 0;
      long predicted = 0;
      for (int j = 0; j < k; j++) {
        actual += confusion[c][j];
        predicted += confusion[j][c];
      }
      correct += truePositives;
      total += actual;
      double precision = predicted == 0 ? 0 : (double) truePositives / predicted;
      double recall = actual == 0 ? 0 : (double) truePositives / actual;
      double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
      scores.add(new ClassScore(classNames.get(c), actual, precision, recall, f1));
    }
    return new ClassificationReport(List.copyOf(classNames), confusion, total == 0 ? 0 : (double) correct / total,
        List.copyOf(scores));
  }

  /**
   * The report as JSON-ready maps: accuracy, images, per-class precision/recall/f1/support, and the confusion matrix
   * with its class names (rows: true class, columns: predicted).
   */
  public Map<String, Object> asJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("accuracy", accuracy);
    json.put("images", classes.stream().mapToLong(ClassScore::support).sum());
    List<Map<String, Object>> perClass = new ArrayList<>();
    for (ClassScore s : classes) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("name", s.name());
      c.put("precision", s.precision());
      c.put("recall", s.recall());
      c.put("f1", s.f1());
      c.put("support", s.support());
      perClass.add(c);
    }
    json.put("classes", perClass);
    Map<String, Object> matrix = new LinkedHashMap<>();
    matrix.put("classNames", classNames);
    matrix.put("rows", "true class");
    matrix.put("columns", "predicted class");
    matrix.put("counts", confusion);
    json.put("confusionMatrix", matrix);
    return json;
  }

  /** A plain-text table for terminals. */
  public String format() {
    StringBuilder out = new StringBuilder();
    int width = Math.max(12, classNames.stream().mapToInt(String::length).max().orElse(5) + 2);
    long total = classes.stream().mapToLong(ClassScore::support).sum();
    out.append(String.format("accuracy: %.4f (%d images)%n%n", accuracy, total));
    out.append(String.format("%-" + width + "s %9s %9s %9s %8s%n", "class", "precision", "recall", "f1", "support"));
    for (ClassScore s : classes) {
      out.append(String.format("%-" + width + "s %9.4f %9.4f %9.4f %8d%n", s.name(), s.precision(), s.recall(), s.f1(),
          s.support()));
    }
    out.append(String.format("%nconfusion matrix (rows: true class, columns: predicted, in class order)%n"));
    for (int i = 0; i < confusion.length; i++) {
      out.append(String.format("%-" + width + "s", classNames.get(i)));
      for (long v : confusion[i]) {
        out.append(String.format(" %6d", v));
      }
      out.append(System.lineSeparator());
    }
    return out.toString();
  }
}
