package io.imagestream.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.model.Augmentation;
import io.imagestream.model.LabelledDataset;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.testing.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One retraining without Kafka: class choice, warm start, the gate's inputs. */
class RetrainerTest {

  private static Retrainer retrainer(double learningRate, boolean warmStart) {
    return new Retrainer(new Retrainer.Settings("dark-light", 25, 10, 5, 1, 32, learningRate, warmStart,
        Augmentation.NONE, 3, 0.0));
  }

  private static LabelledStore store(int count) {
    LabelledDataset data = TestModels.darkLightData(count, 21);
    LabelledStore store = new LabelledStore(TestModels.SHAPE, 10_000);
    for (int i = 0; i < data.size(); i++) {
      store.put("img-" + i, data.classNames().get(data.label(i)), data.pixels(i));
    }
    return store;
  }

  @Test
  void aWarmStartTrainsWithTheTrainersLearningRateNotTheOneTheLiveModelWasTrainedWith() {
    LoadedModel live = TestModels.darkLight(); // trained with 0.01
    Retrainer.Judged judged = assertInstanceOf(Retrainer.Judged.class, retrainer(1e-5, true).retrain(store(200), live, 2));
    assertTrue(judged.start().startsWith("warm start from v1"), judged.start());
    assertEquals(1e-5, judged.candidate().network().getLearningRate(0), 1e-12);
    assertTrue(judged.verdict().candidateAccuracy() >= 0.95, judged.verdict().reason());
    assertEquals(2, judged.candidate().metadata().version());
    assertEquals(1, judged.candidate().metadata().parentVersion());
  }

  @Test
  void theSameClassesKeepTheLiveModelsOutputOrderEvenWhenItIsNotSorted() throws Exception {
    byte[] reversed = ModelArtifact.restamp(TestModels.darkLightArtifact(), m -> new io.imagestream.model.ModelMetadata(
        m.name(), m.version(), m.parentVersion(), m.architecture(), List.of("light", "dark"), m.input(),
        m.preprocessing(), m.output(), m.training(), m.createdAt(), m.networkSha256()));
    LoadedModel live = ModelArtifact.load(reversed, "reversed");
    Retrainer.Judged judged = assertInstanceOf(Retrainer.Judged.class, retrainer(1e-3, true).retrain(store(200), live, 2));
    assertEquals(List.of("light", "dark"), judged.candidate().classNames());
    assertTrue(judged.start().startsWith("warm start"), judged.start());
  }

  @Test
  void tooFewClassesOrHeldOutImagesSkipWithAReason() {
    LabelledStore oneClass = new LabelledStore(TestModels.SHAPE, 100);
    for (int i = 0; i < 50; i++) {
      oneClass.put("x-" + i, "dark", new byte[TestModels.SHAPE.pixelCount()]);
    }
    Retrainer.Skipped skipped = assertInstanceOf(Retrainer.Skipped.class, retrainer(1e-3, false)
        .retrain(oneClass, null, 1));
    assertTrue(skipped.reason().contains("at least 2 classes"), skipped.reason());
    Retrainer.Skipped few = assertInstanceOf(Retrainer.Skipped.class, retrainer(1e-3, false).retrain(store(12), null, 1));
    assertFalse(few.reason().isEmpty());
  }

  @Test
  void shadowScoringMeasuresBothModelsOnTheMostRecentLabelsAndTheGateIgnoresIt() {
    LabelledStore store = store(200);
    byte[] dark = TestModels.darkLightData(2, 5).pixels(0);
    for (int i = 0; i < 10; i++) {
      store.put("recent-" + i, "light", dark); // recent labels that disagree with both models
    }
    Retrainer shadowOfTen = new Retrainer(new Retrainer.Settings("dark-light", 25, 10, 5, 1, 32, 1e-5, true,
        Augmentation.NONE, 3, 0.0, 10));
    Retrainer.Judged judged = assertInstanceOf(Retrainer.Judged.class,
        shadowOfTen.retrain(store, TestModels.darkLight(), 2));
    assertEquals(10, judged.shadow().images());
    assertEquals(0.0, judged.shadow().liveAccuracy(), "the live model calls all ten dark");
    assertTrue(judged.shadow().candidateAccuracy() < 0.5, judged.shadow().describe());
    assertEquals(judged.shadow().candidateAccuracy(),
        judged.candidate().metadata().training().metrics().get("shadow_accuracy"));
    assertEquals(0.0, judged.candidate().metadata().training().metrics().get("live_shadow_accuracy"));
    // The gate still decides on the held-out split, which the ten recent images barely touch.
    assertTrue(judged.verdict().publish(), judged.verdict().reason());
    assertTrue(judged.verdict().candidateAccuracy() >= 0.9, judged.verdict().reason());
  }

  @Test
  void recentExamplesAreTheLastLabelledInArrivalOrderAndARelabelCountsAsRecent() {
    LabelledStore store = new LabelledStore(TestModels.SHAPE, 100);
    for (int i = 0; i < 5; i++) {
      store.put("img-" + i, "label-" + i, new byte[TestModels.SHAPE.pixelCount()]);
    }
    store.put("img-1", "relabelled", new byte[TestModels.SHAPE.pixelCount()]);
    assertEquals(List.of("label-3", "label-4", "relabelled"),
        store.recentExamples(3).stream().map(java.util.Map.Entry::getKey).toList());
    assertEquals(5, store.recentExamples(500).size());
  }

  @Test
  void theHeldOutSplitIsStableAndNearTheRequestedShare() {
    int held = 0;
    for (int i = 0; i < 10_000; i++) {
      boolean first = HeldOutSplit.isHeldOut("image-" + i, 20);
      assertEquals(first, HeldOutSplit.isHeldOut("image-" + i, 20));
      held += first ? 1 : 0;
    }
    assertTrue(held > 1800 && held < 2200, held + " of 10000");
  }
}
