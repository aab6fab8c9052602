package io.imagestream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.image.InputShape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration.ListBuilder;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InputType.InputTypeConvolutional;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Turns a Keras 2 / tf.keras {@code .h5} Sequential model of the tutorial kind (Conv2D, MaxPooling2D, Flatten, Dense,
 * Dropout, BatchNormalization; channels_last) into our model: DL4J's Keras import reads the file, then the network is rebuilt in NCHW
 * (the layout our preprocessing feeds and our trainer uses) with the same weights. Keras flattens (h, w, c), NCHW
 * flattens (c, h, w), so the rows of the first Dense layer after a Flatten are reordered.
 */
public final class KerasImport {
  public static final String ARCHITECTURE = "keras-import";
  static final Set<String> SUPPORTED_LAYERS = Set.of("InputLayer", "Conv2D", "MaxPooling2D", "Flatten", "Dense",
      "Dropout", "BatchNormalization");
  private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A Keras file that cannot be imported; the message says why and, where it helps, what to do. */
  public static final class UnsupportedModelException extends Exception {
    public UnsupportedModelException(String message) {
      super(message);
    }
  }

  /** The rebuilt network and its metadata, ready for {@link ModelArtifact#write}. */
  public record Imported(MultiLayerNetwork network, ModelMetadata metadata) {}

  private KerasImport() {}

  public static Imported importModel(Path h5, List<String> classNames, String name)
      throws IOException, UnsupportedModelException {
    checkFileType(h5);
    NativeBackend.init();
    String kerasVersion;
    JsonNode config;
    try (Hdf5Archive archive = new Hdf5Archive(h5.toString())) {
      if (!archive.hasAttribute("model_config")) {
        throw new UnsupportedModelException(h5 + " holds no model_config (weights only, from save_weights?); save "
            + "the whole model with model.save('model.h5')");
      }
      kerasVersion = archive.hasAttribute("keras_version") ? archive.readAttributeAsString("keras_version") : "?";
      config = JSON.readTree(archive.readAttributeAsJson("model_config"));
    } catch (UnsupportedKerasConfigurationException e) {
      throw new UnsupportedModelException(h5 + ": cannot read the Keras model configuration: " + e.getMessage());
    }
    if (kerasVersion.startsWith("3.")) {
      throw new UnsupportedModelException(h5 + " was written by Keras " + kerasVersion
          + "; Keras 3 files are not supported; save as .h5 with Keras 2 / tf.keras");
    }
    InputShape shape = checkLayers(h5, config);

    MultiLayerNetwork imported;
    try {
      imported = KerasModelImport.importKerasSequentialModelAndWeights(h5.toString(), false);
    } catch (InvalidKerasConfigurationException | UnsupportedKerasConfigurationException e) {
      throw new UnsupportedModelException(h5 + ": " + e.getMessage().lines().findFirst().orElse("cannot import"));
    }
    MultiLayerNetwork network = toNchw(imported, shape);
    boolean sigmoid = network.getOutputLayer().getParam("W").size(1) == 1;
    int units = (int) network.getOutputLayer().getParam("W").size(1);
    int expectedClasses = sigmoid ? 2 : units;
    if (classNames.size() != expectedClasses) {
      throw new UnsupportedModelException("--classes names " + classNames.size() + " classes but the model's output "
          + "is " + (sigmoid ? "1 sigmoid unit (2 classes)" : units + " softmax units") + ": give " + expectedClasses
          + " class names, in the order of the model's outputs (Keras: sorted folder names)");
    }
    ModelMetadata metadata = new ModelMetadata(name, 1, 0, ARCHITECTURE, classNames, ModelMetadata.Input.of(shape),
        new ModelMetadata.Preprocessing(1.0 / 255, "bilinear", shape.channels() == 1 ? "grayscale" : "rgb"),
        sigmoid ? ModelMetadata.SIGMOID : ModelMetadata.SOFTMAX,
        new ModelMetadata.Training("imported from Keras " + kerasVersion + " file " + h5.getFileName(), 0, 0, 0, 0,
            Map.of(), 0),
        Instant.now().toString(), null);
    return new Imported(network, metadata);
  }

