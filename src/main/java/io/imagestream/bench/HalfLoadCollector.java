package io.imagestream.bench;

import io.imagestream.classify.ClassifierTopology;
import io.imagestream.classify.Prediction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;

/** The read_committed consumer on predictions and dead letters, on its own thread. */
final class HalfLoadCollector implements AutoCloseable {
  private final String bootstrapServers;
  private final List<String> topics;
  private final OutputLog outputs = new OutputLog();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private volatile RuntimeException failure;
  private Thread thread;

  HalfLoadCollector(String bootstrapServers, List<String> topics) {
    this.bootstrapServers = bootstrapServers;
    this.topics = topics;
  }

  void start() {
    String predictions = topics.get(0);
    thread = new Thread(() -> {
      try (KafkaConsumer<byte[], byte[]> consumer = BenchKafka.committedReader(bootstrapServers, topics)) {
        while (running.get()) {
          var records = consumer.poll(Duration.ofMillis(100));
          long now = System.currentTimeMillis();
          synchronized (this) {
            for (ConsumerRecord<byte[], byte[]> r : records) {
              int index = r.key() == null ? -1 : OutputLog.indexOf(new String(r.key(), StandardCharsets.UTF_8));
              boolean deadLetter = !r.topic().equals(predictions);
              Prediction.Timestamps at = deadLetter ? null : Prediction.fromJson(r.value()).timestamps();
              outputs.add(new OutputLog.Output(index, r.timestamp(), now - r.timestamp(), version(r), deadLetter,
                  r.partition(), at == null ? -1 : at.received() - r.timestamp(),
                  at == null ? -1 : at.classified() - r.timestamp()));
            }
          }
        }
      } catch (RuntimeException e) {
        failure = e;
      }
    }, "bench-collector");
    thread.setDaemon(true);
    thread.start();
  }

  private static long version(ConsumerRecord<byte[], byte[]> r) {
    Header h = r.headers().lastHeader(ClassifierTopology.MODEL_VERSION_HEADER);
    try {
      return h == null ? -1 : Long.parseLong(new String(h.value(), StandardCharsets.UTF_8));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  synchronized int count() {
    return outputs.size();
  }

  synchronized int distinct() {
    if (failure != null) {
      throw failure;
    }
    return outputs.distinct();
  }

  synchronized List<OutputLog.Output> outputs() {
    return outputs.outputs();
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    if (thread != null) {
      thread.join(10_000);
    }
  }
}
