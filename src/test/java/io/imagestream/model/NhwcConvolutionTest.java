package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.image.InputShape;
import io.imagestream.image.Layout;
import io.imagestream.testing.TestModels;
import java.util.List;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The copy-free NHWC convolution must compute exactly what DL4J's own layer computes, in every padding mode, and be
 * in every serving copy of a model.
 */
class NhwcConvolutionTest {

  /** Padding mode, kernel, stride, bias: the shapes Keras users' convolutions take. */
  static Stream<Arguments> convolutions() {
    return Stream.of(
        Arguments.of(ConvolutionMode.Truncate, 3, 1, true),
        Arguments.of(ConvolutionMode.Same, 3, 1, true),
        Arguments.of(ConvolutionMode.Same, 5, 2, true),
        Arguments.of(ConvolutionMode.Truncate, 4, 2, true),
        Arguments.of(ConvolutionMode.Same, 3, 1, false)); // no bias: DL4J's own path
  }

  private static MultiLayerNetwork nhwcNetwork(ConvolutionMode mode, int kernel, int stride, boolean bias) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(11).convolutionMode(mode).list()
        .layer(new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).nOut(6).hasBias(bias)
            .activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(5).hasBias(bias).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(4).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(23, 19, 3, CNN2DFormat.NHWC))
        .build();
    MultiLayerNetwork network = new MultiLayerNetwork(conf);
    network.init();
    network.params().muli(3); // outputs that depend clearly on the input
    return network;
  }

  @ParameterizedTest(name = "{0} kernel {1} stride {2} bias {3}")
  @MethodSource("convolutions")
  void computesWhatDl4jsLayerComputes(ConvolutionMode mode, int kernel, int stride, boolean bias) {
    MultiLayerNetwork dl4j = nhwcNetwork(mode, kernel, stride, bias);
    MultiLayerNetwork copyFree = dl4j.clone();
    NhwcConvolution.install(copyFree);
    assertEquals(2, NhwcConvolution.installedIn(copyFree));
    assertEquals(0, NhwcConvolution.installedIn(dl4j));
    INDArray input = Nd4j.rand(new int[] {5, 23, 19, 3});
    INDArray expected = dl4j.output(input, false);
    INDArray actual = copyFree.output(input, false);
    assertEquals(0.0, expected.sub(actual).amaxNumber().doubleValue(), 1e-6);
    assertTrue(expected.maxNumber().doubleValue() - expected.minNumber().doubleValue() > 1e-3,
        "outputs barely depend on the input");
    // training mode goes through DL4J's own code, and gives what it gives
    assertEquals(0.0, dl4j.output(input, true).sub(copyFree.output(input, true)).amaxNumber().doubleValue(), 1e-6);
  }

  @Test
  void nchwLayersAreLeftAlone() {
    MultiLayerNetwork nchw = Architectures.build(Architectures.KERAS_TUTORIAL_CNN, new InputShape(28, 28, 1), 3, 1,
        1e-3);
    NhwcConvolution.install(nchw);
    assertEquals(0, NhwcConvolution.installedIn(nchw));
  }

  @Test
  void everyServingCopyOfAModelRunsIt() {
    LoadedModel model = LoadedModel.of(
        Architectures.build(Architectures.KERAS_TUTORIAL_CNN, new InputShape(64, 64, 3), 2, 1, 1e-3),
        TestModels.metadata("t", 1, TestModels.DARK_LIGHT, new InputShape(64, 64, 3), ModelMetadata.SOFTMAX));
    assertEquals(Layout.NHWC, model.inputLayout());
    List<MultiLayerNetwork> copies = model.servingCopies();
    assertEquals(NetworkCalls.concurrency(), copies.size());
    for (MultiLayerNetwork copy : copies) {
      assertEquals(2, NhwcConvolution.installedIn(copy), "the tutorial CNN's two convolutions");
    }
  }
}
