package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.InputShape;
import io.imagestream.image.Layout;
import io.imagestream.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Inference runs on an NHWC copy of the (NCHW) network: it must give the NCHW network's probabilities, and a network
 * that cannot be converted must still be served, in NCHW.
 */
class NhwcServingTest {
  private static final double TOLERANCE = 1e-4;
  private static final InputShape RGB_64 = new InputShape(64, 64, 3);
  private static final InputShape GREY_28 = new InputShape(28, 28, 1);
  private static final List<String> TEN = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");

  /** Softmax and sigmoid outputs, RGB 64x64 and grey 28x28 inputs: seed, then images checked. */
  static Stream<Arguments> tutorialCnns() {
    return Stream.of(
        Arguments.of(RGB_64, TEN, ModelMetadata.SOFTMAX, 1, 7),
        Arguments.of(RGB_64, TestModels.DARK_LIGHT, ModelMetadata.SIGMOID, 2, 7),
        Arguments.of(GREY_28, TEN, ModelMetadata.SOFTMAX, 3, 9),
        Arguments.of(GREY_28, TestModels.DARK_LIGHT, ModelMetadata.SIGMOID, 4, 9));
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("tutorialCnns")
  void tutorialCnnServedInNhwcMatchesNchw(InputShape shape, List<String> classes, String output, long seed,
                                          int images) {
    assertNhwcMatchesNchw(tutorialCnn(shape, classes, output, seed), images);
  }

  @Test
  void trainedModelLoadedFromAnArtifact() {
    LoadedModel model = TestModels.darkLight(); // through ModelArtifact.load, i.e. LoadedModel.verified
    assertNhwcMatchesNchw(model, 12);
    float[][] p = model.predictPixels(List.of(TestModels.filled(TestModels.SHAPE, 20), TestModels.filled(TestModels.SHAPE, 235)));
    assertEquals(0, LoadedModel.argMax(p[0]), Arrays.toString(p[0]));
    assertEquals(1, LoadedModel.argMax(p[1]), Arrays.toString(p[1]));
  }

  @Test
  void bundledDefaultModel() throws Exception {
    Path file = Path.of("models/default.zip");
    Assumptions.assumeTrue(Files.isRegularFile(file), file + " not built yet");
    LoadedModel model = ModelArtifact.load(file);
    assertNhwcMatchesNchw(model, 32);
  }

  @Test
  void rowReorderMovesEachWeightRowFromChwToHwc() {
    int h = 2;
    int w = 3;
    int c = 4;
    INDArray chw = Nd4j.arange(h * w * c * 2).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).reshape('c',
        h * w * c, 2);
    INDArray hwc = NhwcConversion.chwRowsToHwc(chw, h, w, c);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int ch = 0; ch < c; ch++) {
          long from = (long) ch * h * w + y * w + x;
          long to = (long) (y * w + x) * c + ch;
          assertEquals(chw.getFloat(from, 1), hwc.getFloat(to, 1), "y" + y + " x" + x + " c" + ch);
        }
      }
    }
    // and it is the inverse of the Keras import's reorder
    assertEquals(chw, KerasImport.hwcRowsToChw(hwc, h, w, c));
  }

  @Test
  void toInputIsNhwcForAnNhwcModel() {
    InputShape shape = new InputShape(12, 14, 3);
    LoadedModel model = tutorialCnn(shape, List.of("x", "y", "z"), ModelMetadata.SOFTMAX, 5);
    assertEquals(Layout.NHWC, model.inputLayout());
    List<byte[]> images = TestModels.randomPixels(2, shape, 3);
    INDArray input = model.toInput(images);
    assertArrayEquals(new long[] {2, 12, 14, 3}, input.shape());
    assertArrayEquals(new long[] {2, 12, 14, 3}, model.batchShape(2));
    for (int n = 0; n < 2; n++) {
      for (int y = 0; y < 12; y++) {
        for (int x = 0; x < 14; x++) {
          for (int c = 0; c < 3; c++) {
            float expected = (images.get(n)[(y * 14 + x) * 3 + c] & 0xFF) / 255f;
            assertEquals(expected, input.getFloat(n, y, x, c), 1e-7);
          }
        }
      }
    }
  }

  @Test
  void warmUpRunsTheServingNetworkInItsLayoutAndLeavesPredictionsAlone() {
    LoadedModel model = tutorialCnn(GREY_28, TEN, ModelMetadata.SOFTMAX, 6);
    List<byte[]> pixels = TestModels.randomPixels(3, GREY_28, 6);
    float[][] before = model.predictPixels(pixels);
    model.warmUp(32);
    model.warmUp(1);
    float[][] after = model.predictPixels(pixels);
    for (int i = 0; i < before.length; i++) {
      assertArrayEquals(before[i], after[i], 0f);
    }
  }

  @Test
  void reluMovesPastEachMaxPoolingButNotPastAveragePooling() {
    LoadedModel model = tutorialCnn(RGB_64, TEN, ModelMetadata.SOFTMAX, 8);
    assertEquals(List.of("ConvolutionLayer:identity", "SubsamplingLayer", "ActivationLayer:relu",
        "ConvolutionLayer:identity", "SubsamplingLayer", "ActivationLayer:relu", "DenseLayer:relu",
        "OutputLayer:softmax"), layerKinds(model.servingNetwork()));
    assertEquals(List.of("ConvolutionLayer:relu", "SubsamplingLayer", "ConvolutionLayer:relu", "SubsamplingLayer",
        "DenseLayer:relu", "OutputLayer:softmax"), layerKinds(model.network()), "the original is left as it was");
    assertNhwcMatchesNchw(model, 6);

    LoadedModel average = smallModel("avg", smallCnn(
        new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.AVG).kernelSize(2, 2).stride(2, 2).build()));
    assertEquals(List.of("ConvolutionLayer:relu", "SubsamplingLayer", "OutputLayer:softmax"),
        layerKinds(average.servingNetwork()), "average pooling does not commute with ReLU");
  }

  private static final InputShape SMALL = new InputShape(12, 12, 3);

  /** 12x12x3 in: a ReLU convolution, the given layers, a 3-class softmax. */
  private static MultiLayerNetwork smallCnn(org.deeplearning4j.nn.conf.layers.Layer... middle) {
    NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder().seed(3).list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build());
    for (org.deeplearning4j.nn.conf.layers.Layer layer : middle) {
      layers.layer(layer);
    }
    MultiLayerConfiguration conf = layers
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(SMALL.height(), SMALL.width(), SMALL.channels(), CNN2DFormat.NCHW))
        .build();
    MultiLayerNetwork network = new MultiLayerNetwork(conf);
    network.init();
    return network;
  }

  private static LoadedModel smallModel(String name, MultiLayerNetwork network) {
    return LoadedModel.of(network, TestModels.metadata(name, 1, List.of("x", "y", "z"), SMALL,
        ModelMetadata.SOFTMAX));
  }

  private static List<String> layerKinds(MultiLayerNetwork network) {
    return Arrays.stream(network.getLayers()).map(layer -> {
      org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
      String name = conf.getClass().getSimpleName();
      return conf instanceof org.deeplearning4j.nn.conf.layers.BaseLayer base
          ? name + ":" + base.getActivationFn().toString().toLowerCase(java.util.Locale.ROOT)
          : conf instanceof org.deeplearning4j.nn.conf.layers.ActivationLayer activation
              ? name + ":" + activation.getActivationFn().toString().toLowerCase(java.util.Locale.ROOT) : name;
    }).toList();
  }

  @Test
  void unconvertibleNetworkIsServedInNchw() {
    // LocalResponseNormalization has no NHWC conversion here: the model must fall back, not fail
    MultiLayerNetwork network = smallCnn(new LocalResponseNormalization.Builder().build(),
        new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build());
    LoadedModel model = smallModel("lrn", network);
    assertEquals(Layout.NCHW, model.inputLayout());
    assertSame(network, model.servingNetwork());
    assertArrayEquals(new long[] {2, 3, 12, 12}, model.batchShape(2));
    model.warmUp(4);
    List<byte[]> pixels = TestModels.randomPixels(3, SMALL, 5);
    float[][] p = model.predictPixels(pixels);
    float[] expected = network.output(nchw(pixels, SMALL), false).dup('c').data().asFloat();
    for (int i = 0; i < 3; i++) {
      for (int k = 0; k < 3; k++) {
        assertEquals(expected[i * 3 + k], p[i][k], 1e-7);
      }
    }
  }

  @Test
  void networkThatDoesNotTakeTheDeclaredInputIsStillWrappedAndFailsAtInference() {
    MultiLayerNetwork network = Architectures.build(Architectures.KERAS_TUTORIAL_CNN, new InputShape(20, 20, 1), 2, 1,
        1e-3);
    LoadedModel model = LoadedModel.of(network, TestModels.metadata("broken", 1, TestModels.DARK_LIGHT,
        TestModels.SHAPE, ModelMetadata.SIGMOID));
    assertEquals(Layout.NCHW, model.inputLayout());
    org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
        () -> model.predictPixels(List.of(new byte[TestModels.SHAPE.pixelCount()])));
  }

  @Test
  void servingCopyIsIndependentOfTheTrainingNetwork() {
    LoadedModel model = TestModels.darkLight();
    assertNotSame(model.network(), model.servingNetwork());
    List<byte[]> pixels = TestModels.randomPixels(4, TestModels.SHAPE, 8);
    float[][] before = model.predictPixels(pixels);
    // training network() (what a warm start or a careless caller does) leaves the served model as it was
    new ModelTrainer(new ModelTrainer.Options(1, 32, 3)).fit(model.network(), TestModels.darkLightData(64, 4), null,
        new ModelTrainer.Listener() {});
    float[][] after = model.predictPixels(pixels);
    for (int i = 0; i < before.length; i++) {
      assertArrayEquals(before[i], after[i], 0f);
    }
  }

  /** The NHWC serving path against the NCHW network on the same images, through every public entry point. */
  private static void assertNhwcMatchesNchw(LoadedModel model, int batch) {
    assertEquals(Layout.NHWC, model.inputLayout(), "the model should be served in NHWC");
    InputShape shape = model.inputShape();
    List<byte[]> pixels = noisyLevels(batch, shape, batch * 31L);
    INDArray nchwInput = nchw(pixels, shape);
    float[] raw = model.network().output(nchwInput, false).dup('c').data().asFloat();
    int classes = model.classNames().size();
    float[][] expected = new float[batch][classes];
    for (int i = 0; i < batch; i++) {
      if (raw.length == batch) {
        expected[i][0] = 1 - raw[i];
        expected[i][1] = raw[i];
      } else {
        System.arraycopy(raw, i * classes, expected[i], 0, classes);
      }
    }
    float[][] viaPixels = model.predictPixels(pixels);
    float[][] viaNchw = model.predict(nchwInput, Layout.NCHW);
    double spread = 0;
    for (int i = 0; i < batch; i++) {
      assertEquals(classes, viaPixels[i].length);
      for (int k = 0; k < classes; k++) {
        assertEquals(expected[i][k], viaPixels[i][k], TOLERANCE, "image " + i + " class " + k);
        assertEquals(expected[i][k], viaNchw[i][k], TOLERANCE, "image " + i + " class " + k + " (NCHW input)");
        spread = Math.max(spread, Math.abs(expected[i][k] - expected[0][k]));
      }
    }
    // the comparison means something only when the outputs depend on the image
    assertTrue(spread > 1e-3, "outputs barely depend on the input (spread " + spread + ")");
  }

  /**
   * The tutorial CNN with weights scaled up so the outputs depend clearly on the image (an untrained net's are all
   * about 1/k), which makes a wrong reorder visible.
   */
  private static LoadedModel tutorialCnn(InputShape shape, List<String> classes, String output, long seed) {
    MultiLayerNetwork network = Architectures.build(Architectures.KERAS_TUTORIAL_CNN, shape, classes.size(), seed,
        1e-3);
    network.params().muli(3);
    return LoadedModel.of(network, TestModels.metadata("t", 1, classes, shape, output));
  }

  private static INDArray nchw(List<byte[]> pixels, InputShape shape) {
    float[] data = new float[pixels.size() * shape.pixelCount()];
    for (int i = 0; i < pixels.size(); i++) {
      ImagePreprocessor.rescaleInto(pixels.get(i), shape, Layout.NCHW, data, i * shape.pixelCount());
    }
    return Nd4j.create(data, new long[] {pixels.size(), shape.channels(), shape.height(), shape.width()}, 'c');
  }

  /** Images from dark to light (a trained model's outputs then vary), each with per-pixel noise. */
  private static List<byte[]> noisyLevels(int count, InputShape shape, long seed) {
    Random random = new Random(seed);
    byte[][] out = new byte[count][shape.pixelCount()];
    for (int i = 0; i < count; i++) {
      int level = 40 + 180 * i / Math.max(1, count - 1);
      for (int p = 0; p < out[i].length; p++) {
        out[i][p] = (byte) Math.max(0, Math.min(255, level + random.nextInt(81) - 40));
      }
    }
    return Arrays.asList(out);
  }
}
