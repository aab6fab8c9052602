package io.imagestream.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PredictionJsonTest {
  @Test
  void readsTheContractsPredictionWithItsClassesInModelOrder() {
    String json = "{\"id\": \"cats/cat.4001.jpg\", \"label\": \"cat\", \"probability\": 0.5,"
        + " \"probabilities\": {\"dog\": 0.2, \"cat\": 0.5, \"bird\": 0.3},"
        + " \"model\": {\"name\": \"default\", \"version\": 3},"
        + " \"source\": {\"topic\": \"images\", \"partition\": 2, \"offset\": 42},"
        + " \"timestamps\": {\"produced\": 1763770000000, \"classified\": 1763770000012}, \"future\": true}";
    PredictionJson p = PredictionJson.parse(json.getBytes(StandardCharsets.UTF_8));
    assertEquals("cats/cat.4001.jpg", p.id());
    assertEquals(List.of("dog", "cat", "bird"), p.classNames());
    assertEquals(List.of("cat", "bird"), p.top(2).stream().map(PredictionJson.Guess::label).toList());
    assertEquals(3, p.modelVersion());
    assertEquals("images", p.sourceTopic());
    assertEquals(2, p.sourcePartition());
    assertEquals(42, p.sourceOffset());
    assertEquals(12, p.classified() - p.produced());
  }

  @Test
  void refusesWhatIsNotAJsonObject() {
    assertThrows(IllegalArgumentException.class, () -> PredictionJson.parse(null));
    assertThrows(IllegalArgumentException.class, () -> PredictionJson.parse("[1]".getBytes(StandardCharsets.UTF_8)));
    assertThrows(IllegalArgumentException.class, () -> PredictionJson.parse(new byte[] {(byte) 0x89, 'P'}));
    assertEquals(-1, PredictionJson.parse("{}".getBytes(StandardCharsets.UTF_8)).modelVersion());
  }
}
