package io.imagestream.console;

import io.imagestream.kafka.ModelsTopic;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the models topic: whenever its end moves, reads it (through {@link ModelsTopic}, which knows its format)
 * and keeps a summary of the newest version, the one the trainer published last.
 */
final class ModelWatcher implements Runnable, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelWatcher.class);
  private static final long CHECK_EVERY_MS = 3_000;

  private final ModelsTopic topic;
  private final KafkaConsumer<byte[], byte[]> ends;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private volatile boolean started;
  private final Object sleeper = new Object();
  private volatile ModelSummary newest;
  private volatile int versions;
  private Map<TopicPartition, Long> lastEnds = Map.of();

  ModelWatcher(ConsoleSettings settings) {
    this.topic = new ModelsTopic(settings.clientProperties(), settings.models());
    this.ends = KafkaClients.consumer(settings);
  }

  /** The newest version on the models topic, or null while there is none. */
  ModelSummary newest() {
    return newest;
  }

  int versions() {
    return versions;
  }

  @Override
  public void run() {
    started = true;
    try {
      while (running.get()) {
        try {
          check();
        } catch (RuntimeException e) {
          LOG.warn("cannot read the models topic {}: {}", topic.topic(), e.toString());
        }
        synchronized (sleeper) {
          if (running.get()) {
            sleeper.wait(CHECK_EVERY_MS);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      ends.close(Duration.ofSeconds(5));
    }
  }

  private void check() {
    List<TopicPartition> partitions = KafkaClients.partitions(ends, List.of(topic.topic()), Duration.ofSeconds(10));
    if (!ends.assignment().containsAll(partitions)) {
      ends.assign(partitions); // else read_committed endOffsets warns about unassigned partitions
    }
    Map<TopicPartition, Long> now = ends.endOffsets(partitions, Duration.ofSeconds(10));
    if (now.equals(lastEnds)) {
      return;
    }
    List<ModelsTopic.Entry> entries = topic.readAll(Duration.ofSeconds(60));
    versions = (int) entries.stream().mapToLong(ModelsTopic.Entry::version).distinct().count();
    entries.stream().max(Comparator.comparingLong(ModelsTopic.Entry::version))
        .flatMap(e -> ModelSummary.of(e.artifact(), e.version()))
        .ifPresent(s -> newest = s);
    lastEnds = now;
  }

  @Override
  public void close() {
    running.set(false);
    synchronized (sleeper) {
      sleeper.notifyAll();
    }
    if (!started) {
      ends.close(Duration.ofSeconds(5));
    }
  }
}
