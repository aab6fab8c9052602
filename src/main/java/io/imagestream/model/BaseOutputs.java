package io.imagestream.model;

import io.imagestream.image.InputShape;
import java.util.Arrays;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Labelled images seen through a frozen base: the training data of the layers after it. The base only ever runs
 * forward, in inference mode. Without augmentation each image's base output is computed once and reused in every
 * epoch (Keras' "feature extraction" recipe: the base is most of the work, ~98 % for VGG16 with a small head); with
 * augmentation each mini-batch goes through the base as it is drawn, since every epoch sees different pixels.
 */
public final class BaseOutputs implements TrainingData {
  private static final int BATCH = 64;

  private final LabelledDataset images;
  private final Base base;
  /** One row per image, c-order, or null when computed per mini-batch. */
  private final float[][] cached;

  /** The frozen base, run in NHWC when a checked copy exists (about 2x faster with oneDNN), NCHW otherwise. */
  static final class Base {
    private final MultiLayerNetwork nchw;
    private final MultiLayerNetwork nhwc;
    final long[] outputShape; // per image, NCHW: [c, h, w] or [n]

    Base(MultiLayerNetwork nchw, InputShape shape) {
      this.nchw = nchw;
      INDArray probe = NetworkCalls.aside(() -> nchw.output(Nd4j.zeros(1, shape.channels(), shape.height(),
          shape.width()), false));
      this.outputShape = Arrays.copyOfRange(probe.shape(), 1, probe.rank());
      NhwcConversion.Result converted = outputShape.length == 3 ? NhwcConversion.convert(nchw, shape) : null;
      this.nhwc = converted == null ? null : converted.network();
    }

    long outputSize() {
      return Arrays.stream(outputShape).reduce(1, (a, b) -> a * b);
    }

    /** The base's output for an NCHW batch, NCHW; large batches go through in slices (a VGG16 block-1 activation is
     * 1 MB per 64x64 image). */
    INDArray apply(INDArray input) {
      long n = input.size(0);
      if (n <= BATCH) {
        return applyOnce(input);
      }
      INDArray[] parts = new INDArray[(int) ((n + BATCH - 1) / BATCH)];
      for (int p = 0; p < parts.length; p++) {
        parts[p] = applyOnce(input.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(p * (long) BATCH,
            Math.min(n, (p + 1) * (long) BATCH))).dup('c'));
      }
      return Nd4j.concat(0, parts);
    }

    private INDArray applyOnce(INDArray input) {
      if (nhwc != null) {
        INDArray out = NetworkCalls.aside(() -> nhwc.output(NhwcConversion.toNhwc(input), false));
        return out.permute(0, 3, 1, 2).dup('c');
      }
      return NetworkCalls.aside(() -> nchw.output(input, false));
    }
  }

  private BaseOutputs(LabelledDataset images, Base base, float[][] cached) {
    this.images = images;
    this.base = base;
    this.cached = cached;
  }

  /** The base's outputs for every image, computed now, once. */
  static BaseOutputs cached(Base base, LabelledDataset images) {
    return cached(base, images, null);
  }

  /**
   * The base's outputs for every image, taken from {@code cache} where it has them (null: no cache) and computed now
   * for the others.
   */
  static BaseOutputs cached(Base base, LabelledDataset images, BaseOutputCache cache) {
    float[][] rows = new float[images.size()][];
    String[] digests = new String[images.size()];
    int[] missing = new int[images.size()];
    int count = 0;
    for (int i = 0; i < rows.length; i++) {
      if (cache != null) {
        digests[i] = ModelArtifact.sha256(images.pixels(i));
        rows[i] = cache.get(digests[i]);
      }
      if (rows[i] == null) {
        missing[count++] = i;
      }
    }
    for (int from = 0; from < count; from += BATCH) {
      int to = Math.min(count, from + BATCH);
      INDArray input = images.features(missing, from, to);
      INDArray out = base.apply(input).reshape('c', to - from, base.outputSize());
      for (int i = from; i < to; i++) {
        rows[missing[i]] = out.getRow(i - from).dup().data().asFloat();
      }
      input.close();
    }
    if (cache != null) {
      java.util.Map<String, float[]> current = new java.util.HashMap<>();
      for (int i = 0; i < rows.length; i++) {
        current.put(digests[i], rows[i]);
      }
      cache.keep(current);
    }
    return new BaseOutputs(images, base, rows);
  }

  /** The base's outputs computed per mini-batch (for augmented images, which differ every epoch). */
  static BaseOutputs perBatch(Base base, LabelledDataset images) {
    return new BaseOutputs(images, base, null);
  }

  boolean isCached() {
    return cached != null;
  }

  @Override
  public int size() {
    return images.size();
  }

  @Override
  public int label(int index) {
    return images.label(index);
  }

  @Override
  public int[] shuffledIndices(Random random) {
    return images.shuffledIndices(random);
  }

  @Override
  public BaseOutputs sample(int count, long seed) {
    int[] order = Arrays.copyOf(images.shuffledIndices(new Random(seed)), Math.min(count, size()));
    float[][] rows = null;
    if (cached != null) {
      rows = new float[order.length][];
      for (int i = 0; i < order.length; i++) {
        rows[i] = cached[order[i]];
      }
    }
    return new BaseOutputs(images.subset(order), base, rows);
  }

  @Override
  public INDArray features(int[] indices, int from, int to, Augmentation augmentation, Random random) {
    if (cached == null) {
      return base.apply(images.features(indices, from, to, augmentation, random));
    }
    if (!augmentation.isNone()) {
      throw new IllegalStateException("cached base outputs cannot be augmented");
    }
    int width = (int) base.outputSize();
    float[] data = new float[(to - from) * width];
    for (int i = from; i < to; i++) {
      System.arraycopy(cached[indices[i]], 0, data, (i - from) * width, width);
    }
    long[] shape = new long[base.outputShape.length + 1];
    shape[0] = to - from;
    System.arraycopy(base.outputShape, 0, shape, 1, base.outputShape.length);
    return Nd4j.create(data, shape, 'c');
  }

  @Override
  public INDArray targets(int[] indices, int from, int to, boolean sigmoid) {
    return images.targets(indices, from, to, sigmoid);
  }
}
