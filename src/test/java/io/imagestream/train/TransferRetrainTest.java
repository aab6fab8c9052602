package io.imagestream.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.model.Augmentation;
import io.imagestream.model.FrozenTraining;
import io.imagestream.model.LabelledDataset;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import io.imagestream.model.ModelTrainer;
import io.imagestream.model.TransferModel;
import io.imagestream.testing.TestModels;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The trainer retrains a transfer model as one: its frozen base stays bit-identical, only the rest trains. */
class TransferRetrainTest {
  private static final List<Integer> BASE = List.of(0, 1, 2, 3);
  private static LoadedModel live;

  /** A transfer model as fit --base makes it: the dark/light CNN's conv base, frozen, under a new head. */
  @BeforeAll
  static void transferModel() throws Exception {
    MultiLayerNetwork network = TransferModel.build(TestModels.darkLight().network(), TestModels.SHAPE, 4, 2,
        new TransferModel.Head(16, 0.5), 3, 0.01);
    FrozenTraining.fit(network, TestModels.SHAPE, BASE, 0.01, new ModelTrainer.Options(2, 32, 3),
        TestModels.darkLightData(200, 41), null, new ModelTrainer.Listener() {});
    ModelMetadata m = TestModels.metadata("dark-light", 1, TestModels.DARK_LIGHT, TestModels.SHAPE,
        ModelMetadata.SIGMOID);
    ModelMetadata metadata = new ModelMetadata(m.name(), 1, 0, TransferModel.ARCHITECTURE, m.classNames(), m.input(),
        m.preprocessing(), m.output(), m.training(), m.createdAt(), null, BASE);
    live = ModelArtifact.load(ModelArtifact.toBytes(network, metadata), "transfer v1");
  }

  private static Retrainer retrainer(Augmentation augmentation) {
    return new Retrainer(new Retrainer.Settings("dark-light", 25, 10, 5, 2, 32, 1e-3, true, augmentation, 3, -1.0));
  }

  private static LabelledStore store(int count, boolean withMid) {
    LabelledDataset data = TestModels.darkLightData(count, 21);
    LabelledStore store = new LabelledStore(TestModels.SHAPE, 10_000);
    for (int i = 0; i < data.size(); i++) {
      store.put("img-" + i, data.classNames().get(data.label(i)), data.pixels(i));
    }
    Random random = new Random(5);
    for (int i = 0; withMid && i < count / 2; i++) {
      byte[] mid = new byte[TestModels.SHAPE.pixelCount()];
      for (int p = 0; p < mid.length; p++) {
        mid[p] = (byte) (115 + random.nextInt(26));
      }
      store.put("mid-" + i, "mid", mid);
    }
    return store;
  }

  private static float[] params(MultiLayerNetwork network, int layer) {
    return network.getLayer(layer).params().dup().data().asFloat();
  }

  @Test
  void aRetrainKeepsTheBaseBitIdenticalTrainsTheHeadAndReusesBaseOutputsNextTime() throws Exception {
    Retrainer retrainer = retrainer(Augmentation.NONE);
    LabelledStore store = store(200, false);
    Retrainer.Judged first = assertInstanceOf(Retrainer.Judged.class, retrainer.retrain(store, live, 2));
    MultiLayerNetwork candidate = first.candidate().network();
    for (int layer : List.of(0, 2)) {
      assertArrayEquals(params(live.network(), layer), params(candidate, layer), "frozen layer " + layer);
    }
    assertFalse(java.util.Arrays.equals(params(live.network(), 4), params(candidate, 4)), "the head trained");
    ModelMetadata metadata = first.candidate().metadata();
    assertEquals(BASE, metadata.frozenLayers());
    assertEquals(TransferModel.ARCHITECTURE, metadata.architecture());
    int trainImages = (int) metadata.training().trainingExamples();
    assertTrue(first.start().startsWith("warm start from v1, 4 frozen layers kept"), first.start());
    assertTrue(first.start().endsWith("base outputs: 0 reused, " + trainImages + " computed"), first.start());
    assertTrue(first.verdict().candidateAccuracy() >= 0.95, first.verdict().reason());

    // the published candidate is the next live model: same base, so every image's base output is reused
    LoadedModel v2 = ModelArtifact.load(ModelArtifact.toBytes(candidate, metadata), "v2");
    store.put("late-1", "dark", TestModels.filled(TestModels.SHAPE, 10));
    Retrainer.Judged second = assertInstanceOf(Retrainer.Judged.class, retrainer.retrain(store, v2, 3));
    int now = (int) second.candidate().metadata().training().trainingExamples();
    assertEquals(trainImages + (HeldOutSplit.isHeldOut("late-1", 25) ? 0 : 1), now);
    assertEquals(trainImages, retrainer.baseOutputCache().hits(), second.start());
    assertEquals(now - trainImages, retrainer.baseOutputCache().misses(), second.start());
    assertArrayEquals(params(live.network(), 0), params(second.candidate().network(), 0));
  }

  @Test
  void withAugmentationTheBaseStillStaysFrozen() {
    Retrainer.Judged judged = assertInstanceOf(Retrainer.Judged.class,
        retrainer(Augmentation.KERAS_TUTORIAL).retrain(store(200, false), live, 2));
    assertArrayEquals(params(live.network(), 0), params(judged.candidate().network(), 0));
    assertArrayEquals(params(live.network(), 2), params(judged.candidate().network(), 2));
    assertFalse(judged.start().contains("base outputs"), judged.start());
  }

  @Test
  void aNewClassGetsANewHeadOnTheSameFrozenBase() {
    Retrainer.Judged judged = assertInstanceOf(Retrainer.Judged.class,
        retrainer(Augmentation.NONE).retrain(store(200, true), live, 2));
    assertEquals(List.of("dark", "light", "mid"), judged.candidate().classNames());
    assertEquals(ModelMetadata.SOFTMAX, judged.candidate().metadata().output());
    assertTrue(judged.start().startsWith("new head for 3 classes on the frozen base of v1"), judged.start());
    assertEquals(BASE, judged.candidate().metadata().frozenLayers());
    assertEquals(16, judged.candidate().network().getLayer(4).getParam("W").size(1), "the live model's head size");
    assertArrayEquals(params(live.network(), 0), params(judged.candidate().network(), 0));
    assertArrayEquals(params(live.network(), 2), params(judged.candidate().network(), 2));
    assertEquals(Map.of(), judged.excludedClasses());
  }
}
