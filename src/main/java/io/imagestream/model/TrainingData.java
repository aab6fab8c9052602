package io.imagestream.model;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@link ModelTrainer} trains on: labelled examples handed out as network input one mini-batch at a time. Images
 * ({@link LabelledDataset}) or the outputs of a frozen base for them ({@link BaseOutputs}).
 */
public interface TrainingData {
  int size();

  int label(int index);

  int[] shuffledIndices(Random random);

  /** A seeded random subset of at most {@code count} examples. */
  TrainingData sample(int count, long seed);

  /** Network input for {@code indices[from..to)}, each image randomly augmented first when asked to. */
  INDArray features(int[] indices, int from, int to, Augmentation augmentation, Random random);

  default INDArray features(int[] indices, int from, int to) {
    return features(indices, from, to, Augmentation.NONE, null);
  }

  /** Targets: one-hot rows for softmax, or a single 0/1 column for a sigmoid output. */
  INDArray targets(int[] indices, int from, int to, boolean sigmoid);
}
