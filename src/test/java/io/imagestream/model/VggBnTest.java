package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.image.InputShape;
import io.imagestream.image.Layout;
import io.imagestream.testing.TestModels;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The {@code vgg-bn} architecture: its blocks follow the input size, its NHWC serving copy matches, it learns. */
class VggBnTest {
  private static final List<String> TEN = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");

  @ParameterizedTest(name = "{0}x{1}: {2} blocks")
  @CsvSource({"28, 28, 2", "64, 64, 3", "224, 160, 4", "8, 8, 1", "12, 40, 1", "16, 16, 1", "14, 14, 1", "27, 40, 1", "30, 29, 2"})
  void blocksFollowTheInputSize(int height, int width, int blocks) {
    MultiLayerNetwork network = Architectures.build(Architectures.VGG_BN, new InputShape(height, width, 1), 3, 1,
        1e-3);
    List<String> kinds = Arrays.stream(network.getLayers()).map(l -> l.conf().getLayer().getClass().getSimpleName())
        .toList();
    assertEquals(2L * blocks, kinds.stream().filter(k -> k.equals(ConvolutionLayer.class.getSimpleName())).count(),
        kinds.toString());
    assertEquals(2L * blocks, kinds.stream().filter(k -> k.equals(BatchNormalization.class.getSimpleName())).count(),
        kinds.toString());
    assertEquals(List.of("DenseLayer", "DropoutLayer", "OutputLayer"), kinds.subList(kinds.size() - 3, kinds.size()));
    INDArray out = network.output(Nd4j.rand(new int[] {2, 1, height, width}), false);
    assertEquals(List.of(2L, 3L), Arrays.stream(out.shape()).boxed().toList());
  }

  /** Trained a little first, so the batch normalization's running mean and variance are no longer 0 and 1. */
  @ParameterizedTest(name = "{0}x{1}x{2}, {3} classes")
  @CsvSource({"28, 28, 1, 10", "64, 64, 3, 10", "20, 24, 1, 2"})
  void theNhwcServingCopyGivesTheNetworksOutputs(int height, int width, int channels, int classes) {
    InputShape shape = new InputShape(height, width, channels);
    List<String> names = classes == 2 ? TestModels.DARK_LIGHT : TEN;
    MultiLayerNetwork network = Architectures.build(Architectures.VGG_BN, shape, classes, 5, 1e-2);
    Random random = new Random(9);
    for (int step = 0; step < 3; step++) {
      INDArray x = Nd4j.rand(new int[] {16, channels, height, width}).muli(0.5).addi(step * 0.1);
      INDArray y = Nd4j.zeros(16, classes == 2 ? 1 : classes);
      for (int i = 0; i < 16; i++) {
        y.putScalar(i, classes == 2 ? 0 : random.nextInt(classes), classes == 2 ? random.nextInt(2) : 1);
      }
      network.fit(x, y);
    }
    BatchNormalization.class.cast(network.getLayer(1).conf().getLayer()); // layer 1 is a batch normalization
    INDArray mean = network.getLayer(1).getParam("mean");
    assertTrue(mean.amaxNumber().doubleValue() > 1e-3, "running mean still zero: " + mean);

    LoadedModel model = LoadedModel.of(network, TestModels.metadata("vgg", 1, names, shape,
        classes == 2 ? ModelMetadata.SIGMOID : ModelMetadata.SOFTMAX));
    assertEquals(Layout.NHWC, model.inputLayout(), "the model should be served in NHWC");
    List<byte[]> pixels = levels(6, shape);
    float[][] served = model.predictPixels(pixels);
    INDArray nchw = Nd4j.create(6, channels, height, width);
    for (int n = 0; n < 6; n++) {
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          for (int c = 0; c < channels; c++) {
            nchw.putScalar(new long[] {n, c, y, x}, (pixels.get(n)[(y * width + x) * channels + c] & 0xFF) / 255f);
          }
        }
      }
    }
    float[] expected = network.output(nchw, false).dup('c').data().asFloat();
    int width0 = expected.length / 6;
    double spread = 0;
    for (int n = 0; n < 6; n++) {
      for (int k = 0; k < classes; k++) {
        float want = width0 == 1 ? (k == 1 ? expected[n] : 1 - expected[n]) : expected[n * width0 + k];
        assertEquals(want, served[n][k], 1e-4, "image " + n + " class " + k);
        spread = Math.max(spread, Math.abs(served[n][k] - served[0][k]));
      }
    }
    assertTrue(spread > 1e-4, "outputs do not depend on the image: the comparison would prove nothing");
  }

  /** Noisy images of distinct brightness, dark to light: outputs that differ from image to image. */
  private static List<byte[]> levels(int count, InputShape shape) {
    Random random = new Random(17);
    List<byte[]> images = new java.util.ArrayList<>();
    for (int n = 0; n < count; n++) {
      byte[] p = new byte[shape.pixelCount()];
      for (int i = 0; i < p.length; i++) {
        p[i] = (byte) Math.min(255, n * 255 / count + random.nextInt(40));
      }
      images.add(p);
    }
    return images;
  }

  /** ~1 minute on 2 cores: 3,000 Fashion-MNIST training images, 2 epochs, scored on 2,000 test images. */
  @Test
  void learnsFashionMnistFromASmallSubset() throws Exception {
    Assumptions.assumeTrue(FashionMnist.isPresent(FashionMnist.DEBIAN_DIR), "needs dataset-fashion-mnist");
    LabelledDataset train = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Split.TRAIN).sample(3000, 1);
    LabelledDataset test = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Split.TEST).sample(2000, 2);
    MultiLayerNetwork network = Architectures.build(Architectures.VGG_BN, FashionMnist.SHAPE, 10, 42, 1e-3);
    ModelTrainer.EpochResult result = new ModelTrainer(new ModelTrainer.Options(2, 64, 42))
        .fit(network, train, test, new ModelTrainer.Listener() {});
    // chance is 0.10
    assertTrue(result.valAccuracy() >= 0.78, "val_accuracy " + result.valAccuracy());
    assertTrue(result.valLoss() < 0.7, "val_loss " + result.valLoss());
  }
}
