package io.imagestream.model;

import io.imagestream.image.InputShape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Convolution2D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An NCHW network rebuilt in NHWC for serving: about 2x faster inference with oneDNN on this kind of CPU, but DL4J
 * 1.0.0-M2.1 computes wrong convolution gradients in NHWC, so training stays NCHW and only inference copies convert.
 *
 * <p>The layer configurations are cloned with {@link CNN2DFormat#NHWC} on every convolutional layer, the flattening
 * preprocessor flattens (h, w, c) instead of (c, h, w), and the parameters are copied: conv kernels are
 * [out, in, kh, kw] in both layouts in DL4J, so only the rows of the first dense layer after the flattening are
 * reordered. A ReLU between a convolution and a max pooling moves after the pooling (same outputs, less work).
 * Layer types not listed here are not converted (the caller keeps serving NCHW), and every conversion is
 * checked numerically against the original before it is used.
 */
final class NhwcConversion {
  /** Largest difference of any output between the two networks on the check batch. */
  static final double TOLERANCE = 1e-4;
  private static final int CHECK_BATCH = 2;
  private static final long CHECK_SEED = 20261122L;

  /** Layer types whose behaviour does not depend on the layout, or that follow {@code cnn2dDataFormat}. */
  private static final Set<Class<? extends Layer>> CONVERTIBLE = Set.of(ConvolutionLayer.class, Convolution2D.class,
      SubsamplingLayer.class, BatchNormalization.class, DenseLayer.class, OutputLayer.class, DropoutLayer.class,
      ActivationLayer.class);

  /** The converted network, or why there is none. */
  record Result(MultiLayerNetwork network, String whyNot) {
    static Result failed(String why) {
      return new Result(null, why);
    }
  }

  private NhwcConversion() {}

  /**
   * The NHWC copy of {@code nchw} for input of {@code shape}, verified on a random batch to within {@link #TOLERANCE};
   * never throws: a network that cannot be converted, or whose copy does not match, gives a reason instead.
   */
  static Result convert(MultiLayerNetwork nchw, InputShape shape) {
    try {
      return convertChecked(nchw, shape);
    } catch (RuntimeException e) {
      return Result.failed(e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()));
    }
  }

  private static Result convertChecked(MultiLayerNetwork nchw, InputShape shape) {
    MultiLayerConfiguration conf = nchw.getLayerWiseConfigurations().clone();
    int layers = conf.getConfs().size();
    for (int i = 0; i < layers; i++) {
      Layer layer = conf.getConf(i).getLayer();
      if (!CONVERTIBLE.contains(layer.getClass())) {
        return Result.failed("layer " + i + " (" + layer.getClass().getSimpleName() + ") has no NHWC conversion");
      }
      if (layer instanceof ConvolutionLayer conv) {
        conv.setCnn2dDataFormat(CNN2DFormat.NHWC);
      } else if (layer instanceof SubsamplingLayer pool) {
        pool.setCnn2dDataFormat(CNN2DFormat.NHWC);
      } else if (layer instanceof BatchNormalization norm) {
        norm.setCnn2DFormat(CNN2DFormat.NHWC);
      }
    }

    moveReluPastMaxPooling(conf);

    // the flattening: (c, h, w) becomes (h, w, c); remember which dense layer's rows must follow
    int flattenedAt = -1;
    CnnToFeedForwardPreProcessor flatten = null;
    for (Map.Entry<Integer, InputPreProcessor> entry : conf.getInputPreProcessors().entrySet()) {
      InputPreProcessor pre = entry.getValue();
      if (!(pre instanceof CnnToFeedForwardPreProcessor cnnToDense)) {
        return Result.failed("preprocessor before layer " + entry.getKey() + " ("
            + pre.getClass().getSimpleName() + ") has no NHWC conversion");
      }
      if (cnnToDense.getFormat() != CNN2DFormat.NCHW || flatten != null) {
        return Result.failed("unexpected flattening before layer " + entry.getKey() + ": " + pre);
      }
      CnnToFeedForwardPreProcessor converted = cnnToDense.clone();
      converted.setFormat(CNN2DFormat.NHWC);
      entry.setValue(converted);
      flatten = cnnToDense;
      flattenedAt = entry.getKey();
    }
    MultiLayerNetwork nhwc = new MultiLayerNetwork(conf);
    nhwc.init(nchw.params().dup(), false);
    if (flatten != null) {
      int dense = firstLayerWithWeights(nhwc, flattenedAt);
      if (dense < 0) {
        return Result.failed("no dense layer after the flattening before layer " + flattenedAt);
      }
      INDArray w = nhwc.getLayer(dense).getParam("W");
      w.assign(chwRowsToHwc(w, (int) flatten.getInputHeight(), (int) flatten.getInputWidth(),
          (int) flatten.getNumChannels()));
    }

    NhwcConvolution.install(nhwc); // before the check, which then covers it too
    double difference = maxDifference(nchw, nhwc, shape);
    if (!(difference <= TOLERANCE)) {
      return Result.failed("the NHWC copy differs from the network by up to " + difference + " (tolerance "
          + TOLERANCE + ")");
    }
    return new Result(nhwc, null);
  }

  /**
   * Convolution with ReLU, then max pooling (the Keras tutorial's blocks): the ReLU moves after the pooling, onto a
   * quarter of the values. The outputs are the same, as max(relu(x)) = relu(max(x)); the ReLU was a pass of its own
   * over the convolution's whole output (~7 % of the network's time), and is now one over the pooling's.
   */
  private static void moveReluPastMaxPooling(MultiLayerConfiguration conf) {
    List<NeuralNetConfiguration> confs = new ArrayList<>(conf.getConfs());
    Map<Integer, InputPreProcessor> preProcessors = new HashMap<>(conf.getInputPreProcessors());
    for (int i = 0; i + 1 < confs.size(); i++) {
      if (confs.get(i).getLayer() instanceof ConvolutionLayer conv && conv.getActivationFn() instanceof ActivationReLU
          && confs.get(i + 1).getLayer() instanceof SubsamplingLayer pool && pool.getPoolingType() == PoolingType.MAX
          && !preProcessors.containsKey(i + 1)) {
        conv.setActivationFn(new ActivationIdentity());
        NeuralNetConfiguration relu = confs.get(i + 1).clone();
        relu.setLayer(new ActivationLayer.Builder().activation(Activation.RELU).name(pool.getLayerName() + "-relu")
            .build());
        int at = i + 2;
        confs.add(at, relu);
        Map<Integer, InputPreProcessor> shifted = new HashMap<>();
        preProcessors.forEach((index, pre) -> shifted.put(index >= at ? index + 1 : index, pre));
        preProcessors = shifted;
        i = at;
      }
    }
    conf.setConfs(confs);
    conf.setInputPreProcessors(preProcessors);
  }

  /** The layer at or after {@code from} that holds a weight matrix; layers in between must have no parameters. */
  private static int firstLayerWithWeights(MultiLayerNetwork network, int from) {
    for (int i = from; i < network.getnLayers(); i++) {
      org.deeplearning4j.nn.api.Layer layer = network.getLayer(i);
      if (layer.getParam("W") != null) {
        Layer conf = layer.conf().getLayer();
        return conf instanceof DenseLayer || conf instanceof OutputLayer ? i : -1;
      }
      if (layer.numParams() > 0) {
        return -1;
      }
    }
    return -1;
  }

  /** Dense weights [c*h*w, out] with rows in (c, h, w) order, reordered to (h, w, c) order. */
  static INDArray chwRowsToHwc(INDArray weights, int height, int width, int channels) {
    long out = weights.size(1);
    return weights.dup('c').reshape('c', channels, height, width, out).permute(1, 2, 0, 3).dup('c')
        .reshape('c', (long) channels * height * width, out);
  }

  /** NCHW batch [n, c, h, w] as NHWC [n, h, w, c], c-order. */
  static INDArray toNhwc(INDArray nchw) {
    return nchw.permute(0, 2, 3, 1).dup('c');
  }

  static double maxDifference(MultiLayerNetwork nchw, MultiLayerNetwork nhwc, InputShape shape) {
    // java.util.Random, not Nd4j's: reseeding ND4J's global generator would change other code's random numbers
    java.util.Random random = new java.util.Random(CHECK_SEED);
    float[] data = new float[CHECK_BATCH * shape.pixelCount()];
    for (int i = 0; i < data.length; i++) {
      data[i] = random.nextFloat();
    }
    INDArray input = Nd4j.create(data, new long[] {CHECK_BATCH, shape.channels(), shape.height(), shape.width()}, 'c');
    INDArray expected = NetworkCalls.aside(() -> nchw.output(input, false));
    INDArray actual = NetworkCalls.aside(() -> nhwc.output(toNhwc(input), false));
    if (!java.util.Arrays.equals(expected.shape(), actual.shape())) {
      return Double.POSITIVE_INFINITY;
    }
    return expected.sub(actual).amaxNumber().doubleValue();
  }

  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }
}
