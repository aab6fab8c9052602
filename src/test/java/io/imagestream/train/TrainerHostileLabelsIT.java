package io.imagestream.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.TestImages;
import io.imagestream.kafka.DeadLetters;
import io.imagestream.testing.TopicReader;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Hostile labels against a real broker: odd and invalid names, too many classes, relabelled images. */
class TrainerHostileLabelsIT {
  private static final int MAX_CLASSES = 50;
  private static final byte[] PNG = TestImages.solid("png", 16, 16, Color.DARK_GRAY);

  @Test
  void oddLabelsAreClassesInvalidOnesAndClassesBeyondTheLimitAreDeadLetteredAndTheTrainerGoesOn() throws Exception {
    TrainerIT.Setup base = TrainerIT.Setup.create("hostile-labels", 100_000);
    Map<String, String> values = new HashMap<>(base.config().originalsStrings());
    values.put(ImagestreamConfig.TRAINER_MAX_CLASSES, Integer.toString(MAX_CLASSES));
    TrainerIT.Setup setup = new TrainerIT.Setup(ImagestreamConfig.of(values), base.labelled(), base.models(),
        base.dlq());
    String odd = "chat noir / 黑猫 ✓ \"quoted\" 'single' back\\slash <b>&amp;";
    Map<String, byte[]> invalid = new TreeMap<>();
    invalid.put("newline", utf8("cat\nINFO forged log line"));
    invalid.put("carriage-return", utf8("cat\rdog"));
    invalid.put("tab", utf8("cat\tdog"));
    invalid.put("nul", utf8("cat\0dog"));
    invalid.put("bidi-override", utf8("cat\u202Egpj.exe"));
    invalid.put("not-utf8", new byte[] {'c', (byte) 0xC3, 0x28, (byte) 0xFF});
    invalid.put("too-long", utf8("x".repeat(TrainerService.MAX_LABEL_CHARS + 1)));

    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(setup.config().clientProperties(),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      // One partition, so that the order of the classes (and which are over the limit) is fixed.
      send(producer, setup, "odd", utf8(odd));
      send(producer, setup, "relabelled", utf8(odd));
      send(producer, setup, "relabelled", utf8("class-0000")); // the latest label wins
      invalid.forEach((id, label) -> send(producer, setup, id, label));
      ProducerRecord<byte[], byte[]> forged = new ProducerRecord<>(setup.labelled(), 0, utf8("forged"), PNG);
      forged.headers().add(DeadLetters.REASON, utf8("FORGED")); // and no label at all
      producer.send(forged);
      for (int i = 0; i < 1000; i++) {
        send(producer, setup, String.format("img-%04d", i), utf8(String.format("class-%04d", i)));
      }
    }
    // Classes: the odd label, then class-0000 .. class-0048 (49) = 50; class-0049 .. class-0999 (951) refused.
    int tooMany = 1000 - (MAX_CLASSES - 1);
    TrainerIT.RunningTrainer trainer = new TrainerIT.RunningTrainer(setup, null);
    try {
      Awaitility.await().atMost(Duration.ofSeconds(120))
          .until(() -> trainer.service.datasetSize() == 1 + 1 + (MAX_CLASSES - 1));
      List<ConsumerRecord<byte[], byte[]>> dead = TopicReader.readAtLeast(List.of(setup.dlq()),
          tooMany + invalid.size() + 1, Duration.ofSeconds(120));
      Map<String, String> reasons = new TreeMap<>();
      int reasonHeaders = 0;
      for (ConsumerRecord<byte[], byte[]> record : dead) {
        String id = new String(record.key(), StandardCharsets.UTF_8);
        List<String> all = new ArrayList<>();
        for (Header h : record.headers().headers(DeadLetters.REASON)) {
          all.add(new String(h.value(), StandardCharsets.UTF_8));
        }
        assertEquals(1, all.size(), id + ": exactly one reason header, ours: " + all);
        reasonHeaders++;
        reasons.put(id, all.get(0));
      }
      assertEquals(dead.size(), reasonHeaders);
      invalid.keySet().forEach(id -> assertEquals(DeadLetters.INVALID_LABEL, reasons.get(id), id));
      assertEquals(DeadLetters.MISSING_LABEL, reasons.get("forged"));
      assertNull(reasons.get("odd"), "unicode, slashes and quotes are a fine class name");
      assertNull(reasons.get("img-0048"));
      for (int i = MAX_CLASSES - 1; i < 1000; i++) {
        assertEquals(DeadLetters.TOO_MANY_CLASSES, reasons.get(String.format("img-%04d", i)), "img " + i);
      }
      assertEquals(tooMany + invalid.size() + 1, dead.size());

      // Still running: a new image of a known class is accepted.
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(setup.config().clientProperties(),
          new ByteArraySerializer(), new ByteArraySerializer())) {
        send(producer, setup, "late", utf8("class-0001"));
      }
      Awaitility.await().atMost(Duration.ofSeconds(60))
          .until(() -> trainer.service.datasetSize() == 2 + MAX_CLASSES);
      assertTrue(trainer.thread.isAlive(), "the trainer keeps running");
    } finally {
      trainer.close();
    }
    assertEquals(odd, trainer.service.labelOf("odd"));
    assertEquals("class-0000", trainer.service.labelOf("relabelled"), "the latest label wins, counted once");
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, TrainerIT.Setup setup, String id, byte[] label) {
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(setup.labelled(), 0, utf8(id), PNG);
    record.headers().add(TrainerService.LABEL_HEADER, label);
    producer.send(record);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