  /** Keras 3's {@code .keras} files are zips; anything else that is not HDF5 is not a Keras 2 model either. */
  private static void checkFileType(Path file) throws IOException, UnsupportedModelException {
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(8);
    }
    if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
      throw new UnsupportedModelException(file + " is a zip: Keras 3 .keras files are not supported; save as .h5 "
          + "with Keras 2 / tf.keras");
    }
    if (!Arrays.equals(head, HDF5_SIGNATURE)) {
      throw new UnsupportedModelException(file + " is not an HDF5 file (a Keras 2 / tf.keras model.save('model.h5'))");
    }
  }

  /** Refuses what we cannot serve, naming the layer; returns the model's input shape. */
  static InputShape checkLayers(Path file, JsonNode modelConfig) throws UnsupportedModelException {
    String modelClass = modelConfig.path("class_name").asText();
    if (!"Sequential".equals(modelClass)) {
      throw new UnsupportedModelException(file + " holds a " + modelClass + " model; only Sequential models can be "
          + "imported");
    }
    JsonNode layers = modelConfig.path("config").path("layers");
    JsonNode inputShape = null;
    for (JsonNode layer : layers) {
      String kind = layer.path("class_name").asText();
      JsonNode config = layer.path("config");
      String layerName = config.path("name").asText();
      if (!SUPPORTED_LAYERS.contains(kind)) {
        throw new UnsupportedModelException("layer '" + layerName + "' (" + kind + ") is not supported; supported: "
            + "Conv2D, MaxPooling2D, Flatten, Dense, Dropout, BatchNormalization");
      }
      if ("channels_first".equals(config.path("data_format").asText())) {
        throw new UnsupportedModelException("layer '" + layerName + "' (" + kind + ") uses channels_first; only "
            + "channels_last (Keras' default) is supported");
      }
      JsonNode shape = config.has("batch_input_shape") ? config.get("batch_input_shape") : config.get("batch_shape");
      if (inputShape == null && shape != null) {
        inputShape = shape;
      }
    }
    if (inputShape == null || inputShape.size() != 4 || !inputShape.get(1).canConvertToInt()
        || !inputShape.get(2).canConvertToInt() || !inputShape.get(3).canConvertToInt()) {
      throw new UnsupportedModelException(file + ": the model needs a fixed image input (None, height, width, "
          + "channels), found " + inputShape);
    }
    int channels = inputShape.get(3).asInt();
    if (channels != 1 && channels != 3) {
      throw new UnsupportedModelException(file + ": input has " + channels + " channels; 1 (grey) or 3 (RGB) "
          + "can be served");
    }
    return new InputShape(inputShape.get(1).asInt(), inputShape.get(2).asInt(), channels);
  }

  /**
   * The same network in NCHW: conv and pooling layers switch layout (DL4J keeps conv kernels as [out, in, kh, kw]
   * either way), the last Dense becomes the output layer (sigmoid with 1 unit, or softmax), and the first Dense after
   * the convolutional part gets its input rows reordered from Keras' (h, w, c) flattening to NCHW's (c, h, w).
   */
  static MultiLayerNetwork toNchw(MultiLayerNetwork imported, InputShape shape) throws UnsupportedModelException {
    int count = imported.getnLayers();
    ListBuilder builder = new NeuralNetConfiguration.Builder()
        .weightInit(WeightInit.XAVIER_UNIFORM)
        .updater(new Adam(0.001))
        .list();
    for (int i = 0; i < count; i++) {
      builder.layer(nchwLayer(imported.getLayer(i).conf().getLayer(), i == count - 1));
    }
    InputType input = InputType.convolutional(shape.height(), shape.width(), shape.channels(), CNN2DFormat.NCHW);
    builder.setInputType(input);
    MultiLayerNetwork network = new MultiLayerNetwork(builder.build());
    network.init();

    List<InputType> inputs = network.getLayerWiseConfigurations().getLayerActivationTypes(input);
    for (int i = 0; i < count; i++) {
      if (network.getLayer(i).conf().getLayer() instanceof BatchNormalization) {
        // gamma, beta, mean, var: one value per channel, the same in either layout
        org.deeplearning4j.nn.api.Layer target = network.getLayer(i);
        imported.getLayer(i).paramTable().forEach((key, value) -> target.setParam(key, value.dup()));
        continue;
      }
      INDArray weights = imported.getLayer(i).getParam("W");
      if (weights == null) {
        continue; // pooling, dropout
      }
      INDArray w = weights.dup();
      InputType in = i == 0 ? input : inputs.get(i - 1);
      boolean flattened = !(network.getLayer(i).conf().getLayer() instanceof ConvolutionLayer)
          && in instanceof InputTypeConvolutional;
      if (flattened) {
        // the imported network flattens the way Keras does only if it is NHWC there: then reorder, else keep
        InputPreProcessor flatten = imported.getLayerWiseConfigurations().getInputPreProcess(i);
        if (!(flatten instanceof CnnToFeedForwardPreProcessor cnnToDense)) {
          throw new UnsupportedModelException("unexpected flattening before layer " + i + ": " + flatten);
        }
        if (cnnToDense.getFormat() == CNN2DFormat.NHWC) {
          InputTypeConvolutional conv = (InputTypeConvolutional) in;
          w = hwcRowsToChw(w, (int) conv.getHeight(), (int) conv.getWidth(), (int) conv.getChannels());
        }
      }
      network.getLayer(i).setParam("W", w);
      INDArray bias = imported.getLayer(i).getParam("b");
      if (bias != null) {
        network.getLayer(i).setParam("b", bias.dup());
      }
    }
    return network;
  }

  private static Layer nchwLayer(Layer layer, boolean last) throws UnsupportedModelException {
    if (last) {
      if (!(layer instanceof DenseLayer dense)) {
        throw new UnsupportedModelException("the last layer must be Dense, found " + layer.getLayerName());
      }
      IActivation activation = dense.getActivationFn();
      if (activation instanceof ActivationSigmoid && dense.getNOut() == 1) {
        return new OutputLayer.Builder(LossFunction.XENT).nOut(1).activation(activation).build();
      }
      if (activation instanceof ActivationSoftmax) {
        return new OutputLayer.Builder(LossFunction.MCXENT).nOut(dense.getNOut()).activation(activation).build();
      }
      throw new UnsupportedModelException("the last layer '" + layer.getLayerName() + "' must be Dense(1, sigmoid) or "
          + "Dense(n, softmax), found " + activation);
    }
    if (layer instanceof ConvolutionLayer conv) {
      return new ConvolutionLayer.Builder(conv.getKernelSize()).stride(conv.getStride()).padding(conv.getPadding())
          .dilation(conv.getDilation()).convolutionMode(conv.getConvolutionMode()).nOut(conv.getNOut())
          .hasBias(conv.hasBias()).activation(conv.getActivationFn()).dataFormat(CNN2DFormat.NCHW).build();
    }
    if (layer instanceof SubsamplingLayer pool) {
      return new SubsamplingLayer.Builder(pool.getPoolingType()).kernelSize(pool.getKernelSize())
          .stride(pool.getStride()).padding(pool.getPadding()).convolutionMode(pool.getConvolutionMode())
          .dataFormat(CNN2DFormat.NCHW).build();
    }
    if (layer instanceof DenseLayer dense) {
      return new DenseLayer.Builder().nOut(dense.getNOut()).hasBias(dense.hasBias())
          .activation(dense.getActivationFn()).build();
    }
    if (layer instanceof BatchNormalization norm) {
      // Keras' epsilon (1e-3 by default, DL4J's is 1e-5) and momentum come along: outputs depend on epsilon
      return new BatchNormalization.Builder().eps(norm.getEps()).decay(norm.getDecay())
          .useLogStd(norm.isUseLogStd()).lockGammaBeta(norm.isLockGammaBeta()).nOut(norm.getNOut())
          .dataFormat(CNN2DFormat.NCHW).build();
    }
    if (layer instanceof DropoutLayer dropout) {
      return new DropoutLayer.Builder(((Dropout) dropout.getIDropout()).getP()).build();
    }
    throw new UnsupportedModelException("layer '" + layer.getLayerName() + "' (" + layer.getClass().getSimpleName()
        + ") is not supported");
  }

  /** Dense weights [h*w*c, out] with rows in (h, w, c) order, reordered to (c, h, w) order. */
  static INDArray hwcRowsToChw(INDArray weights, int height, int width, int channels) {
    long out = weights.size(1);
    return weights.reshape('c', height, width, channels, out).permute(2, 0, 1, 3).dup('c')
        .reshape('c', (long) channels * height * width, out);
  }
}
