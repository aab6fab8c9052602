package io.imagestream.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.imagestream.model.KerasImport.UnsupportedModelException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Each Keras layer of a chain as its DL4J layer in NCHW, with how its Keras weights become DL4J parameters: conv
 * kernels (kh, kw, in, out) become [out, in, kh, kw]; the first Dense after a Flatten of an image-shaped tensor gets
 * its rows reordered from Keras' (h, w, c) flattening to NCHW's (c, h, w); BatchNormalization keeps its moving mean and
 * variance (DL4J with {@code useLogStd=false}) and Keras' epsilon. The last Dense becomes the output layer when it is
 * Dense(1, sigmoid) or Dense(n, softmax). Flatten needs no layer: DL4J flattens between convolutional and dense layers.
 */
final class KerasLayerMapping {
  /** One Keras weight: its dataset name, the DL4J parameter it fills, and the conversion between the two. */
  record Param(String kerasName, String dl4jName, UnaryOperator<INDArray> convert) {}

  record Mapped(KerasLayers.Layer keras, Layer layer, List<Param> params) {}

  private KerasLayerMapping() {}

  static boolean isClassifier(List<Mapped> mapped) {
    return mapped.get(mapped.size() - 1).layer() instanceof OutputLayer;
  }

  static List<Mapped> map(KerasLayers.Chain chain) throws UnsupportedModelException {
    List<Mapped> out = new ArrayList<>();
    // Keras' shape as the chain goes: (h, w, c) while image-shaped, then flat
    long h = chain.input().height();
    long w = chain.input().width();
    long c = chain.input().channels();
    boolean image = true;
    long[] flattenedFrom = null; // (h, w, c) of a Flatten not yet followed by a Dense
    List<KerasLayers.Layer> layers = chain.layers();
    for (int i = 0; i < layers.size(); i++) {
      KerasLayers.Layer keras = layers.get(i);
      JsonNode config = keras.config();
      String name = keras.name();
      boolean last = i == layers.size() - 1;
      switch (keras.kind()) {
        case "Conv2D" -> {
          requireImage(image, keras);
          int[] kernel = pair(config, "kernel_size", null, keras);
          int[] stride = pair(config, "strides", new int[] {1, 1}, keras);
          int[] dilation = pair(config, "dilation_rate", new int[] {1, 1}, keras);
          if (config.path("groups").asInt(1) != 1) {
            throw new UnsupportedModelException("layer '" + name + "' (Conv2D) uses groups; not supported");
          }
          boolean same = same(config, keras);
          boolean bias = config.path("use_bias").asBoolean(true);
          long filters = config.path("filters").asLong();
          Layer layer = new ConvolutionLayer.Builder(kernel).stride(stride).dilation(dilation)
              .convolutionMode(same ? ConvolutionMode.Same : ConvolutionMode.Truncate).nOut(filters).hasBias(bias)
              .activation(activation(config, keras)).dataFormat(CNN2DFormat.NCHW).name(name).build();
          List<Param> params = new ArrayList<>();
          params.add(new Param("kernel:0", "W", k -> k.permute(3, 2, 0, 1).dup('c')));
          if (bias) {
            params.add(new Param("bias:0", "b", b -> b));
          }
          out.add(new Mapped(keras, layer, params));
          h = outSize(h, (kernel[0] - 1) * dilation[0] + 1, stride[0], same);
          w = outSize(w, (kernel[1] - 1) * dilation[1] + 1, stride[1], same);
          c = filters;
        }
        case "MaxPooling2D" -> {
          requireImage(image, keras);
          int[] pool = pair(config, "pool_size", new int[] {2, 2}, keras);
          int[] stride = pair(config, "strides", pool, keras);
          boolean same = same(config, keras);
          out.add(new Mapped(keras, new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(pool).stride(stride)
              .convolutionMode(same ? ConvolutionMode.Same : ConvolutionMode.Truncate).dataFormat(CNN2DFormat.NCHW)
              .name(name).build(), List.of()));
          h = outSize(h, pool[0], stride[0], same);
          w = outSize(w, pool[1], stride[1], same);
        }
        case "GlobalAveragePooling2D" -> {
          requireImage(image, keras);
          if (config.path("keepdims").asBoolean(false)) {
            throw new UnsupportedModelException("layer '" + name + "' (GlobalAveragePooling2D) uses keepdims=True; "
                + "not supported");
          }
          out.add(new Mapped(keras, new GlobalPoolingLayer.Builder(PoolingType.AVG).name(name).build(), List.of()));
          image = false;
        }
        case "BatchNormalization" -> out.add(batchNormalization(keras, image ? c : -1));
        case "Flatten" -> {
          if (image) {
            flattenedFrom = new long[] {h, w, c};
          }
          image = false;
        }
        case "Dense" -> {
          if (image) {
            throw new UnsupportedModelException("layer '" + name + "' (Dense) takes an image-shaped input; put a "
                + "Flatten or GlobalAveragePooling2D before it");
          }
          long[] reorder = flattenedFrom;
          flattenedFrom = null;
          out.add(dense(keras, last, reorder));
        }
        case "Dropout" -> {
          double rate = config.path("rate").asDouble();
          // Keras' rate is the probability of dropping; DL4J's argument is the probability of keeping
          out.add(new Mapped(keras, new DropoutLayer.Builder(1 - rate).name(name).build(), List.of()));
        }
        default -> throw new UnsupportedModelException("layer '" + name + "' (" + keras.kind() + ") is not supported; "
            + "supported: " + KerasLayers.SUPPORTED_NAMES);
      }
    }
    return out;
  }

