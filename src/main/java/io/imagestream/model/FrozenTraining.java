package io.imagestream.model;

import io.imagestream.image.InputShape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration.ListBuilder;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Training a network some of whose layers are frozen (a transfer model's base; Keras' {@code trainable=False}). The
 * frozen layers at the start, with the parameter-free layers among and right after them, form the base: it is split
 * off and only ever runs forward ({@link BaseOutputs}: once per image without augmentation), and the layers after it
 * are trained as a network of their own, whose parameters are then copied back. The base's parameters are never
 * touched, so they stay bit-identical. Frozen layers further on (rare) train wrapped in DL4J's
 * {@link FrozenLayerWithBackprop}, which passes gradients through without updating them.
 */
public final class FrozenTraining {
  /** What a training did besides the epochs: how the base was used. */
  public record Result(TrainingHistory history, int baseLayers, boolean cachedBaseOutputs, double baseSeconds) {}

  private FrozenTraining() {}

  /**
   * Trains {@code network} in place, leaving the layers in {@code frozen} as they are.
   *
   * @param learningRate Adam's learning rate for the layers that train
   */
  public static Result fit(MultiLayerNetwork network, InputShape shape, List<Integer> frozen, double learningRate,
                           ModelTrainer.Options options, LabelledDataset train, LabelledDataset validation,
                           ModelTrainer.Listener listener) {
    return fit(network, shape, frozen, learningRate, options, train, validation, listener, null);
  }

  /** @param cache base outputs of earlier trainings to reuse for the training images (null: none) */
  public static Result fit(MultiLayerNetwork network, InputShape shape, List<Integer> frozen, double learningRate,
                           ModelTrainer.Options options, LabelledDataset train, LabelledDataset validation,
                           ModelTrainer.Listener listener, BaseOutputCache cache) {
    Set<Integer> frozenSet = new HashSet<>(frozen);
    int prefix = basePrefix(network, frozenSet);
    if (prefix >= network.getnLayers() || frozenSet.size() >= network.getnLayers()) {
      throw new IllegalArgumentException("every layer of the network is frozen: nothing to train");
    }
    MultiLayerNetwork trainable = layers(network, shape, prefix, network.getnLayers(), frozenSet, learningRate,
        options.seed());
    TrainingData trainData = train;
    TrainingData validationData = validation;
    boolean cached = false;
    long start = System.nanoTime();
    if (prefix > 0) {
      MultiLayerNetwork baseNetwork = layers(network, shape, 0, prefix, Set.of(), learningRate, options.seed());
      BaseOutputs.Base base = new BaseOutputs.Base(baseNetwork, shape);
      long bytes = base.outputSize() * 4L * (train.size() + (validation == null ? 0 : validation.size()));
      cached = options.augmentation().isNone() && bytes <= Runtime.getRuntime().maxMemory() / 4;
      if (cached && cache != null) {
        cache.begin(baseNetwork);
      }
      trainData = cached ? BaseOutputs.cached(base, train, cache) : BaseOutputs.perBatch(base, train);
      validationData = validation == null || validation.size() == 0 ? validation
          : BaseOutputs.cached(base, validation);
    }
    double baseSeconds = (System.nanoTime() - start) / 1e9;
    TrainingHistory history = new ModelTrainer(options).fitHistory(trainable, trainData, validationData, listener);
    for (int i = prefix; i < network.getnLayers(); i++) {
      copyLayer(trainable.getLayer(i - prefix), network.getLayer(i));
    }
    return new Result(history, prefix, cached, baseSeconds);
  }

  /**
   * How many layers from the start form the frozen base: frozen layers and the parameter-free ones among or right
   * after them (pooling, flattening), but not Dropout, which behaves differently in training. 0 when none is frozen.
   */
  static int basePrefix(MultiLayerNetwork network, Set<Integer> frozen) {
    int lastFrozen = -1;
    for (int i = 0; i < network.getnLayers(); i++) {
      Layer layer = network.getLayer(i).conf().getLayer();
      boolean free = network.getLayer(i).numParams() == 0 && !(layer instanceof DropoutLayer);
      if (frozen.contains(i)) {
        lastFrozen = i;
      } else if (!free) {
        break;
      }
    }
    if (lastFrozen < 0) {
      return 0;
    }
    int end = lastFrozen + 1;
    while (end < network.getnLayers() - 1 && network.getLayer(end).numParams() == 0
        && !(network.getLayer(end).conf().getLayer() instanceof DropoutLayer)) {
      end++;
    }
    return end;
  }

  /**
   * Layers {@code [from, to)} of a network as a network of their own, taking what layer {@code from - 1} gives,
   * with their parameters (copied), preprocessors and fresh Adam updaters; layers in {@code frozen} wrapped so they
   * do not train. The seed makes the dropout masks repeatable (DL4J reseeds ND4J's generator when a network initialises).
   */
  static MultiLayerNetwork layers(MultiLayerNetwork network, InputShape shape, int from, int to, Set<Integer> frozen,
                                  double learningRate, long seed) {
    MultiLayerConfiguration conf = network.getLayerWiseConfigurations();
    InputType input = InputType.convolutional(shape.height(), shape.width(), shape.channels(), CNN2DFormat.NCHW);
    InputType in = from == 0 ? input : conf.getLayerActivationTypes(input).get(from - 1);
    ListBuilder builder = new NeuralNetConfiguration.Builder().seed(seed).updater(new Adam(learningRate)).list();
    for (int i = from; i < to; i++) {
      Layer layer = conf.getConf(i).getLayer().clone();
      if (layer instanceof BaseLayer base) {
        base.setIUpdater(new Adam(learningRate));
      }
      builder.layer(frozen.contains(i) ? new FrozenLayerWithBackprop(layer) : layer);
      InputPreProcessor pre = conf.getInputPreProcess(i);
      if (pre != null) {
        builder.inputPreProcessor(i - from, pre.clone());
      }
    }
    builder.setInputType(in);
    MultiLayerNetwork part = new MultiLayerNetwork(builder.build());
    part.init();
    copyParams(network, from, part);
    return part;
  }

  private static void copyParams(MultiLayerNetwork from, int offset, MultiLayerNetwork to) {
    for (int i = 0; i < to.getnLayers(); i++) {
      copyLayer(from.getLayer(offset + i), to.getLayer(i));
    }
  }

  private static void copyLayer(org.deeplearning4j.nn.api.Layer from, org.deeplearning4j.nn.api.Layer to) {
    for (Map.Entry<String, INDArray> param : from.paramTable().entrySet()) {
      to.getParam(param.getKey()).assign(param.getValue());
    }
  }

  /** The layers {@code [0, count)} as a list of indices: a base of that many layers, all frozen. */
  public static List<Integer> firstLayers(int count) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(i);
    }
    return List.copyOf(out);
  }
}
