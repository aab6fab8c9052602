package io.imagestream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelMetadata;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The model as peer.py rebuilds it: the layers in {@code model.json}, every tensor in {@code weights.f32}. */
public final class PeerWeights {
  static final String MODEL_JSON = "model.json";
  static final String WEIGHTS = "weights.f32";

  private static final ObjectMapper JSON = new ObjectMapper();

  private PeerWeights() {}

  /**
   * Writes the model for peer.py into {@code dir}: {@code model.json} (the layers in order, classes, input shape,
   * preprocessing, and per tensor its name, shape and offset) and {@code weights.f32} (every tensor, little-endian
   * float32, already in PyTorch's layout: conv kernels [out, in, kh, kw] as in DL4J, dense weights transposed from
   * DL4J's [in, out] to [out, in], biases as vectors).
   *
   * @throws IllegalArgumentException for a network peer.py cannot rebuild (only NCHW conv / max or average pooling /
   *     dense / dropout / output layers with relu, sigmoid, tanh, softmax or identity)
   */
  public static void exportWeights(LoadedModel model, Path dir) throws IOException {
    MultiLayerNetwork network = model.network();
    ModelMetadata metadata = model.metadata();
    ObjectNode root = JSON.createObjectNode();
    root.put("format", "imagestream-peer-weights/1");
    root.put("name", metadata.name());
    root.put("version", metadata.version());
    root.put("architecture", metadata.architecture());
    ArrayNode classes = root.putArray("classes");
    model.classNames().forEach(classes::add);
    boolean sigmoidOutput = false;
    ObjectNode input = root.putObject("input");
    input.put("height", model.inputShape().height());
    input.put("width", model.inputShape().width());
    input.put("channels", model.inputShape().channels());
    input.put("layout", "NCHW");
    ObjectNode preprocessing = root.putObject("preprocessing");
    ModelMetadata.Preprocessing pre = metadata.preprocessing();
    preprocessing.put("rescale", pre == null ? 1.0 / 255 : pre.rescale());
    preprocessing.put("interpolation", pre == null || pre.interpolation() == null ? "bilinear" : pre.interpolation());
    preprocessing.put("colorMode", pre == null || pre.colorMode() == null
        ? (model.inputShape().channels() == 1 ? "grayscale" : "rgb") : pre.colorMode());

    ArrayNode layers = root.putArray("layers");
    ObjectNode tensors = JSON.createObjectNode();
    List<float[]> data = new ArrayList<>();
    long offset = 0;
    boolean flattened = false;
    int count = network.getnLayers();
    for (int i = 0; i < count; i++) {
      Layer conf = network.getLayer(i).conf().getLayer();
      ObjectNode layer = layers.addObject();
      String where = "layer " + i + " (" + conf.getClass().getSimpleName() + ")";
      if (conf instanceof ConvolutionLayer conv && conv.getClass() == ConvolutionLayer.class) {
        if (flattened) {
          throw new IllegalArgumentException(where + ": a convolution after a dense layer is not supported");
        }
        if (conv.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
          throw new IllegalArgumentException(where + ": only NCHW networks can be exported, found "
              + conv.getCnn2dDataFormat());
        }
        if (conv.getDilation()[0] != 1 || conv.getDilation()[1] != 1) {
          throw new IllegalArgumentException(where + ": dilation is not supported");
        }
        layer.put("type", "conv");
        putWindow(layer, where, conv.getKernelSize(), conv.getStride(), conv.getPadding(), conv.getConvolutionMode());
        layer.put("activation", activation(where, conv.getActivationFn()));
      } else if (conf instanceof SubsamplingLayer pool && pool.getClass() == SubsamplingLayer.class) {
        if (pool.getPoolingType() != PoolingType.MAX && pool.getPoolingType() != PoolingType.AVG) {
          throw new IllegalArgumentException(where + ": pooling " + pool.getPoolingType() + " is not supported");
        }
        layer.put("type", pool.getPoolingType() == PoolingType.MAX ? "maxpool" : "avgpool");
        putWindow(layer, where, pool.getKernelSize(), pool.getStride(), pool.getPadding(), pool.getConvolutionMode());
      } else if (conf instanceof DenseLayer || conf instanceof BaseOutputLayer) {
        InputPreProcessor flatten = network.getLayerWiseConfigurations().getInputPreProcess(i);
        if (flatten instanceof CnnToFeedForwardPreProcessor cnnToDense && cnnToDense.getFormat() != CNN2DFormat.NCHW) {
          throw new IllegalArgumentException(where + ": only NCHW flattening is supported, found "
              + cnnToDense.getFormat());
        }
        flattened = true;
        layer.put("type", "dense");
        IActivation fn = ((BaseLayer) conf).getActivationFn();
        layer.put("activation", activation(where, fn));
        if (conf instanceof BaseOutputLayer) {
          if (i != count - 1) {
            throw new IllegalArgumentException(where + ": an output layer must be the last layer");
          }
          sigmoidOutput = fn instanceof ActivationSigmoid;
        }
      } else if (conf instanceof DropoutLayer) {
        layer.put("type", "dropout");
        continue;
      } else {
        throw new IllegalArgumentException(where + ": not supported by the Python peer");
      }
      boolean dense = "dense".equals(layer.get("type").asText());
      INDArray w = network.getLayer(i).getParam("W");
      if (w != null) {
        INDArray torchW = dense ? w.transpose() : w; // DL4J dense [in, out] -> torch Linear [out, in]
        offset = addTensor(tensors, data, "layer" + i + ".weight", torchW, offset);
        layer.put("weight", "layer" + i + ".weight");
      }
      INDArray b = network.getLayer(i).getParam("b");
      if (b != null) {
        offset = addTensor(tensors, data, "layer" + i + ".bias", b.reshape(b.length()), offset);
        layer.put("bias", "layer" + i + ".bias");
      }
    }
    if (!"dense".equals(layers.get(layers.size() - 1).path("type").asText())) {
      throw new IllegalArgumentException("the network must end with a dense/output layer");
    }
    root.put("output", sigmoidOutput ? ModelMetadata.SIGMOID : ModelMetadata.SOFTMAX);
    root.set("tensors", tensors);

    Files.createDirectories(dir);
    try (OutputStream out = Files.newOutputStream(dir.resolve(WEIGHTS))) {
      for (float[] values : data) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        out.write(buffer.array());
      }
    }
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(MODEL_JSON).toFile(), root);
  }

  static void putWindow(ObjectNode layer, String where, int[] kernel, int[] stride, int[] padding,
                                ConvolutionMode mode) {
    int[] pad = padding.clone();
    if (mode == ConvolutionMode.Same) {
      // DL4J's Same with stride 1 and an odd kernel pads k/2 on each side: the same as explicit padding
      if (stride[0] != 1 || stride[1] != 1 || kernel[0] % 2 == 0 || kernel[1] % 2 == 0) {
        throw new IllegalArgumentException(where + ": 'Same' mode is supported only with stride 1 and odd kernels");
      }
      pad = new int[] {kernel[0] / 2, kernel[1] / 2};
    } else if (mode != ConvolutionMode.Truncate && mode != ConvolutionMode.Strict) {
      throw new IllegalArgumentException(where + ": convolution mode " + mode + " is not supported");
    }
    layer.putArray("kernel").add(kernel[0]).add(kernel[1]);
    layer.putArray("stride").add(stride[0]).add(stride[1]);
    layer.putArray("padding").add(pad[0]).add(pad[1]);
  }

  static String activation(String where, IActivation fn) {
    if (fn instanceof ActivationReLU) {
      return "relu";
    }
    if (fn instanceof ActivationSigmoid) {
      return "sigmoid";
    }
    if (fn instanceof ActivationSoftmax) {
      return "softmax";
    }
    if (fn instanceof ActivationTanH) {
      return "tanh";
    }
    if (fn == null || fn instanceof ActivationIdentity) {
      return "identity";
    }
    throw new IllegalArgumentException(where + ": activation " + fn + " is not supported by the Python peer");
  }

  static long addTensor(ObjectNode tensors, List<float[]> data, String name, INDArray array, long offset) {
    // a fresh c-order buffer: params are views into the network's flat parameter vector
    INDArray copy = Nd4j.createUninitialized(DataType.FLOAT, array.shape(), 'c').assign(array);
    float[] values = copy.data().asFloat();
    if (values.length != array.length()) {
      throw new IllegalStateException(name + ": copied " + values.length + " values of " + array.length());
    }
    ObjectNode tensor = tensors.putObject(name);
    ArrayNode shape = tensor.putArray("shape");
    for (long d : array.shape()) {
      shape.add(d);
    }
    tensor.put("offset", offset);
    data.add(values);
    return offset + values.length;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Running the peer
}
