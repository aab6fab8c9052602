package io.imagestream.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;

/** Reading what a TopologyTestDriver output topic holds: a header as text, a value as JSON. */
public final class TestRecords {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TestRecords() {}

  /** The last header of that name as UTF-8 text, or null. */
  public static String header(TestRecord<?, ?> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  public static JsonNode json(byte[] value) {
    try {
      return JSON.readTree(value);
    } catch (java.io.IOException e) {
      throw new AssertionError("not JSON: " + new String(value, StandardCharsets.UTF_8), e);
    }
  }
}
