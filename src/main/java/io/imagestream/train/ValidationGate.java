package io.imagestream.train;

import io.imagestream.model.LoadedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decides whether a candidate may replace the live model: both are scored on the same held-out images, and the
 * candidate goes live only if its accuracy is at least the live model's plus a margin. An image of a class the live
 * model does not know counts as wrong for it (the candidate that learned the class deserves the credit).
 */
public final class ValidationGate {
  public record Verdict(boolean publish, double candidateAccuracy, double liveAccuracy, int heldOut, String reason) {}

  private final double margin;

  public ValidationGate(double margin) {
    this.margin = margin;
  }

  public Verdict judge(LoadedModel candidate, LoadedModel live, List<Map.Entry<String, byte[]>> heldOut) {
    double candidateAccuracy = accuracy(candidate, heldOut);
    double liveAccuracy = live == null ? 0 : accuracy(live, heldOut);
    boolean publish = candidateAccuracy >= liveAccuracy + margin;
    String reason = String.format("held-out accuracy %.4f vs live %.4f on %d images (margin %.4f): %s",
        candidateAccuracy, liveAccuracy, heldOut.size(), margin, publish ? "better or equal" : "not better");
    return new Verdict(publish, candidateAccuracy, liveAccuracy, heldOut.size(), reason);
  }

  /** Accuracy on (label name, pixels) pairs; pixels must match the model's input shape, else they count as wrong. */
  public static double accuracy(LoadedModel model, List<Map.Entry<String, byte[]>> examples) {
    if (examples.isEmpty()) {
      return 0;
    }
    long correct = 0;
    int n = model.inputShape().pixelCount();
    for (int from = 0; from < examples.size(); from += 256) {
      List<Map.Entry<String, byte[]>> chunk = examples.subList(from, Math.min(examples.size(), from + 256));
      List<byte[]> pixels = new ArrayList<>();
      List<String> truth = new ArrayList<>();
      for (Map.Entry<String, byte[]> e : chunk) {
        if (e.getValue().length == n) {
          pixels.add(e.getValue());
          truth.add(e.getKey());
        }
      }
      if (pixels.isEmpty()) {
        continue;
      }
      float[][] probabilities = model.predictPixels(pixels);
      for (int i = 0; i < probabilities.length; i++) {
        if (model.classNames().get(LoadedModel.argMax(probabilities[i])).equals(truth.get(i))) {
          correct++;
        }
      }
    }
    return (double) correct / examples.size();
  }
}