  private static Mapped dense(KerasLayers.Layer keras, boolean last, long[] flattenedFrom)
      throws UnsupportedModelException {
    JsonNode config = keras.config();
    long units = config.path("units").asLong();
    boolean bias = config.path("use_bias").asBoolean(true);
    Activation activation = activation(config, keras);
    Layer layer;
    if (last && activation == Activation.SIGMOID && units == 1) {
      layer = new OutputLayer.Builder(LossFunction.XENT).nOut(1).activation(activation).hasBias(bias)
          .name(keras.name()).build();
    } else if (last && activation == Activation.SOFTMAX) {
      layer = new OutputLayer.Builder(LossFunction.MCXENT).nOut(units).activation(activation).hasBias(bias)
          .name(keras.name()).build();
    } else {
      layer = new DenseLayer.Builder().nOut(units).hasBias(bias).activation(activation).name(keras.name()).build();
    }
    List<Param> params = new ArrayList<>();
    params.add(new Param("kernel:0", "W", flattenedFrom == null ? k -> k
        : k -> KerasImport.hwcRowsToChw(k, (int) flattenedFrom[0], (int) flattenedFrom[1], (int) flattenedFrom[2])));
    if (bias) {
      params.add(new Param("bias:0", "b", b -> b));
    }
    return new Mapped(keras, layer, params);
  }

  /** @param channels the channel count when the input is image-shaped, else -1 */
  private static Mapped batchNormalization(KerasLayers.Layer keras, long channels) throws UnsupportedModelException {
    JsonNode config = keras.config();
    JsonNode axis = config.path("axis");
    int axisValue = axis.isArray() && axis.size() == 1 ? axis.get(0).asInt() : axis.asInt(-1);
    boolean lastAxis = axisValue == -1 || axisValue == (channels > 0 ? 3 : 1);
    if (!lastAxis || !config.path("center").asBoolean(true) || !config.path("scale").asBoolean(true)) {
      throw new UnsupportedModelException("layer '" + keras.name() + "' (BatchNormalization) needs axis=-1, "
          + "center=True and scale=True; found axis " + axis + ", center " + config.path("center") + ", scale "
          + config.path("scale"));
    }
    Layer layer = new BatchNormalization.Builder().eps(config.path("epsilon").asDouble(1e-3))
        .decay(config.path("momentum").asDouble(0.99)).useLogStd(false).dataFormat(CNN2DFormat.NCHW)
        .name(keras.name()).build();
    return new Mapped(keras, layer, List.of(
        new Param("gamma:0", BatchNormalizationParamInitializer.GAMMA, x -> x),
        new Param("beta:0", BatchNormalizationParamInitializer.BETA, x -> x),
        new Param("moving_mean:0", BatchNormalizationParamInitializer.GLOBAL_MEAN, x -> x),
        new Param("moving_variance:0", BatchNormalizationParamInitializer.GLOBAL_VAR, x -> x)));
  }

  private static void requireImage(boolean image, KerasLayers.Layer keras) throws UnsupportedModelException {
    if (!image) {
      throw new UnsupportedModelException("layer '" + keras.name() + "' (" + keras.kind() + ") comes after the "
          + "image was flattened; not supported");
    }
  }

  private static boolean same(JsonNode config, KerasLayers.Layer keras) throws UnsupportedModelException {
    String padding = config.path("padding").asText("valid");
    if (!"same".equals(padding) && !"valid".equals(padding)) {
      throw new UnsupportedModelException("layer '" + keras.name() + "' (" + keras.kind() + ") uses padding '"
          + padding + "'; only 'valid' and 'same' are supported");
    }
    return "same".equals(padding);
  }

  /** Keras' output size: ceil(n / s) with 'same' padding, floor((n - k) / s) + 1 with 'valid'. */
  private static long outSize(long n, int extent, int stride, boolean same) {
    return same ? (n + stride - 1) / stride : (n - extent) / stride + 1;
  }

  private static int[] pair(JsonNode config, String field, int[] fallback, KerasLayers.Layer keras)
      throws UnsupportedModelException {
    JsonNode value = config.path(field);
    if (value.isArray() && value.size() == 2) {
      return new int[] {value.get(0).asInt(), value.get(1).asInt()};
    }
    if (value.canConvertToInt()) {
      return new int[] {value.asInt(), value.asInt()};
    }
    if (fallback != null && (value.isMissingNode() || value.isNull())) {
      return fallback;
    }
    throw new UnsupportedModelException("layer '" + keras.name() + "' (" + keras.kind() + "): cannot read " + field
        + " " + value);
  }

  private static Activation activation(JsonNode config, KerasLayers.Layer keras) throws UnsupportedModelException {
    String name = config.path("activation").asText("linear");
    return switch (name) {
      case "relu" -> Activation.RELU;
      case "sigmoid" -> Activation.SIGMOID;
      case "softmax" -> Activation.SOFTMAX;
      case "tanh" -> Activation.TANH;
      case "linear" -> Activation.IDENTITY;
      default -> throw new UnsupportedModelException("layer '" + keras.name() + "' (" + keras.kind() + ") uses "
          + "activation '" + name + "'; supported: relu, sigmoid, softmax, tanh, linear");
    };
  }
}
