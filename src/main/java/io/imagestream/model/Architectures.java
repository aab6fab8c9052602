package io.imagestream.model;

import io.imagestream.image.InputShape;
import java.util.List;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration.ListBuilder;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
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
  /** VGG-style blocks of two 3x3 convolutions with batch normalization, max pooling and dropout; see {@link #vggBn}. */
  public static final String VGG_BN = "vgg-bn";

  public static final List<String> NAMES = List.of(KERAS_TUTORIAL_CNN, VGG_BN);

  /** The smallest side a VGG block may pool down to before the dense head, and at most this many blocks. */
  static final int VGG_MIN_SIDE = 7;
  static final int VGG_MAX_BLOCKS = 4;

  private Architectures() {}

  public static MultiLayerNetwork build(String name, InputShape input, int classCount, long seed, double learningRate) {
    MultiLayerConfiguration conf = switch (name == null ? "" : name) {
      case KERAS_TUTORIAL_CNN -> kerasTutorialCnn(input, classCount, seed, learningRate);
      case VGG_BN -> vggBn(input, classCount, seed, learningRate);
      default -> throw new IllegalArgumentException("unknown architecture '" + name + "'; known: " + NAMES);
    };
    NativeBackend.init();
    MultiLayerNetwork network = new MultiLayerNetwork(conf);
    network.init();
    return network;
  }

  /** True when {@code name} is an architecture {@link #build} knows. */
  public static boolean isKnown(String name) {
    return NAMES.contains(name);
  }

  /**
   * Conv2D(32,3x3,relu) → MaxPool 2x2 → Conv2D(32,3x3,relu) → MaxPool 2x2 → Flatten → Dense(128,relu) → output:
   * Dense(1,sigmoid) for two classes (Keras' binary class_mode) or Dense(n,softmax). Glorot-uniform weights and Adam,
   * as Keras defaults. NCHW: DL4J 1.0.0-M2.1's oneDNN helpers compute wrong convolution gradients in NHWC.
   */
  static MultiLayerConfiguration kerasTutorialCnn(InputShape input, int classCount, long seed, double learningRate) {
    checkClasses(classCount);
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
        .layer(outputLayer(classCount, WeightInit.XAVIER_UNIFORM))
        .setInputType(InputType.convolutional(input.height(), input.width(), input.channels(), CNN2DFormat.NCHW))
        .build();
  }

  /**
   * VGG-style: blocks of [Conv2D(f,3x3,same,relu) → BatchNormalization] x2 → MaxPool 2x2 → Dropout(0.25), with f =
   * 32, 64, 128, 256 per block, as many blocks as keep the smaller side at least {@value #VGG_MIN_SIDE} (28x28: 2
   * blocks, 64x64: 3, larger: 4), at least one; then Flatten → Dense(128,relu) → Dropout(0.5) →
   * output. The layers are Keras' own (Conv2D(activation='relu'), BatchNormalization(), MaxPooling2D, Dropout), so the
   * same network written in Keras imports with {@code import-keras}. He-normal weights for the ReLU layers, Adam.
   */
  static MultiLayerConfiguration vggBn(InputShape input, int classCount, long seed, double learningRate) {
    checkClasses(classCount);
    ListBuilder list = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .weightInit(WeightInit.RELU)
        .updater(new Adam(learningRate))
        .list();
    int side = Math.min(input.height(), input.width());
    int filters = 32;
    for (int block = 0; block < VGG_MAX_BLOCKS && (block == 0 || side / 2 >= VGG_MIN_SIDE); block++) {
      for (int conv = 0; conv < 2; conv++) {
        list.layer(new ConvolutionLayer.Builder(3, 3).convolutionMode(ConvolutionMode.Same).nOut(filters)
            .activation(Activation.RELU).build());
        list.layer(new BatchNormalization.Builder().build());
      }
      list.layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build());
      list.layer(new DropoutLayer.Builder(0.75).build()); // DL4J's p is the probability to keep: Keras' Dropout(0.25)
      side /= 2;
      filters *= 2;
    }
    list.layer(new DenseLayer.Builder().nOut(128).activation(Activation.RELU).build());
    list.layer(new DropoutLayer.Builder(0.5).build());
    list.layer(outputLayer(classCount, WeightInit.XAVIER_UNIFORM));
    return list.setInputType(InputType.convolutional(input.height(), input.width(), input.channels(),
        CNN2DFormat.NCHW)).build();
  }

  private static void checkClasses(int classCount) {
    if (classCount < 2) {
      throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classCount);
    }
  }

  private static OutputLayer outputLayer(int classCount, WeightInit init) {
    return classCount == 2
        ? new OutputLayer.Builder(LossFunction.XENT).nOut(1).activation(Activation.SIGMOID).weightInit(init).build()
        : new OutputLayer.Builder(LossFunction.MCXENT).nOut(classCount).activation(Activation.SOFTMAX).weightInit(init)
            .build();
  }
}
