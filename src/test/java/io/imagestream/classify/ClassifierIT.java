package io.imagestream.classify;

import io.imagestream.kafka.DeadLetters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.KafkaTestCluster;
import io.imagestream.kafka.TopicSpec;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.testing.TestModels;
import io.imagestream.testing.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The classifier against a real broker, with exactly-once, in this JVM. */
class ClassifierIT {

  /** Unique topics and application id for one test, so tests share the broker without seeing each other. */
  record Setup(ImagestreamConfig config, String images, String predictions, String dlq) {
    static Setup create(String name) {
      String images = KafkaTestCluster.uniqueTopic(name + "-images");
      String predictions = KafkaTestCluster.uniqueTopic(name + "-predictions");
      String dlq = KafkaTestCluster.uniqueTopic(name + "-dlq");
      for (String topic : List.of(images, predictions, dlq)) {
        KafkaTestCluster.createTopics(new TopicSpec(topic, 3, (short) 1, Map.of("max.message.bytes", "16777216")));
      }
      Map<String, String> settings = new HashMap<>();
      settings.put(ImagestreamConfig.BOOTSTRAP_SERVERS, KafkaTestCluster.bootstrapServers());
      settings.put(ImagestreamConfig.TOPIC_IMAGES, images);
      settings.put(ImagestreamConfig.TOPIC_PREDICTIONS, predictions);
      settings.put(ImagestreamConfig.TOPIC_DLQ, dlq);
      settings.put(ImagestreamConfig.APPLICATION_ID, KafkaTestCluster.uniqueTopic(name + "-app"));
      settings.put(ImagestreamConfig.BATCH_SIZE, "32");
      settings.put(ImagestreamConfig.BATCH_MAX_WAIT_MS, "20");
      return new Setup(ImagestreamConfig.of(settings), images, predictions, dlq);
    }
  }

