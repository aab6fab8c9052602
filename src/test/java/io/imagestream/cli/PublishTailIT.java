package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.testing.TopicReader;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** publish and tail against a real broker, configured through a --config file naming the test's own topics. */
class PublishTailIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  /** Unique images, labelled and predictions topics, and a config file naming them. */
  record Topics(String images, String labelled, String predictions, Path config) {
    static Topics create(Path dir, String name) throws IOException {
      String images = KafkaTestCluster.uniqueTopic(name + "-images");
      String labelled = KafkaTestCluster.uniqueTopic(name + "-labelled");
      String predictions = KafkaTestCluster.uniqueTopic(name + "-predictions");
      for (String topic : List.of(images, labelled, predictions)) {
        KafkaTestCluster.createTopics(new TopicSpec(topic, 3, (short) 1, Map.of()));
      }
      Path config = Files.writeString(dir.resolve(name + ".properties"), String.join("\n",
          "imagestream.topic.images=" + images,
          "imagestream.topic.labelled=" + labelled,
          "imagestream.topic.predictions=" + predictions,
          "client.id=publish-tail-it",
          ""));
      return new Topics(images, labelled, predictions, config);
    }

    /** The command followed by the connection options, then the rest. */
    String[] args(String command, String... rest) {
      String[] all = new String[5 + rest.length];
      all[0] = command;
      all[1] = "--config";
      all[2] = config.toString();
      all[3] = "--bootstrap-servers";
      all[4] = KafkaTestCluster.bootstrapServers();
      System.arraycopy(rest, 0, all, 5, rest.length);
      return all;
    }
  }

  @Test
  void publishAFolderKeysEachImageByItsRelativePath(@TempDir Path dir) throws IOException {
    Topics topics = Topics.create(dir, "publish");
    Path images = dir.resolve("pictures");
    Map<String, byte[]> expected = new HashMap<>();
    expected.put("a.png", write(images.resolve("a.png"), TestImages.solid("png", 8, 8, Color.RED)));
    expected.put("sub/b.jpg", write(images.resolve("sub/b.jpg"), TestImages.solid("jpeg", 9, 7, Color.BLUE)));
    expected.put("sub/deeper/c.bmp", write(images.resolve("sub/deeper/c.bmp"), TestImages.noise("bmp", 6, 6, 3)));
    write(images.resolve("sub/readme.txt"), "not an image".getBytes(StandardCharsets.UTF_8));

    CliTest.Run run = CliTest.run(topics.args("publish", images.toString()));
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("published 3 images to " + topics.images()), run.toString());

    List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAtLeast(List.of(topics.images()), 3, READ_TIMEOUT);
    assertEquals(3, records.size());
    for (ConsumerRecord<byte[], byte[]> record : records) {
      String key = utf8(record.key());
      assertTrue(expected.containsKey(key), key);
      assertArrayEquals(expected.get(key), record.value(), key);
      assertNull(record.headers().lastHeader("label"), key);
    }
    assertEquals(expected.keySet(), keys(records));
    assertEquals(0, recordCount(topics.labelled()), "nothing went to the labelled topic");
  }

  @Test
  void labelFromFolderSendsToTheLabelledTopicWithTheClassAsHeader(@TempDir Path dir) throws IOException {
    Topics topics = Topics.create(dir, "labelled");
    Path data = dir.resolve("data");
    write(data.resolve("cats/x.png"), TestImages.solid("png", 8, 8, Color.BLACK));
    write(data.resolve("dogs/y.png"), TestImages.solid("png", 8, 8, Color.WHITE));
    write(data.resolve("dogs/more/z.gif"), TestImages.solid("gif", 8, 8, Color.WHITE));
    write(data.resolve("loose.png"), TestImages.solid("png", 8, 8, Color.GRAY)); // no class folder: not sent

    CliTest.Run run = CliTest.run(topics.args("publish", "--label-from-folder", data.toString()));
    assertEquals(0, run.exitCode(), run.toString());

    List<ConsumerRecord<byte[], byte[]>> records =
        TopicReader.readAtLeast(List.of(topics.labelled()), 3, READ_TIMEOUT);
    Map<String, String> labels = new HashMap<>();
    records.forEach(r -> labels.put(utf8(r.key()), utf8(r.headers().lastHeader("label").value())));
    assertEquals(Map.of("cats/x.png", "cats", "dogs/y.png", "dogs", "dogs/more/z.gif", "dogs"), labels);
    assertEquals(3, records.size());
    assertEquals(0, recordCount(topics.images()), "nothing went to the images topic");
  }

  @Test
  void labelGivesEveryFileThatLabel(@TempDir Path dir) throws IOException {
    Topics topics = Topics.create(dir, "label");
    Path file = dir.resolve("file.png");
    byte[] bytes = write(file, TestImages.solid("png", 8, 8, Color.ORANGE));

    CliTest.Run run = CliTest.run(topics.args("publish", "--label", "cat", file.toString()));
    assertEquals(0, run.exitCode(), run.toString());

    List<ConsumerRecord<byte[], byte[]>> records =
        TopicReader.readAtLeast(List.of(topics.labelled()), 1, READ_TIMEOUT);
    assertEquals(1, records.size());
    assertEquals("file.png", utf8(records.get(0).key()));
    assertEquals("cat", utf8(records.get(0).headers().lastHeader("label").value()));
    assertArrayEquals(bytes, records.get(0).value());
  }

  @Test
  void tailPrintsRecordsOfOtherTopicsAsDescriptions(@TempDir Path dir) throws IOException {
    Topics topics = Topics.create(dir, "tail");
    Path images = dir.resolve("images");
    Map<String, Integer> sizes = new HashMap<>();
    for (int i = 0; i < 4; i++) {
      byte[] bytes = write(images.resolve("img-" + i + ".png"), TestImages.noise("png", 5 + i, 5, i));
      sizes.put("img-" + i + ".png", bytes.length);
    }
    assertEquals(0, CliTest.run(topics.args("publish", images.toString())).exitCode());

    CliTest.Run run = CliTest.run(topics.args("tail", "--topic", topics.images(), "--from-beginning", "--max", "3",
        "--timeout-ms", "20000"));
    assertEquals(0, run.exitCode(), run.toString());
    assertEquals(3, run.outLines().size(), run.toString());
    Set<String> positions = new HashSet<>();
    for (String line : run.outLines()) {
      JsonNode node = JSON.readTree(line);
      String key = node.get("key").asText();
      assertTrue(sizes.containsKey(key), line);
      assertEquals(sizes.get(key), node.get("size").asInt(), line);
      assertTrue(node.get("headers").isObject() && node.get("headers").isEmpty(), line);
      assertEquals(topics.images(), node.get("topic").asText(), line);
      int partition = node.get("partition").asInt();
      assertTrue(partition >= 0 && partition < 3, line);
      assertTrue(node.get("offset").asLong() >= 0, line);
      positions.add(partition + "/" + node.get("offset").asLong());
    }
    assertEquals(3, positions.size(), "three different records: " + run);
  }

  @Test
  void tailPrintsPredictionsAsTheyAre(@TempDir Path dir) throws IOException {
    Topics topics = Topics.create(dir, "tail-predictions");
    String prediction = "{\"id\":\"a.png\",\"label\":\"cat\",\"probability\":0.9}";
    Map<String, Object> props = Map.of("bootstrap.servers", KafkaTestCluster.bootstrapServers());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topics.predictions(), "a.png".getBytes(StandardCharsets.UTF_8),
          prediction.getBytes(StandardCharsets.UTF_8)));
      producer.flush();
    }
    CliTest.Run run = CliTest.run(topics.args("tail", "--from-beginning", "--max", "1", "--timeout-ms", "20000"));
    assertEquals(0, run.exitCode(), run.toString());
    assertEquals(List.of(prediction), run.outLines());
  }

  /** Records written to a topic so far: the sum of its partitions' end offsets (publish has flushed with acks=all). */
  private static long recordCount(String topic) {
    Map<String, Object> props = Map.of("bootstrap.servers", KafkaTestCluster.bootstrapServers());
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      assertEquals(3, partitions.size(), topic);
      return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private static byte[] write(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
    return bytes;
  }

  private static Set<String> keys(List<ConsumerRecord<byte[], byte[]>> records) {
    Set<String> keys = new HashSet<>();
    records.forEach(r -> keys.add(utf8(r.key())));
    return keys;
  }

  private static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
