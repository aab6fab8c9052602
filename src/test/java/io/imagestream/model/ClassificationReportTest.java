package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.testing.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Figures from a confusion matrix worked out by hand. */
class ClassificationReportTest {
  private static final List<String> CLASSES = List.of("cat", "dog", "horse");
  // rows: true class, columns: predicted
  private static final long[][] CONFUSION = {
      {5, 1, 0},
      {2, 6, 2},
      {0, 0, 4},
  };

  @Test
  void precisionRecallF1AndAccuracy() {
    ClassificationReport report = ClassificationReport.of(CLASSES, CONFUSION);
    assertEquals(15.0 / 20, report.accuracy(), 1e-12);
    assertEquals(3, report.classes().size());

    assertScore(report.classes().get(0), "cat", 6, 5.0 / 7, 5.0 / 6);
    assertScore(report.classes().get(1), "dog", 10, 6.0 / 7, 6.0 / 10);
    assertScore(report.classes().get(2), "horse", 4, 4.0 / 6, 1.0);
    assertEquals(2 * (5.0 / 7) * (5.0 / 6) / (5.0 / 7 + 5.0 / 6), report.classes().get(0).f1(), 1e-12);
    assertEquals(0.8, report.classes().get(2).f1(), 1e-12); // 2 * 2/3 * 1 / (5/3)
  }

  @Test
  void aClassNeverPredictedNorPresentScoresZeroNotNaN() {
    ClassificationReport report = ClassificationReport.of(List.of("a", "b"), new long[][] {{3, 0}, {0, 0}});
    assertEquals(1.0, report.accuracy(), 1e-12);
    assertScore(report.classes().get(1), "b", 0, 0, 0);
    assertEquals(0.0, report.classes().get(1).f1());
  }

  @Test
  void formatNamesEveryClassAndTheAccuracy() {
    String text = ClassificationReport.of(CLASSES, CONFUSION).format();
    assertTrue(text.contains("accuracy: 0.7500 (20 images)"), text);
    for (String name : CLASSES) {
      assertTrue(text.lines().anyMatch(l -> l.startsWith(name + " ")), name + " missing:\n" + text);
    }
    assertTrue(text.lines().anyMatch(l -> l.matches("dog\\s+2\\s+6\\s+2")), "confusion row for dog:\n" + text);
    assertTrue(text.lines().anyMatch(l -> l.matches("cat\\s+0\\.7143\\s+0\\.8333\\s+0\\.7692\\s+6")),
        "score row for cat:\n" + text);
  }

  @Test
  void evaluateRefusesDataWithOtherClasses() {
    LabelledDataset data = new LabelledDataset(TestModels.SHAPE, List.of("night", "day"),
        new byte[TestModels.SHAPE.pixelCount()], new int[] {0});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClassificationReport.evaluate(TestModels.darkLight(), data));
    assertTrue(e.getMessage().contains("[night, day]"), e.getMessage());
  }

  @Test
  void evaluateCountsEveryImageOnce() {
    LabelledDataset data = TestModels.darkLightData(600, 77); // more than one 512-image batch
    ClassificationReport report = ClassificationReport.evaluate(TestModels.darkLight(), data);
    assertEquals(300, report.classes().get(0).support());
    assertEquals(300, report.classes().get(1).support());
    assertTrue(report.accuracy() >= 0.95, report.format());
  }

  private static void assertScore(ClassificationReport.ClassScore s, String name, long support, double precision,
                                  double recall) {
    assertEquals(name, s.name());
    assertEquals(support, s.support(), name);
    assertEquals(precision, s.precision(), 1e-12, name + " precision");
    assertEquals(recall, s.recall(), 1e-12, name + " recall");
  }
}
