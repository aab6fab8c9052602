package io.imagestream.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Mini-batch training with a validation pass after each epoch, reported the way Keras users read it. */
public final class ModelTrainer {

  /**
   * @param earlyStoppingPatience stop when val_loss has not improved for this many epochs and keep the best epoch's
   *                              weights (Keras' EarlyStopping with restore_best_weights=True); 0: off
   * @param learningRateDecay     the learning rate of epoch e is the network's own times decay^(e-1) (Keras'
   *                              ExponentialDecay with decay_steps one epoch, staircase); 1: constant
   */
  public record Options(int epochs, int batchSize, long seed, Augmentation augmentation, int earlyStoppingPatience,
                        double learningRateDecay) {
    public Options {
      if (epochs < 1 || batchSize < 1) {
        throw new IllegalArgumentException("epochs and batch size must be at least 1");
      }
      if (!(learningRateDecay > 0 && learningRateDecay <= 1)) {
        throw new IllegalArgumentException("learning rate decay must be in (0, 1], got " + learningRateDecay);
      }
      if (earlyStoppingPatience < 0) {
        throw new IllegalArgumentException("early stopping patience must be >= 0");
      }
      augmentation = augmentation == null ? Augmentation.NONE : augmentation;
    }

    public Options(int epochs, int batchSize, long seed, Augmentation augmentation, int earlyStoppingPatience) {
      this(epochs, batchSize, seed, augmentation, earlyStoppingPatience, 1.0);
    }

    public Options(int epochs, int batchSize, long seed, Augmentation augmentation) {
      this(epochs, batchSize, seed, augmentation, 0);
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

    /** Early stopping ended training after {@code epoch}; the network holds {@code bestEpoch}'s weights again. */
    default void stoppedEarly(int epoch, int bestEpoch) {}
  }

  private final Options options;

  public ModelTrainer(Options options) {
    this.options = options;
  }

  /** Trains in place; returns the figures of the epoch whose weights the network ends with. */
  public EpochResult fit(MultiLayerNetwork network, TrainingData train, TrainingData validation,
                         Listener listener) {
    return fitHistory(network, train, validation, listener).kept();
  }

  /** Trains in place, with early stopping when the options ask for it; returns every epoch's figures. */
  public TrainingHistory fitHistory(MultiLayerNetwork network, TrainingData train, TrainingData validation,
                                    Listener listener) {
    boolean hasValidation = validation != null && validation.size() > 0;
    EarlyStopping stopping = new EarlyStopping(options.earlyStoppingPatience());
    if (stopping.enabled() && !hasValidation) {
      throw new IllegalArgumentException("early stopping watches val_loss, so it needs validation data");
    }
    boolean sigmoid = network.getOutputLayer().getParam("W").size(1) == 1;
    Random random = new Random(options.seed());
    List<EpochResult> history = new ArrayList<>();
    INDArray bestParams = null;
    // the rate the network was configured with; every layer of a built-in network has the same one
    double learningRate = options.learningRateDecay() < 1 ? network.getLearningRate(0) : Double.NaN;
    for (int epoch = 1; epoch <= options.epochs(); epoch++) {
      long start = System.nanoTime();
      if (options.learningRateDecay() < 1) {
        network.setLearningRate(learningRate * Math.pow(options.learningRateDecay(), epoch - 1));
      }
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
      Scores valScores = hasValidation ? score(network, validation, sigmoid) : null;
      EpochResult last = new EpochResult(epoch, lossSum / order.length, trainScores.accuracy,
          valScores == null ? Double.NaN : valScores.loss, valScores == null ? Double.NaN : valScores.accuracy,
          (System.nanoTime() - start) / 1e9);
      history.add(last);
      listener.epochDone(last);
      if (stopping.enabled()) {
        if (stopping.improved(epoch, last.valLoss())) {
          bestParams = network.params().dup();
        } else if (stopping.shouldStop()) {
          if (bestParams != null) {
            network.setParams(bestParams);
          }
          listener.stoppedEarly(epoch, stopping.bestEpoch());
          return new TrainingHistory(List.copyOf(history), stopping.bestEpoch(), true);
        }
      }
    }
    return new TrainingHistory(List.copyOf(history), history.size(), false);
  }

  record Scores(double loss, double accuracy) {}

  /** Mean cross-entropy loss and accuracy on a dataset, from one forward pass in batches. */
  static Scores score(MultiLayerNetwork network, TrainingData data, boolean sigmoid) {
    int[] all = new int[data.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    double lossSum = 0;
    long correct = 0;
    for (int from = 0; from < all.length; from += 512) {
      int to = Math.min(all.length, from + 512);
      INDArray features = data.features(all, from, to);
      float[] out = NetworkCalls.aside(() -> network.output(features, false)).dup('c').data().asFloat();
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
