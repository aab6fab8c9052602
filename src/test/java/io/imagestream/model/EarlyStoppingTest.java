package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;

/** Keras' EarlyStopping(monitor='val_loss', patience=N, restore_best_weights=True). */
class EarlyStoppingTest {

  /** Feeds val_loss values until the rule says stop; returns the epoch it stopped after, or 0. */
  private static int stopEpoch(EarlyStopping rule, double... valLosses) {
    for (int epoch = 1; epoch <= valLosses.length; epoch++) {
      rule.improved(epoch, valLosses[epoch - 1]);
      if (rule.shouldStop()) {
        return epoch;
      }
    }
    return 0;
  }

  @Test
  void stopsAfterPatienceEpochsWithoutImprovementAndRemembersTheBest() {
    EarlyStopping rule = new EarlyStopping(2);
    assertEquals(5, stopEpoch(rule, 0.9, 0.5, 0.4, 0.45, 0.41, 0.3));
    assertEquals(3, rule.bestEpoch());
  }

  @Test
  void anImprovementResetsTheCount() {
    EarlyStopping rule = new EarlyStopping(2);
    assertEquals(0, stopEpoch(rule, 0.9, 0.95, 0.8, 0.85, 0.7, 0.75));
    assertEquals(5, rule.bestEpoch());
  }

  @Test
  void anEqualValueIsNotAnImprovement() {
    EarlyStopping rule = new EarlyStopping(1);
    assertEquals(2, stopEpoch(rule, 0.5, 0.5));
    assertEquals(1, rule.bestEpoch());
  }

  @Test
  void patienceZeroIsOff() {
    EarlyStopping rule = new EarlyStopping(0);
    assertFalse(rule.enabled());
    assertEquals(0, stopEpoch(rule, 0.1, 0.2, 0.3, 0.4));
    assertThrows(IllegalArgumentException.class, () -> new EarlyStopping(-1));
  }

  @Test
  void trainingStopsEarlyAndKeepsTheBestEpochsWeights() {
    // validation labels are the opposite of the training labels: the better the network learns, the worse val_loss
    MultiLayerNetwork network = Architectures.build(Architectures.KERAS_TUTORIAL_CNN, TestModels.SHAPE, 2, 3, 0.01);
    LabelledDataset train = TestModels.darkLightData(200, 1);
    LabelledDataset inverted = TestModels.darkLightData(100, 2);
    int[] flipped = new int[inverted.size()];
    byte[] pixels = new byte[inverted.size() * TestModels.SHAPE.pixelCount()];
    for (int i = 0; i < flipped.length; i++) {
      flipped[i] = 1 - inverted.label(i);
      System.arraycopy(inverted.pixels(i), 0, pixels, i * TestModels.SHAPE.pixelCount(),
          TestModels.SHAPE.pixelCount());
    }
    LabelledDataset validation = new LabelledDataset(TestModels.SHAPE, TestModels.DARK_LIGHT, pixels, flipped);
    List<String> events = new ArrayList<>();
    TrainingHistory history = new ModelTrainer(new ModelTrainer.Options(10, 32, 3, Augmentation.NONE, 2))
        .fitHistory(network, train, validation, new ModelTrainer.Listener() {
          @Override
          public void stoppedEarly(int epoch, int bestEpoch) {
            events.add(epoch + "/" + bestEpoch);
          }
        });

    assertTrue(history.stoppedEarly(), history.toString());
    assertTrue(history.epochs().size() < 10, history.toString());
    int best = history.keptEpoch();
    assertEquals(List.of(history.epochs().size() + "/" + best), events);
    assertEquals(history.epochs().size(), best + 2, "stopped after patience epochs without improvement");
    for (ModelTrainer.EpochResult epoch : history.epochs()) {
      assertTrue(epoch.valLoss() >= history.kept().valLoss(), history.toString());
    }
    // the network holds the best epoch's weights again: its val_loss is that epoch's, not the last one's
    double now = ModelTrainer.score(network, validation, true).loss();
    assertEquals(history.kept().valLoss(), now, 1e-6);
    assertTrue(now < history.epochs().get(history.epochs().size() - 1).valLoss());
    assertEquals(history.epochs().size(), history.asKerasHistory().get("val_loss").size());
  }

  @Test
  void earlyStoppingNeedsValidationData() {
    MultiLayerNetwork network = Architectures.build(Architectures.KERAS_TUTORIAL_CNN, TestModels.SHAPE, 2, 3, 0.01);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ModelTrainer(new ModelTrainer.Options(3, 32, 3, Augmentation.NONE, 1))
            .fitHistory(network, TestModels.darkLightData(64, 1), null, new ModelTrainer.Listener() {}));
    assertTrue(e.getMessage().contains("val_loss"), e.getMessage());
  }
}
