package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static io.imagestream.testing.TestRecords.header;
import static io.imagestream.testing.TestRecords.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.DeadLetters;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.testing.TestModels;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.StreamSupport;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Records whose metadata is hostile (keys, values, headers) through the classifier topology, without a broker. */
class HostileRecordsTest {
  private static final int MAX_BYTES = 4096;

  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> images;
  private TestOutputTopic<byte[], byte[]> predictions;
  private TestOutputTopic<byte[], byte[]> deadLetters;

  @BeforeEach
  void start() {
    ImagestreamConfig config = ImagestreamConfig.of(Map.of(ImagestreamConfig.BATCH_SIZE, "1",
        ImagestreamConfig.DECODE_MAX_BYTES, Integer.toString(MAX_BYTES),
        ImagestreamConfig.INFERENCE_OVERLAP, "false")); // outputs there when pipeInput returns
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "hostile-records-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver = new TopologyTestDriver(ClassifierTopology.build(config, new ServingModel(TestModels.darkLight()),
        ClassifierMetrics.discarding()), props);
    images = driver.createInputTopic("images", new ByteArraySerializer(), new ByteArraySerializer());
    predictions = driver.createOutputTopic("predictions", new ByteArrayDeserializer(), new ByteArrayDeserializer());
    deadLetters = driver.createOutputTopic("images-dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void close() {
    driver.close();
  }

  private static byte[] png() {
    return TestImages.solid("png", 16, 16, Color.BLACK);
  }

  @Test
  void aNullKeyGetsTopicPartitionOffsetAsIdAndKey() {
    images.pipeInput(new TestRecord<>(null, png()));
    TestRecord<byte[], byte[]> out = predictions.readRecord();
    assertEquals("images-0-0", json(out.value()).get("id").asText());
    assertArrayEquals("images-0-0".getBytes(StandardCharsets.UTF_8), out.key());
  }

  @Test
  void aKeyThatIsNotUtf8KeepsItsBytesAndTheIdIsStillValidJson() throws Exception {
    byte[] key = {(byte) 0xC3, 0x28, (byte) 0xFF};
    images.pipeInput(key, png());
    TestRecord<byte[], byte[]> out = predictions.readRecord();
    assertArrayEquals(key, out.key(), "the output key is the original bytes");
    JsonNode prediction = json(out.value()); // throws unless the value is valid JSON
    assertEquals("\uFFFD(\uFFFD", prediction.get("id").asText(), "invalid bytes become U+FFFD in the id");
    assertTrue(StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(out.value())).length() > 0,
        "the prediction is valid UTF-8");

    images.pipeInput(key, new byte[] {1, 2, 3}); // and as a dead letter: the same bytes back
    assertArrayEquals(key, deadLetters.readRecord().key());
  }

  @Test
  void aNullValueIsDeadLetteredAsEmptyWithANullValue() {
    images.pipeInput("k".getBytes(StandardCharsets.UTF_8), (byte[]) null);
    TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
    assertEquals("EMPTY", header(dead, DeadLetters.REASON));
    assertNull(dead.value());
    assertArrayEquals("k".getBytes(StandardCharsets.UTF_8), dead.key());
    assertTrue(predictions.isEmpty());
  }

  @Test
  void garbageHeadersOnTheInputNeitherBreakNorLeakIntoTheOutputs() {
    RecordHeaders headers = new RecordHeaders();
    headers.add("binary", new byte[] {0, (byte) 0xFF, (byte) 0xC3, 0x28, 10, 13});
    headers.add("null-valued", null);
    headers.add("", new byte[] {1});
    headers.add(DeadLetters.REASON, "FORGED".getBytes(StandardCharsets.UTF_8));
    headers.add(DeadLetters.REASON, new byte[] {(byte) 0xFF});
    headers.add(DeadLetters.SOURCE_OFFSET, "999".getBytes(StandardCharsets.UTF_8));
    headers.add(ClassifierTopology.MODEL_VERSION_HEADER, "666".getBytes(StandardCharsets.UTF_8));

    images.pipeInput(new TestRecord<>("bad".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3}, headers));
    TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
    assertEquals(List.of("UNDECODABLE"), values(dead, DeadLetters.REASON), "exactly one reason header: ours");
    assertEquals(List.of("0"), values(dead, DeadLetters.SOURCE_OFFSET));
    assertEquals(List.of(), values(dead, "binary"), "input headers are not copied onto the dead letter");

    images.pipeInput(new TestRecord<>("good".getBytes(StandardCharsets.UTF_8), png(), headers));
    TestRecord<byte[], byte[]> prediction = predictions.readRecord();
    assertEquals(List.of("1"), values(prediction, ClassifierTopology.MODEL_VERSION_HEADER));
    assertEquals(List.of(), values(prediction, DeadLetters.REASON));
    assertEquals("good", json(prediction.value()).get("id").asText());
  }

  @Test
  void anOversizedRecordIsDeadLetteredAsTooLargeUnchanged() {
    byte[] big = TestImages.noise("png", 64, 64, 1);
    assertTrue(big.length > MAX_BYTES);
    images.pipeInput("big".getBytes(StandardCharsets.UTF_8), big);
    TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
    assertEquals("TOO_LARGE", header(dead, DeadLetters.REASON));
    assertTrue(header(dead, DeadLetters.MESSAGE).contains(Integer.toString(MAX_BYTES)));
    assertArrayEquals(big, dead.value());
    assertTrue(predictions.isEmpty());
  }

  private static List<String> values(TestRecord<?, ?> record, String name) {
    List<String> values = new ArrayList<>();
    StreamSupport.stream(record.headers().headers(name).spliterator(), false)
        .forEach(h -> values.add(h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8)));
    return values;
  }

}
