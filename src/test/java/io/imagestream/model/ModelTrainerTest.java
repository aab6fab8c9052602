package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.image.InputShape;
import io.imagestream.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;

/** Training from scratch on problems a small CNN must learn in a few epochs. */
class ModelTrainerTest {

  @Test
  void darkLightIsLearnedInTwoEpochs() {
    MultiLayerNetwork network = Architectures.build(Architectures.KERAS_TUTORIAL_CNN, TestModels.SHAPE, 2, 21, 0.01);
    LabelledDataset train = TestModels.darkLightData(400, 1);
    LabelledDataset validation = TestModels.darkLightData(200, 99);
    List<ModelTrainer.EpochResult> epochs = new ArrayList<>();
    ModelTrainer.EpochResult last = new ModelTrainer(new ModelTrainer.Options(2, 32, 21))
        .fit(network, train, validation, recorder(epochs));

    assertEquals(2, epochs.size());
    assertEquals(2, last.epoch());
    assertTrue(last.valAccuracy() >= 0.95, "val_accuracy " + last.valAccuracy());
    // the trainer's own figure agrees with an independent evaluation of the same network
    ClassificationReport report = ClassificationReport.evaluate(LoadedModel.of(network,
        TestModels.metadata("dl", 1, TestModels.DARK_LIGHT, TestModels.SHAPE, ModelMetadata.SIGMOID)), validation);
    assertEquals(report.accuracy(), last.valAccuracy(), 1e-9);
  }

  @Test
  void softmaxThreeClassProblemIsLearnedAndLossFalls() {
    MultiLayerNetwork network = Architectures.build(Architectures.KERAS_TUTORIAL_CNN, TestModels.SHAPE, 3, 5, 0.005);
    List<ModelTrainer.EpochResult> epochs = new ArrayList<>();
    ModelTrainer.EpochResult last = new ModelTrainer(new ModelTrainer.Options(4, 32, 5))
        .fit(network, darkMidLight(450, 3), darkMidLight(150, 4), recorder(epochs));

    assertEquals(3, network.getOutputLayer().getParam("W").size(1), "softmax: one unit per class");
    assertEquals(4, epochs.size());
    assertTrue(last.valAccuracy() >= 0.9, "val_accuracy " + last.valAccuracy() + " after " + epochs);
    assertTrue(epochs.get(epochs.size() - 1).loss() < epochs.get(0).loss(), "loss did not fall: " + epochs);
    assertTrue(last.valLoss() > 0 && last.valLoss() < epochs.get(0).loss(), "val_loss " + last.valLoss());
    assertEquals(List.of("loss", "accuracy", "val_loss", "val_accuracy"), List.copyOf(last.asMap().keySet()));
  }

  @Test
  void withoutValidationDataTheValidationFiguresAreNaNAndLeftOutOfTheMap() {
    MultiLayerNetwork network = Architectures.build(Architectures.KERAS_TUTORIAL_CNN, TestModels.SHAPE, 2, 1, 0.01);
    ModelTrainer.EpochResult last = new ModelTrainer(new ModelTrainer.Options(1, 64, 1))
        .fit(network, TestModels.darkLightData(128, 2), null, new ModelTrainer.Listener() {});
    assertTrue(Double.isNaN(last.valAccuracy()));
    assertEquals(List.of("loss", "accuracy"), List.copyOf(last.asMap().keySet()));
  }

  @Test
  void learningRateDecayMultipliesEveryLayersRateOncePerEpoch() {
    MultiLayerNetwork network = Architectures.build(Architectures.VGG_BN, TestModels.SHAPE, 2, 3, 0.01);
    List<Double> rates = new ArrayList<>();
    new ModelTrainer(new ModelTrainer.Options(3, 64, 1, Augmentation.NONE, 0, 0.5)).fit(network,
        TestModels.darkLightData(64, 2), null, new ModelTrainer.Listener() {
          @Override
          public void epochDone(ModelTrainer.EpochResult result) {
            rates.add(network.getLearningRate(0));
          }
        });
    assertEquals(List.of(0.01, 0.005, 0.0025), rates);
    for (int layer = 0; layer < network.getnLayers(); layer++) {
      Double rate = network.getLearningRate(layer);
      assertTrue(rate == null || rate == 0.0025, "layer " + layer + ": " + rate);
    }
    assertThrows(IllegalArgumentException.class, () -> new ModelTrainer.Options(1, 32, 1, Augmentation.NONE, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new ModelTrainer.Options(1, 32, 1, Augmentation.NONE, 0, 1.5));
  }

  @Test
  void optionsRejectZeroEpochsAndZeroBatchSize() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ModelTrainer.Options(0, 32, 1));
    assertTrue(e.getMessage().contains("epochs"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ModelTrainer.Options(1, 0, 1));
    assertEquals(1, new ModelTrainer.Options(1, 1, 1).epochs());
  }

  private static ModelTrainer.Listener recorder(List<ModelTrainer.EpochResult> epochs) {
    return new ModelTrainer.Listener() {
      @Override
      public void epochDone(ModelTrainer.EpochResult result) {
        epochs.add(result);
      }
    };
  }

  /** Random grey images: dark (0..60) class 0, mid (100..155) class 1, light (195..255) class 2. */
  static LabelledDataset darkMidLight(int count, long seed) {
    InputShape shape = TestModels.SHAPE;
    Random random = new Random(seed);
    byte[] pixels = new byte[count * shape.pixelCount()];
    int[] labels = new int[count];
    int[] base = {0, 100, 195};
    for (int i = 0; i < count; i++) {
      labels[i] = i % 3;
      for (int p = 0; p < shape.pixelCount(); p++) {
        pixels[i * shape.pixelCount() + p] = (byte) (base[labels[i]] + random.nextInt(61));
      }
    }
    return new LabelledDataset(shape, List.of("dark", "mid", "light"), pixels, labels);
  }
}
