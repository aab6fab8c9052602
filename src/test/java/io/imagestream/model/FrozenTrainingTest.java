package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.testing.TestModels;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;

/** A transfer model's training: the frozen base's weights stay bit-identical, the head learns. */
class FrozenTrainingTest {
  private static final LabelledDataset TRAIN = TestModels.darkLightData(200, 31);
  private static final LabelledDataset VALIDATION = TestModels.darkLightData(60, 32);

  private static MultiLayerNetwork transfer() {
    MultiLayerNetwork base = TestModels.darkLight().network(); // conv, pool, conv, pool, dense, output
    assertEquals(4, TransferModel.baseLayerCount(base));
    return TransferModel.build(base, TestModels.SHAPE, 4, 2, new TransferModel.Head(16, 0.5), 5, 0.01);
  }

  private static float[] params(MultiLayerNetwork network, int layer) {
    return network.getLayer(layer).params().dup().data().asFloat();
  }

  @Test
  void theBaseIsCopiedAndStaysBitIdenticalWhileTheHeadLearnsOnCachedBaseOutputs() {
    MultiLayerNetwork base = TestModels.darkLight().network();
    MultiLayerNetwork network = transfer();
    assertEquals(7, network.getnLayers(), "4 base layers, dense, dropout, output");
    assertArrayEquals(params(base, 0), params(network, 0));
    assertArrayEquals(params(base, 2), params(network, 2));
    float[] head = params(network, 4);

    FrozenTraining.Result result = FrozenTraining.fit(network, TestModels.SHAPE, FrozenTraining.firstLayers(4), 0.01,
        new ModelTrainer.Options(3, 32, 9), TRAIN, VALIDATION, new ModelTrainer.Listener() {});
    assertEquals(4, result.baseLayers());
    assertTrue(result.cachedBaseOutputs());
    assertEquals(3, result.history().epochs().size());
    assertArrayEquals(params(base, 0), params(network, 0), "frozen conv 1");
    assertArrayEquals(params(base, 2), params(network, 2), "frozen conv 2");
    assertFalse(java.util.Arrays.equals(head, params(network, 4)), "the head trained");
    assertTrue(result.history().kept().valAccuracy() >= 0.95, result.history().kept().toString());
  }

  @Test
  void withAugmentationTheBaseRunsPerBatchAndStillStaysFrozen() {
    MultiLayerNetwork base = TestModels.darkLight().network();
    MultiLayerNetwork network = transfer();
    FrozenTraining.Result result = FrozenTraining.fit(network, TestModels.SHAPE, FrozenTraining.firstLayers(4), 0.01,
        new ModelTrainer.Options(2, 32, 9, Augmentation.KERAS_TUTORIAL), TRAIN, null, new ModelTrainer.Listener() {});
    assertFalse(result.cachedBaseOutputs());
    assertArrayEquals(params(base, 0), params(network, 0));
    assertArrayEquals(params(base, 2), params(network, 2));
    assertTrue(result.history().kept().accuracy() >= 0.9, result.history().kept().toString());
  }

  @Test
  void aFrozenLayerAfterTrainableOnesStaysBitIdenticalToo() {
    MultiLayerNetwork network = transfer();
    float[] first = params(network, 0);
    float[] frozenDense = params(network, 4);
    FrozenTraining.Result result = FrozenTraining.fit(network, TestModels.SHAPE, List.of(4), 0.01,
        new ModelTrainer.Options(2, 32, 9), TRAIN, null, new ModelTrainer.Listener() {});
    assertEquals(0, result.baseLayers());
    assertArrayEquals(frozenDense, params(network, 4));
    assertFalse(java.util.Arrays.equals(first, params(network, 0)), "layers before it train through it");
  }

  @Test
  void aNetworkWithEveryLayerFrozenIsRefused() {
    MultiLayerNetwork network = transfer();
    assertThrows(IllegalArgumentException.class, () -> FrozenTraining.fit(network, TestModels.SHAPE,
        FrozenTraining.firstLayers(7), 0.01, new ModelTrainer.Options(1, 32, 9), TRAIN, null,
        new ModelTrainer.Listener() {}));
  }
}
