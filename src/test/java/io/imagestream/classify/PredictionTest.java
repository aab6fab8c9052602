package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelMetadata;
import io.imagestream.testing.TestModels;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The predictions topic's value: field names and order as the contract shows them. */
class PredictionTest {
  private static final ModelMetadata THREE_CLASSES =
      TestModels.metadata("fashion", 3, List.of("zebra", "cat", "ant"), TestModels.SHAPE, ModelMetadata.SOFTMAX);

  @Test
  void jsonHasTheContractsFieldsInTheContractsOrder() {
    Prediction p = Prediction.of("images/17.png", new float[] {0.1f, 0.7f, 0.2f}, THREE_CLASSES,
        new Prediction.Source("images", 2, 41), new Prediction.Timestamps(1_700_000_000_000L, 1_700_000_000_020L,
            1_700_000_000_050L));
    assertEquals("{\"id\":\"images/17.png\",\"label\":\"cat\",\"probability\":0.7,"
        + "\"probabilities\":{\"zebra\":0.1,\"cat\":0.7,\"ant\":0.2},"
        + "\"model\":{\"name\":\"fashion\",\"version\":3},"
        + "\"source\":{\"topic\":\"images\",\"partition\":2,\"offset\":41},"
        + "\"timestamps\":{\"produced\":1700000000000,\"received\":1700000000020,\"classified\":1700000000050}}", p.toJsonString());
  }

  @Test
  void probabilitiesAreRoundedToSixDecimals() {
    Prediction p = Prediction.of("x", new float[] {0.12345678f, 0.87654322f, 0f}, THREE_CLASSES, null,
        new Prediction.Timestamps(1, 2, 3));
    assertEquals(0.123457, p.probabilities().get("zebra"));
    assertEquals(0.876543, p.probability());
    assertEquals(0.0, p.probabilities().get("ant"));
  }

  @Test
  void withoutASourceTheFieldIsLeftOut() {
    Prediction p = Prediction.of("file.png", new float[] {0.5f, 0.25f, 0.25f}, THREE_CLASSES, null,
        new Prediction.Timestamps(1, 2, 3));
    assertFalse(p.toJsonString().contains("source"), p.toJsonString());
    assertEquals("zebra", p.label());
  }

  @Test
  void roundTripKeepsEveryValueAndTheClassOrder() {
    Prediction p = Prediction.of("k", new float[] {0.2f, 0.3f, 0.5f}, THREE_CLASSES,
        new Prediction.Source("t", 0, 9), new Prediction.Timestamps(10, 15, 20));
    Prediction back = Prediction.fromJson(p.toJson());
    assertEquals(p, back);
    assertEquals(List.of("zebra", "cat", "ant"), List.copyOf(back.probabilities().keySet()));
    assertEquals("ant", back.label());
    assertEquals(p.toJsonString(), back.toJsonString());
  }

  @Test
  void aPredictionWrittenBeforeReceivedExistedReadsAsReceivedZero() {
    Prediction old = Prediction.fromJson(("{\"id\":\"a\",\"label\":\"cat\",\"probability\":0.7,"
        + "\"probabilities\":{\"zebra\":0.1,\"cat\":0.7,\"ant\":0.2},\"model\":{\"name\":\"f\",\"version\":2},"
        + "\"timestamps\":{\"produced\":100,\"classified\":150}}").getBytes(StandardCharsets.UTF_8));
    assertEquals(new Prediction.Timestamps(100, 0, 150), old.timestamps());
  }

  @Test
  void fromJsonRefusesWhatIsNotAPrediction() {
    assertThrows(IllegalArgumentException.class,
        () -> Prediction.fromJson("not json".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void sigmoidTwoClassModelGivesBothClasses() {
    LoadedModel model = TestModels.darkLight();
    byte[] light = new byte[TestModels.SHAPE.pixelCount()];
    Arrays.fill(light, (byte) 240);
    float[] row = model.predictPixels(List.of(light))[0];
    Prediction p = Prediction.of("light.png", row, model.metadata(), null, new Prediction.Timestamps(1, 2, 3));
    assertEquals("light", p.label());
    assertEquals(List.of("dark", "light"), List.copyOf(p.probabilities().keySet()));
    assertEquals(1.0, p.probabilities().get("dark") + p.probabilities().get("light"), 2e-6);
    assertEquals(p.probabilities().get("light"), p.probability());
    assertEquals(new Prediction.Model("dark-light", 1), p.model());

    Prediction handMade = Prediction.of("h", new float[] {0.75f, 0.25f}, model.metadata(), null,
        new Prediction.Timestamps(1, 2, 3));
    assertEquals("dark", handMade.label());
    assertEquals(0.75, handMade.probability());
  }
}
