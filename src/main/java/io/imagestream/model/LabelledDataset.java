package io.imagestream.model;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.InputShape;
import io.imagestream.image.Layout;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Preprocessed images with class indices, held compactly as 8-bit pixels (HWC, one block per image); turned into
 * network input one mini-batch at a time.
 */
public final class LabelledDataset implements TrainingData {
  private final InputShape shape;
  private final List<String> classNames;
  private final byte[] pixels;
  private final int[] labels;

  public LabelledDataset(InputShape shape, List<String> classNames, byte[] pixels, int[] labels) {
    if ((long) labels.length * shape.pixelCount() != pixels.length) {
      throw new IllegalArgumentException("pixel data holds " + pixels.length + " bytes, expected " + labels.length
          + " images of " + shape);
    }
    this.shape = shape;
    this.classNames = List.copyOf(classNames);
    this.pixels = pixels;
    this.labels = labels;
  }

  public InputShape shape() {
    return shape;
  }

  public List<String> classNames() {
    return classNames;
  }

  @Override
  public int size() {
    return labels.length;
  }

  @Override
  public int label(int index) {
    return labels[index];
  }

  public byte[] pixels(int index) {
    int n = shape.pixelCount();
    return Arrays.copyOfRange(pixels, index * n, (index + 1) * n);
  }

  /** The first {@code count} images (all of them when count is larger). */
  public LabelledDataset head(int count) {
    int n = Math.min(count, size());
    return new LabelledDataset(shape, classNames, Arrays.copyOf(pixels, n * shape.pixelCount()),
        Arrays.copyOf(labels, n));
  }

  /** A seeded random subset, used to keep tests and quick runs small while still covering every class. */
  @Override
  public LabelledDataset sample(int count, long seed) {
    int[] order = shuffledIndices(new Random(seed));
    return subset(Arrays.copyOf(order, Math.min(count, size())));
  }

  public LabelledDataset subset(int[] indices) {
    int n = shape.pixelCount();
    byte[] out = new byte[indices.length * n];
    int[] outLabels = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      System.arraycopy(pixels, indices[i] * n, out, i * n, n);
      outLabels[i] = labels[indices[i]];
    }
    return new LabelledDataset(shape, classNames, out, outLabels);
  }

  @Override
  public int[] shuffledIndices(Random random) {
    int[] order = new int[size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** Network input [n, c, h, w] for the given images, rescaled 1/255. */
  @Override
  public INDArray features(int[] indices, int from, int to) {
    return features(indices, from, to, Augmentation.NONE, null);
  }

  /** Network input [n, c, h, w] for the given images, each randomly augmented, then rescaled 1/255. */
  @Override
  public INDArray features(int[] indices, int from, int to, Augmentation augmentation, Random random) {
    int n = shape.pixelCount();
    float[] data = new float[(to - from) * n];
    byte[] one = new byte[n];
    for (int i = from; i < to; i++) {
      System.arraycopy(pixels, indices[i] * n, one, 0, n);
      byte[] image = augmentation.isNone() ? one : augmentation.apply(one, shape, random);
      ImagePreprocessor.rescaleInto(image, shape, Layout.NCHW, data, (i - from) * n);
    }
    return Nd4j.create(data, new long[] {to - from, shape.channels(), shape.height(), shape.width()}, 'c');
  }

  /** Targets: one-hot rows for softmax, or a single 0/1 column for a sigmoid output. */
  @Override
  public INDArray targets(int[] indices, int from, int to, boolean sigmoid) {
    int width = sigmoid ? 1 : classNames.size();
    float[] data = new float[(to - from) * width];
    for (int i = from; i < to; i++) {
      int label = labels[indices[i]];
      if (sigmoid) {
        data[i - from] = label;
      } else {
        data[(i - from) * width + label] = 1f;
      }
    }
    return Nd4j.create(data, new long[] {to - from, width}, 'c');
  }

  /** How many images each class has, in class order. */
  public int[] classCounts() {
    int[] counts = new int[classNames.size()];
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }
}
