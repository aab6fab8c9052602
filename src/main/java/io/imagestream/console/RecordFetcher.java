package io.imagestream.console;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads one record's value back from where it is on a topic, so the labelling queue need not hold image bytes; the
 * most recently read ones are cached within a byte budget (a person looks at an image, then labels it).
 */
final class RecordFetcher implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final long budgetBytes;
  private final LinkedHashMap<Coordinates, byte[]> cache = new LinkedHashMap<>(16, 0.75f, true);
  private long cachedBytes;

  RecordFetcher(ConsoleSettings settings) {
    this.consumer = KafkaClients.consumer(settings);
    this.budgetBytes = settings.bufferBytes();
  }

  /** The record's value, or null when it is no longer on the topic (retention) or cannot be read in time. */
  synchronized byte[] value(Coordinates at) {
    byte[] cached = cache.get(at);
    if (cached != null) {
      return cached;
    }
    TopicPartition partition = new TopicPartition(at.topic(), at.partition());
    consumer.assign(List.of(partition));
    consumer.seek(partition, at.offset());
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
        if (record.offset() == at.offset()) {
          remember(at, record.value());
          return record.value();
        }
        if (record.offset() > at.offset()) {
          return null; // compacted or deleted
        }
      }
      if (consumer.position(partition) > at.offset()) {
        return null;
      }
    }
    return null;
  }

  private void remember(Coordinates at, byte[] value) {
    if (value == null || value.length > budgetBytes) {
      return;
    }
    cache.put(at, value);
    cachedBytes += value.length;
    Iterator<Map.Entry<Coordinates, byte[]>> eldest = cache.entrySet().iterator();
    while (cachedBytes > budgetBytes && eldest.hasNext()) {
      cachedBytes -= eldest.next().getValue().length;
      eldest.remove();
    }
  }

  @Override
  public synchronized void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
