package io.imagestream.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** The contract's promise checked from the outside: every input id has exactly one output across the topics. */
public final class ExactlyOnce {
  private ExactlyOnce() {}

  /**
   * Reads the outputs with read_committed (to their ends) and asserts one output per sent id, no more, no other;
   * returns what it read, for further checks.
   */
  public static List<ConsumerRecord<byte[], byte[]>> assertOneOutputEach(String bootstrapServers, List<String> outputs, Set<String> sent,
                                         Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readAtLeast(bootstrapServers, outputs, sent.size(), timeout);
    Map<String, Integer> seen = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : out) {
      seen.merge(new String(record.key(), StandardCharsets.UTF_8), 1, Integer::sum);
    }
    assertEquals(List.of(), seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
        .sorted().limit(10).toList(), "no input may have two outputs");
    Set<String> lost = new HashSet<>(sent);
    lost.removeAll(seen.keySet());
    assertEquals(Set.of(), lost.size() > 10 ? Set.of(lost.size() + " inputs, e.g. " + lost.iterator().next()) : lost,
        "every input has an output");
    assertEquals(sent, seen.keySet(), "no output without an input");
    assertEquals(sent.size(), out.size());
    return out;
  }
}
