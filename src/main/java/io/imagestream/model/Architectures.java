package io.imagestream.model;

import io.imagestream.image.InputShape;
import java.util.List;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** The network architectures imagestream can build, by name. */
public final class Architectures {
  /** The classic Keras tutorial CNN: two 3x3 conv + 2x2 max-pool blocks, a 128-unit dense layer, then the output. */
  public static final String KERAS_TUTORIAL_CNN = "keras-tutorial-cnn";

  public static final List<String> NAMES = List.of(KERAS_TUTORIAL_CNN);

  private Architectures() {}

  public static MultiLayerNetwork build(String name, InputShape input, int classCount, long seed, double learningRate) {
    if (!KERAS_TUTORIAL_CNN.equals(name)) {
      throw new IllegalArgumentException("unknown architecture '" + name + "'; known: " + NAMES);
    }
    NativeBackend.init();
    MultiLayerNetwork network = new MultiLayerNetwork(kerasTutorialCnn(input, classCount, seed, learningRate));
    network.init();
    return network;
  }

  /**
   * Conv2D(32,3x3,relu) → MaxPool 2x2 → Conv2D(32,3x3,relu) → MaxPool 2x2 → Flatten → Dense(128,relu) → output:
   * Dense(1,sigmoid) for two classes (Keras' binary class_mode) or Dense(n,softmax). Glorot-uniform weights and Adam,
   * as Keras defaults. NCHW: DL4J 1.0.0-M2.1's oneDNN helpers compute wrong convolution gradients in NHWC.
   */
  static MultiLayerConfiguration kerasTutorialCnn(InputShape input, int classCount, long seed, double learningRate) {
    if (classCount < 2) {
      throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classCount);
    }
    boolean binary = classCount == 2;
    return new NeuralNetConfiguration.Builder()
        .seed(seed)
        .weightInit(WeightInit.XAVIER_UNIFORM)
        .updater(new Adam(learningRate))
        .list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(32).activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(32).activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
        .layer(new DenseLayer.Builder().nOut(128).activation(Activation.RELU).build())
        .layer(binary
            ? new OutputLayer.Builder(LossFunction.XENT).nOut(1).activation(Activation.SIGMOID).build()
            : new OutputLayer.Builder(LossFunction.MCXENT).nOut(classCount).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(input.height(), input.width(), input.channels(), CNN2DFormat.NCHW))
        .build();
  }
}
