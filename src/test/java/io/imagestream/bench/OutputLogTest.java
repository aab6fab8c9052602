package io.imagestream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class OutputLogTest {

  @Test
  void rowsComeBackAsTheyWereAddedPastTheFirstGrowth() {
    OutputLog log = new OutputLog();
    int rows = 40_000; // more than twice the initial capacity
    for (int i = 0; i < rows; i++) {
      log.add(new OutputLog.Output(i, 1_000L + i, i % 97, i % 3, i % 10 == 0, i % 6, i % 10 == 0 ? -1 : 5,
          i % 10 == 0 ? -1 : 7 + i % 5));
    }
    assertEquals(rows, log.size());
    List<OutputLog.Output> out = log.outputs();
    assertEquals(rows, out.size());
    for (int i : new int[] {0, 1, 16_383, 16_384, 32_768, rows - 1}) {
      assertEquals(new OutputLog.Output(i, 1_000L + i, i % 97, i % 3, i % 10 == 0, i % 6, i % 10 == 0 ? -1 : 5,
          i % 10 == 0 ? -1 : 7 + i % 5), out.get(i), "row " + i);
    }
  }

  @Test
  void distinctCountsEachImageOnceAndIgnoresForeignKeys() {
    OutputLog log = new OutputLog();
    for (int index : new int[] {3, 5, 3, -1, 7, 5, -1}) {
      log.add(new OutputLog.Output(index, 0, 0, 1, false, 0, 0, 0));
    }
    assertEquals(7, log.size(), "every output is a row, duplicates too");
    assertEquals(3, log.distinct(), "images 3, 5 and 7");
  }

  @Test
  void theIndexIsReadFromTheBenchsKeys() {
    assertEquals(12_345, OutputLog.indexOf(new String(BenchKafka.key(12_345), java.nio.charset.StandardCharsets.UTF_8)));
    assertEquals(-1, OutputLog.indexOf("photo-3"));
    assertEquals(-1, OutputLog.indexOf("img-x"));
    assertEquals(-1, OutputLog.indexOf(null));
  }
}
