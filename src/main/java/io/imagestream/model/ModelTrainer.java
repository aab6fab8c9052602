package io.imagestream.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Mini-batch training with a validation pass after each epoch, reported the way Keras users read it. */
public final class ModelTrainer {

  public record Options(int epochs, int batchSize, long seed, Augmentation augmentation) {
    public Options {
      if (epochs < 1 || batchSize < 1) {
        throw new IllegalArgumentException("epochs and batch size must be at least 1");
      }
      augmentation = augmentation == null ? Augmentation.NONE : augmentation;
    }

    public Options(int epochs, int batchSize, long seed) {
      this(epochs, batchSize, seed, Augmentation.NONE);
    }
  }

  /** One epoch's figures: Keras' loss, accuracy, val_loss, val_accuracy (NaN when there is no validation data). */
  public record EpochResult(int epoch, double loss, double accuracy, double valLoss, double valAccuracy,
                            double seconds) {
    public Map<String, Double> asMap() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("loss", loss);
      m.put("accuracy", accuracy);
      if (!Double.isNaN(valAccuracy)) {
        m.put("val_loss", valLoss);
        m.put("val_accuracy", valAccuracy);
      }
      return m;
    }
  }

  public interface Listener {
    default void batchDone(int epoch, int seen, int total) {}

    default void epochDone(EpochResult result) {}
  }

  private final Options options;

  public ModelTrainer(Options options) {
    this.options = options;
  }

  /** Trains in place; returns the last epoch's figures. */
  public EpochResult fit(MultiLayerNetwork network, LabelledDataset train, LabelledDataset validation,
                         Listener listener) {
    boolean sigmoid = network.getOutputLayer().getParam("W").size(1) == 1;
    Random random = new Random(options.seed());
    EpochResult last = null;
    for (int epoch = 1; epoch <= options.epochs(); epoch++) {
      long start = System.nanoTime();
      int[] order = train.shuffledIndices(random);
      double lossSum = 0;
      for (int from = 0; from < order.length; from += options.batchSize()) {
        int to = Math.min(order.length, from + options.batchSize());
        INDArray features = train.features(order, from, to, options.augmentation(), random);
        INDArray targets = train.targets(order, from, to, sigmoid);
        network.fit(features, targets);
        lossSum += network.score() * (to - from);
        listener.batchDone(epoch, to, order.length);
      }
      // Training accuracy from a pass over (a sample of) the training data with the epoch's final weights.
      Scores trainScores = score(network, train.sample(Math.min(train.size(), 5_000), options.seed() + epoch), sigmoid);
      Scores valScores = validation == null || validation.size() == 0 ? null : score(network, validation, sigmoid);
      last = new EpochResult(epoch, lossSum / order.length, trainScores.accuracy,
          valScores == null ? Double.NaN : valScores.loss, valScores == null ? Double.NaN : valScores.accuracy,
          (System.nanoTime() - start) / 1e9);
      listener.epochDone(last);
    }
    return last;
  }

  record Scores(double loss, double accuracy) {}

  /** Mean cross-entropy loss and accuracy on a dataset, from one forward pass in batches. */
  static Scores score(MultiLayerNetwork network, LabelledDataset data, boolean sigmoid) {
    int[] all = new int[data.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    double lossSum = 0;
    long correct = 0;
    for (int from = 0; from < all.length; from += 512) {
      int to = Math.min(all.length, from + 512);
      float[] out = network.output(data.features(all, from, to), false).dup('c').data().asFloat();
      int width = out.length / (to - from);
      for (int i = from; i < to; i++) {
        int label = data.label(i);
        int predicted;
        double pTrue;
        if (sigmoid) {
          float p = out[i - from];
          predicted = p >= 0.5f ? 1 : 0;
          pTrue = label == 1 ? p : 1 - p;
        } else {
          float[] row = java.util.Arrays.copyOfRange(out, (i - from) * width, (i - from + 1) * width);
          predicted = LoadedModel.argMax(row);
          pTrue = row[label];
        }
        lossSum += -Math.log(Math.max(pTrue, 1e-7));
        if (predicted == label) {
          correct++;
        }
      }
    }
    return new Scores(lossSum / Math.max(1, all.length), (double) correct / Math.max(1, all.length));
  }
}