  static KafkaProducer<byte[], byte[]> producer() {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestCluster.bootstrapServers());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    return record.headers().lastHeader(name) == null ? null : utf8(record.headers().lastHeader(name).value());
  }

  @Test
  void aThousandImagesAcrossThreePartitionsGiveExactlyAThousandCorrectPredictionsInOrder() throws Exception {
    Setup setup = Setup.create("bulk");
    Map<String, String> truth = new HashMap<>();
    Random random = new Random(5);
    String stateDir;
    try (ClassifierService service = new ClassifierService(setup.config, new ServingModel(TestModels.darkLight()),
        ClassifierMetrics.discarding())) {
      stateDir = service.stateDir();
      service.start();
      try (KafkaProducer<byte[], byte[]> producer = producer()) {
        for (int i = 0; i < 1000; i++) {
          String label = random.nextBoolean() ? "dark" : "light";
          String format = i % 3 == 0 ? "jpeg" : i % 3 == 1 ? "png" : "bmp";
          String id = "img-" + i;
          truth.put(id, label);
          producer.send(new ProducerRecord<>(setup.images, i % 3, id.getBytes(StandardCharsets.UTF_8),
              TestImages.solid(format, 40 + i % 50, 30 + i % 70, TestModels.colourOf(label, random))));
        }
      }
      List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readAtLeast(List.of(setup.predictions, setup.dlq), 1000,
          Duration.ofSeconds(120));
      assertEquals(1000, out.size(), "one output per input");
      Set<String> ids = new HashSet<>();
      Map<Integer, Long> lastOffset = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> record : out) {
        assertEquals(setup.predictions, record.topic(), "no valid image is dead-lettered");
        Prediction p = Prediction.fromJson(record.value());
        assertTrue(ids.add(p.id()), "duplicate " + p.id());
        assertEquals(truth.get(p.id()), p.label(), p.id());
        assertEquals(p.id(), utf8(record.key()));
        long previous = lastOffset.getOrDefault(p.source().partition(), -1L);
        assertTrue(p.source().offset() > previous, "input order per partition");
        lastOffset.put(p.source().partition(), p.source().offset());
      }
      assertEquals(truth.keySet(), ids);
    }
    assertFalse(Files.exists(Path.of(stateDir)), "no state folder left behind: " + stateDir);
  }

  /**
   * Images read as they are produced commit right after their batches (caught-up commits); a backlog of images an
   * hour old commits at commit.interval.ms only. Either way every image has exactly one prediction.
   */
  @Test
  void aLiveStreamCommitsRightAfterItsBatchesAndABacklogAtTheInterval() throws Exception {
    double live = caughtUpCommits(500, 0);
    assertTrue(live >= 1, "live (read as produced): " + live + " caught-up commits");
    long anHourAgo = System.currentTimeMillis() - 3_600_000L;
    assertEquals(0.0, caughtUpCommits(500, anHourAgo), "a backlog: read an hour after its timestamps");
  }

  /**
   * Runs a classifier, sends {@code count} images once it is running (timestamped {@code timestamp}, 0: now),
   * checks one prediction each, and returns how many caught-up commits it asked for.
   */
  private static double caughtUpCommits(int count, long timestamp) throws Exception {
    Setup setup = Setup.create(timestamp == 0 ? "live" : "backlog");
    ClassifierMetrics metrics = ClassifierMetrics.discarding();
    try (ClassifierService service = new ClassifierService(setup.config, new ServingModel(TestModels.darkLight()),
        metrics)) {
      service.start();
      Awaitility.await("the classifier running").atMost(Duration.ofSeconds(60)).until(service::isRunning);
      try (KafkaProducer<byte[], byte[]> producer = producer()) {
        for (int i = 0; i < count; i++) {
          producer.send(new ProducerRecord<>(setup.images, i % 3, timestamp == 0 ? null : timestamp,
              ("img-" + i).getBytes(StandardCharsets.UTF_8), TestImages.solid("png", 24, 24, java.awt.Color.BLACK)));
        }
      }
      List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readAtLeast(List.of(setup.predictions, setup.dlq),
          count, Duration.ofSeconds(120));
      Set<String> ids = new HashSet<>();
      out.forEach(r -> assertTrue(ids.add(utf8(r.key())) && r.topic().equals(setup.predictions), utf8(r.key())));
      assertEquals(count, ids.size(), "one prediction per image");
    }
    double caughtUp = metrics.registry().find("imagestream.commits.requested").tag("reason", "caught_up")
        .counters().stream().mapToDouble(c -> c.count()).sum();
    return caughtUp;
  }

  @Test
  void multiMegabytePhotosFlowThroughEveryLimit() {
    Setup setup = Setup.create("large");
    byte[] photo = TestImages.noise("png", 1600, 1200, 3); // random pixels do not compress: several MB
    assertTrue(photo.length > 4 * 1024 * 1024, "test photo is only " + photo.length + " bytes");
    try (ClassifierService service = new ClassifierService(setup.config, new ServingModel(TestModels.darkLight()),
        ClassifierMetrics.discarding())) {
      service.start();
      try (KafkaProducer<byte[], byte[]> producer = producer()) {
        for (int i = 0; i < 3; i++) {
          producer.send(new ProducerRecord<>(setup.images, ("photo-" + i).getBytes(StandardCharsets.UTF_8), photo));
        }
      }
      List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readAtLeast(List.of(setup.predictions, setup.dlq), 3,
          Duration.ofSeconds(120));
      assertEquals(3, out.size());
      out.forEach(r -> assertEquals(setup.predictions, r.topic(), "classified, not dead-lettered"));
    }
  }

  @Test
  void everyKindOfBadInputIsDeadLetteredWithItsReasonAndTheImagesAroundItAreClassified() {
    Setup setup = Setup.create("bad");
    Map<String, TestImages.BadInput> bad = TestImages.badInputs(9);
    assertTrue(bad.size() >= 20, "at least 20 kinds of bad input");
    List<String> good = new ArrayList<>();
    try (ClassifierService service = new ClassifierService(setup.config, new ServingModel(TestModels.darkLight()),
        ClassifierMetrics.discarding())) {
      service.start();
      try (KafkaProducer<byte[], byte[]> producer = producer()) {
        int i = 0;
        for (Map.Entry<String, TestImages.BadInput> entry : bad.entrySet()) {
          String before = "good-" + i++;
          good.add(before);
          producer.send(new ProducerRecord<>(setup.images, before.getBytes(StandardCharsets.UTF_8),
              TestImages.solid("png", 20, 20, java.awt.Color.DARK_GRAY)));
          producer.send(new ProducerRecord<>(setup.images, entry.getKey().getBytes(StandardCharsets.UTF_8),
              entry.getValue().bytes()));
        }
      }
      int expected = good.size() + bad.size();
      List<ConsumerRecord<byte[], byte[]>> out = TopicReader.readAtLeast(List.of(setup.predictions, setup.dlq),
          expected, Duration.ofSeconds(120));
      assertEquals(expected, out.size());
      Set<String> predicted = new HashSet<>();
      Set<String> dead = new HashSet<>();
      for (ConsumerRecord<byte[], byte[]> record : out) {
        String key = utf8(record.key());
        if (record.topic().equals(setup.dlq)) {
          TestImages.BadInput input = bad.get(key);
          assertEquals(input.expected().name(), header(record, DeadLetters.REASON), key);
          assertTrue(java.util.Arrays.equals(input.bytes(), record.value()), key + " unchanged");
          assertEquals(setup.images, header(record, DeadLetters.SOURCE_TOPIC));
          assertTrue(dead.add(key));
        } else {
          assertTrue(predicted.add(Prediction.fromJson(record.value()).id()));
        }
      }
      assertEquals(bad.keySet(), dead);
      assertEquals(new HashSet<>(good), predicted);
    }
  }
}
