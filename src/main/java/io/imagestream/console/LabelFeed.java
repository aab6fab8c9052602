package io.imagestream.console;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads to-label and labelled-images from their beginning into the {@link LabelQueue}: the queue is what to-label
 * holds minus what labelled-images already has. The page waits until both are read up to where they ended at start
 * ({@link #ready()}), so it never offers an image someone labelled before. While the queue is full, to-label is paused
 * and its newer images wait on the topic.
 */
final class LabelFeed implements Runnable, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LabelFeed.class);
  static final String PREDICTION_HEADER = "imagestream.prediction";

  private final ConsoleSettings settings;
  private final LabelQueue queue;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private volatile boolean started;
  private volatile boolean ready;
  private List<TopicPartition> toLabelPartitions = List.of();
  private Map<TopicPartition, Long> startEnds = Map.of();

  LabelFeed(ConsoleSettings settings, LabelQueue queue) {
    this.settings = settings;
    this.queue = queue;
    this.consumer = KafkaClients.consumer(settings);
  }

  void prepare(Duration timeout) {
    toLabelPartitions = KafkaClients.partitions(consumer, List.of(settings.toLabel()), timeout);
    List<TopicPartition> all = KafkaClients.partitions(consumer, List.of(settings.toLabel(), settings.labelled()),
        timeout);
    consumer.assign(all);
    consumer.seekToBeginning(all);
    startEnds = consumer.endOffsets(all, timeout);
  }

  /** Whether both topics have been read up to where they ended when the console started. */
  boolean ready() {
    return ready;
  }

  @Override
  public void run() {
    started = true;
    boolean paused = false;
    try {
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          accept(record);
        }
        if (!ready) {
          ready = caughtUp(paused);
        }
        if (queue.full() != paused) {
          paused = !paused;
          if (paused) {
            consumer.pause(toLabelPartitions);
          } else {
            consumer.resume(toLabelPartitions);
          }
        }
        queue.moreWaiting(paused && behind(toLabelPartitions));
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("the labelling feed stopped: {}", e.toString());
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private boolean caughtUp(boolean toLabelPaused) {
    for (Map.Entry<TopicPartition, Long> end : startEnds.entrySet()) {
      boolean pausedHere = toLabelPaused && end.getKey().topic().equals(settings.toLabel());
      if (!pausedHere && consumer.position(end.getKey()) < end.getValue()) {
        return false;
      }
    }
    return true;
  }

  private boolean behind(List<TopicPartition> partitions) {
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(5));
    return partitions.stream().anyMatch(p -> consumer.position(p) < ends.getOrDefault(p, 0L));
  }

  private void accept(ConsumerRecord<byte[], byte[]> record) {
    String id = record.key() != null ? new String(record.key(), StandardCharsets.UTF_8)
        : record.topic() + "-" + record.partition() + "-" + record.offset();
    if (record.topic().equals(settings.labelled())) {
      queue.labelled(id);
      return;
    }
    if (record.key() == null || record.value() == null) {
      return; // the classifier always keys to-label records; anything else is not ours to offer
    }
    PredictionJson p;
    try {
      p = PredictionJson.parse(record.headers().lastHeader(PREDICTION_HEADER) == null ? null
          : record.headers().lastHeader(PREDICTION_HEADER).value());
    } catch (IllegalArgumentException e) {
      LOG.debug("skipping to-label {}@{}: {}", record.partition(), record.offset(), e.getMessage());
      return;
    }
    if (p.probabilities().isEmpty()) {
      return; // no classes to offer as buttons
    }
    long version = p.modelVersion() >= 0 ? p.modelVersion()
        : LiveFeed.parseLong(LiveFeed.header(record, LiveFeed.MODEL_VERSION_HEADER));
    queue.offer(new LabelQueue.Queued(id, record.key(), new Coordinates(record.topic(), record.partition(),
        record.offset()), record.timestamp(), p.label(), p.probability(), p.top(3), p.classNames(), version,
        record.value().length));
  }

  @Override
  public void close() {
    running.set(false);
    if (started) {
      consumer.wakeup();
    } else {
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
