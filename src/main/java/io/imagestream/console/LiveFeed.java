package io.imagestream.console;

import io.imagestream.kafka.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads images, predictions and dead letters into the {@link LiveView}, starting a little before the end so the page
 * has something to show at once (those records are history: they do not count in the rates).
 */
final class LiveFeed implements Runnable, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LiveFeed.class);
  static final String MODEL_VERSION_HEADER = "imagestream.model.version";

  private final ConsoleSettings settings;
  private final LiveView view;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private volatile boolean started;
  private Map<TopicPartition, Long> historyEnds = Map.of();

  LiveFeed(ConsoleSettings settings, LiveView view) {
    this.settings = settings;
    this.view = view;
    this.consumer = KafkaClients.consumer(settings);
  }

  /** Assigns the partitions and positions the consumer; fails with a one-line reason when a topic is missing. */
  void prepare(Duration timeout) {
    List<TopicPartition> partitions = KafkaClients.partitions(consumer,
        List.of(settings.images(), settings.predictions(), settings.deadLetters()), timeout);
    consumer.assign(partitions);
    Map<TopicPartition, Long> begins = consumer.beginningOffsets(partitions, timeout);
    historyEnds = consumer.endOffsets(partitions, timeout);
    for (TopicPartition p : partitions) {
      long back = p.topic().equals(settings.deadLetters()) ? settings.recentDeadLetters()
          : 2L * settings.recentImages(); // images: enough for the predictions read back to find theirs
      consumer.seek(p, Math.max(begins.get(p), historyEnds.get(p) - back));
    }
  }

  @Override
  public void run() {
    started = true;
    try {
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          accept(record);
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("the live feed stopped: {}", e.toString());
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void accept(ConsumerRecord<byte[], byte[]> record) {
    Long end = historyEnds.get(new TopicPartition(record.topic(), record.partition()));
    boolean counted = end == null || record.offset() >= end;
    String topic = record.topic();
    if (topic.equals(settings.images())) {
      view.image(new Coordinates(topic, record.partition(), record.offset()), record.value());
    } else if (topic.equals(settings.predictions())) {
      try {
        view.prediction(PredictionJson.parse(record.value()), parseLong(header(record, MODEL_VERSION_HEADER)),
            counted);
      } catch (IllegalArgumentException e) {
        LOG.debug("skipping {}-{}@{}: {}", topic, record.partition(), record.offset(), e.getMessage());
      }
    } else if (topic.equals(settings.deadLetters())) {
      String sourceTopic = header(record, DeadLetters.SOURCE_TOPIC);
      long partition = parseLong(header(record, DeadLetters.SOURCE_PARTITION));
      long offset = parseLong(header(record, DeadLetters.SOURCE_OFFSET));
      Coordinates source = sourceTopic == null || partition < 0 || offset < 0 ? null
          : new Coordinates(sourceTopic, (int) partition, offset);
      String id = record.key() == null ? topic + "-" + record.partition() + "-" + record.offset()
          : new String(record.key(), StandardCharsets.UTF_8);
      view.deadLetter(id, orEmpty(header(record, DeadLetters.REASON)), orEmpty(header(record, DeadLetters.MESSAGE)),
          source, record.timestamp(), counted);
    }
  }

  static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  static long parseLong(String s) {
    try {
      return s == null ? -1 : Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  @Override
  public void close() {
    running.set(false);
    if (started) {
      consumer.wakeup(); // the feed's thread closes it
    } else {
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
