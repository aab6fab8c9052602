package io.imagestream.model;

import io.imagestream.image.InputShape;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration.ListBuilder;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * A transfer model as the Keras tutorials build it: a trained network's convolutional base (its layers up to its last
 * convolution or pooling layer) under a new head, Flatten → Dense(units, relu) → Dropout → Dense(1, sigmoid) for two
 * classes or Dense(n, softmax). The base keeps its weights and is frozen ({@link FrozenTraining}); the head starts
 * from Glorot-uniform weights.
 */
public final class TransferModel {
  public static final String ARCHITECTURE = "transfer";

  /** The new head: a Dense layer of {@code units} ReLUs, then Dropout with Keras' {@code rate} (0: none). */
  public record Head(int units, double dropout) {
    public static final Head TUTORIAL = new Head(256, 0.5);

    public Head {
      if (units < 1 || dropout < 0 || dropout >= 1) {
        throw new IllegalArgumentException("the head needs at least 1 unit and a dropout rate in [0, 1), got "
            + units + " and " + dropout);
      }
    }
  }

  /** A trained network to take a base from, with what its input needs. */
  public record Source(MultiLayerNetwork network, InputShape input, ModelMetadata.Preprocessing preprocessing,
                       String description) {}

  private TransferModel() {}

  /**
   * Reads the network a base is taken from: an imagestream model artifact ({@code .zip}) or a Keras 2 / tf.keras
   * {@code .h5} (a whole model or a base saved on its own; inputs rescaled by 1/255 as in the Keras tutorials).
   */
  public static Source readSource(java.nio.file.Path file) throws java.io.IOException, InvalidModelException,
      KerasImport.UnsupportedModelException {
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    if (name.endsWith(".h5") || name.endsWith(".hdf5")) {
      KerasImport.Network keras = KerasImport.readNetwork(file);
      InputShape shape = keras.input();
      return new Source(keras.network(), shape, new ModelMetadata.Preprocessing(1.0 / 255, "bilinear",
          shape.channels() == 1 ? "grayscale" : "rgb"), "Keras " + keras.kerasVersion() + " file " + file.getFileName());
    }
    LoadedModel model = ModelArtifact.load(file);
    ModelMetadata m = model.metadata();
    return new Source(model.network(), model.inputShape(), m.preprocessing(), "model " + m.name() + " v" + m.version()
        + " (" + m.architecture() + ", " + file.getFileName() + ")");
  }

  /** How many of a network's layers form its convolutional base: up to its last convolution or pooling layer. */
  public static int baseLayerCount(MultiLayerNetwork network) {
    int count = 0;
    for (int i = 0; i < network.getnLayers(); i++) {
      Layer layer = network.getLayer(i).conf().getLayer();
      if (layer instanceof ConvolutionLayer || layer instanceof SubsamplingLayer
          || layer instanceof GlobalPoolingLayer) {
        count = i + 1;
      }
    }
    return count;
  }

  /**
   * The base's first {@code baseLayers} layers (with their weights, copied) under a new head for {@code classCount}
   * classes.
   */
  public static MultiLayerNetwork build(MultiLayerNetwork base, InputShape input, int baseLayers, int classCount,
                                        Head head, long seed, double learningRate) {
    if (classCount < 2) {
      throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classCount);
    }
    if (baseLayers < 1 || baseLayers > base.getnLayers()) {
      throw new IllegalArgumentException("base of " + baseLayers + " layers out of " + base.getnLayers());
    }
    MultiLayerConfiguration conf = base.getLayerWiseConfigurations();
    ListBuilder builder = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .weightInit(WeightInit.XAVIER_UNIFORM)
        .updater(new Adam(learningRate))
        .list();
    for (int i = 0; i < baseLayers; i++) {
      builder.layer(conf.getConf(i).getLayer().clone());
      InputPreProcessor pre = conf.getInputPreProcess(i);
      if (pre != null) {
        builder.inputPreProcessor(i, pre.clone());
      }
    }
    builder.layer(new DenseLayer.Builder().nOut(head.units()).activation(Activation.RELU).name("head_dense").build());
    if (head.dropout() > 0) {
      builder.layer(new DropoutLayer.Builder(1 - head.dropout()).name("head_dropout").build()); // DL4J: keep prob.
    }
    builder.layer(classCount == 2
        ? new OutputLayer.Builder(LossFunction.XENT).nOut(1).activation(Activation.SIGMOID).name("head_output").build()
        : new OutputLayer.Builder(LossFunction.MCXENT).nOut(classCount).activation(Activation.SOFTMAX)
            .name("head_output").build());
    builder.setInputType(InputType.convolutional(input.height(), input.width(), input.channels(),
        CNN2DFormat.NCHW));
    MultiLayerNetwork network = new MultiLayerNetwork(builder.build());
    network.init();
    for (int i = 0; i < baseLayers; i++) {
      org.deeplearning4j.nn.api.Layer target = network.getLayer(i);
      base.getLayer(i).paramTable().forEach((key, value) -> target.getParam(key).assign(value));
    }
    return network;
  }

  /** The head of an existing transfer model (its first Dense layer after the base, and its Dropout), or the default. */
  public static Head headOf(MultiLayerNetwork network, int baseLayers) {
    int units = Head.TUTORIAL.units();
    double dropout = 0;
    for (int i = baseLayers; i < network.getnLayers() - 1; i++) {
      Layer layer = network.getLayer(i).conf().getLayer();
      if (layer instanceof DenseLayer dense && i == baseLayers) {
        units = (int) dense.getNOut();
      } else if (layer instanceof DropoutLayer drop
          && drop.getIDropout() instanceof org.deeplearning4j.nn.conf.dropout.Dropout d) {
        dropout = 1 - d.getP();
      }
    }
    return new Head(units, dropout);
  }
}
