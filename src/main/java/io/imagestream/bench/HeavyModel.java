package io.imagestream.bench;

import io.imagestream.image.InputShape;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import java.io.IOException;
import java.util.List;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The Keras tutorials' transfer model, built directly in DL4J with random weights (speed and size do not depend on
 * the weights): VGG16's convolutional base on 64x64x3 (13 3x3 'same' convolutions in five blocks, 64-64 | 128-128 |
 * 256x3 | 512x3 | 512x3, each closed by a 2x2 max pooling, 14,714,688 parameters) under Flatten -> Dense(256, relu)
 * -> Dropout(0.5) -> Dense(1, sigmoid): ~15.2 M parameters, an artifact of ~60 MB.
 */
final class HeavyModel {
  static final InputShape SHAPE = new InputShape(64, 64, 3);
  private static final int[][] BLOCKS = {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}};

  private HeavyModel() {
  }

  static MultiLayerNetwork network(long seed) {
    NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder().seed(seed)
        .weightInit(WeightInit.RELU).updater(new Adam(1e-4)).convolutionMode(ConvolutionMode.Same).list();
    for (int[] block : BLOCKS) {
      for (int filters : block) {
        layers.layer(new ConvolutionLayer.Builder(3, 3).nOut(filters).activation(Activation.RELU).build());
      }
      layers.layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
          .build());
    }
    layers.layer(new DenseLayer.Builder().nOut(256).activation(Activation.RELU).build());
    layers.layer(new DropoutLayer(0.5));
    layers.layer(new OutputLayer.Builder(LossFunctions.LossFunction.XENT).nOut(1).activation(Activation.SIGMOID)
        .build());
    MultiLayerConfiguration conf = layers.setInputType(InputType.convolutional(SHAPE.height(), SHAPE.width(),
        SHAPE.channels())).build();
    MultiLayerNetwork network = new MultiLayerNetwork(conf);
    network.init();
    return network;
  }

  static ModelMetadata metadata(long version) {
    return new ModelMetadata("heavy", version, version - 1, "vgg16-64-transfer", List.of("cars", "planes"),
        ModelMetadata.Input.of(SHAPE), new ModelMetadata.Preprocessing(1.0 / 255, "bilinear", "rgb"),
        ModelMetadata.SIGMOID, null, null, null);
  }

  static byte[] artifact(long seed, long version) throws IOException {
    return ModelArtifact.toBytes(network(seed), metadata(version));
  }

  static LoadedModel load(byte[] artifact) {
    try {
      return ModelArtifact.load(artifact, "heavy bench model");
    } catch (io.imagestream.model.InvalidModelException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Multiply-adds x 2 of one 64x64 image through the network: the convolutions, then the dense layers. */
  static double flopsPerImage() {
    double flops = 0;
    int size = SHAPE.height();
    int channels = SHAPE.channels();
    for (int[] block : BLOCKS) {
      for (int filters : block) {
        flops += 2.0 * size * size * 9 * channels * filters;
        channels = filters;
      }
      size /= 2;
    }
    flops += 2.0 * size * size * channels * 256 + 2.0 * 256;
    return flops;
  }
}
