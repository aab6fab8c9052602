package io.imagestream.train;

import io.imagestream.image.InputShape;
import io.imagestream.model.LabelledDataset;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The labelled images the trainer has read, decoded to the model's input, by image id (the same id labelled twice:
 * the latest label wins). Rebuilt from the labelled-images topic at every start; bounded in size.
 */
public final class LabelledStore {
  record Example(String label, byte[] pixels) {}

  private final InputShape shape;
  private final int maxExamples;
  private final Map<String, Example> examples = new LinkedHashMap<>();

  public LabelledStore(InputShape shape, int maxExamples) {
    this.shape = shape;
    this.maxExamples = maxExamples;
  }

  public InputShape shape() {
    return shape;
  }

  public void put(String id, String label, byte[] pixels) {
    examples.remove(id); // re-insert so that "oldest" means least recently labelled
    examples.put(id, new Example(label, pixels));
    if (examples.size() > maxExamples) {
      Iterator<String> oldest = examples.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
  }

  /** The label an image id has now (the latest one sent), or null. */
  public String labelOf(String id) {
    Example example = examples.get(id);
    return example == null ? null : example.label;
  }

  public int size() {
    return examples.size();
  }

  public boolean knowsLabel(String label) {
    return examples.values().stream().anyMatch(e -> e.label.equals(label));
  }

  /** Training images per class name, sorted by name. */
  public Map<String, Integer> trainingCounts(int heldOutPercent) {
    Map<String, Integer> counts = new TreeMap<>();
    examples.forEach((id, e) -> {
      if (!HeldOutSplit.isHeldOut(id, heldOutPercent)) {
        counts.merge(e.label, 1, Integer::sum);
      }
    });
    return counts;
  }

  public long distinctLabels() {
    return examples.values().stream().map(Example::label).distinct().count();
  }

  /** The training or the held-out part, restricted to the given classes (in that order: the output order). */
  public LabelledDataset dataset(List<String> classes, int heldOutPercent, boolean heldOut) {
    ByteArrayOutputStream pixels = new ByteArrayOutputStream();
    List<Integer> labels = new ArrayList<>();
    examples.forEach((id, e) -> {
      int label = classes.indexOf(e.label);
      if (label >= 0 && HeldOutSplit.isHeldOut(id, heldOutPercent) == heldOut) {
        pixels.writeBytes(e.pixels);
        labels.add(label);
      }
    });
    return new LabelledDataset(shape, classes, pixels.toByteArray(),
        labels.stream().mapToInt(Integer::intValue).toArray());
  }

  /** The last {@code n} images labelled (training and held-out alike), oldest first, as (label, pixels). */
  public List<Map.Entry<String, byte[]>> recentExamples(int n) {
    List<Map.Entry<String, byte[]>> out = new ArrayList<>(Math.min(n, examples.size()));
    int skip = Math.max(0, examples.size() - n);
    for (Example e : examples.values()) {
      if (skip-- <= 0) {
        out.add(Map.entry(e.label, e.pixels));
      }
    }
    return out;
  }

  /** Held-out images with labels the given classes may not know (-1 then): to score a live model fairly. */
  public List<Map.Entry<String, byte[]>> heldOutExamples(int heldOutPercent) {
    List<Map.Entry<String, byte[]>> out = new ArrayList<>();
    examples.forEach((id, e) -> {
      if (HeldOutSplit.isHeldOut(id, heldOutPercent)) {
        out.add(Map.entry(e.label, e.pixels));
      }
    });
    return out;
  }
}
