package io.imagestream.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.model.Architectures;
import io.imagestream.model.Augmentation;
import io.imagestream.model.LabelledDataset;
import io.imagestream.model.LoadedModel;
import io.imagestream.testing.TestModels;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The trainer builds the architecture it is told to, and does not warm-start a live model of another one. */
class RetrainerArchitectureTest {
  private static Retrainer retrainer(String architecture) {
    return new Retrainer(new Retrainer.Settings("dark-light", 25, 10, 5, 1, 32, 1e-3, true, Augmentation.NONE, 3,
        0.0, 500, architecture));
  }

  private static LabelledStore store() {
    LabelledDataset data = TestModels.darkLightData(200, 21);
    LabelledStore store = new LabelledStore(TestModels.SHAPE, 10_000);
    for (int i = 0; i < data.size(); i++) {
      store.put("img-" + i, data.classNames().get(data.label(i)), data.pixels(i));
    }
    return store;
  }

  @Test
  void aVggBnTrainerReplacesATutorialLiveModelWithAFreshVggBn() {
    LoadedModel live = TestModels.darkLight(); // keras-tutorial-cnn, same classes and input
    Retrainer.Judged judged = assertInstanceOf(Retrainer.Judged.class,
        retrainer(Architectures.VGG_BN).retrain(store(), live, 2));
    assertEquals("fresh network", judged.start());
    assertEquals(Architectures.VGG_BN, judged.candidate().metadata().architecture());
    assertTrue(Arrays.stream(judged.candidate().network().getLayers())
        .anyMatch(l -> l.conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization));
    assertTrue(judged.verdict().candidateAccuracy() >= 0.9, judged.verdict().reason());

    // and the next retraining warm-starts from that vgg-bn live model
    Retrainer.Judged next = assertInstanceOf(Retrainer.Judged.class,
        retrainer(Architectures.VGG_BN).retrain(store(), judged.candidate(), 3));
    assertTrue(next.start().startsWith("warm start from v2"), next.start());
    assertEquals(Architectures.VGG_BN, next.candidate().metadata().architecture());
  }

  @Test
  void withoutASettingTheLiveModelsArchitectureCarriesOn() {
    Retrainer.Judged judged = assertInstanceOf(Retrainer.Judged.class,
        retrainer("").retrain(store(), TestModels.darkLight(), 2));
    assertTrue(judged.start().startsWith("warm start from v1"), judged.start());
    assertEquals(Architectures.KERAS_TUTORIAL_CNN, judged.candidate().metadata().architecture());
  }

  @Test
  void anUnknownArchitectureIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> retrainer("resnet"));
  }
}
