package io.imagestream.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Counts the records arriving on the output topic (read_committed, from its end offsets at creation), noting the
 * arrival times (ArrivalClock): Benchmark's measurement of the Java pipeline, for the peer.
 */
final class PeerOutputClock implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private final AtomicInteger expected;
  private volatile boolean stop;
  private volatile int seen;
  private final ArrivalClock clock;
  private volatile RuntimeException failure;

  PeerOutputClock(String bootstrap, String topic, int expected) {
    this.expected = new AtomicInteger(expected);
    this.clock = new ArrivalClock(expected);
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position); // fix the starting point now, before the peer produces
    thread = new Thread(this::count, "python-peer-output-clock");
    thread.setDaemon(true);
    thread.start();
  }

  private void count() {
    try {
      while (!stop && seen < expected.get()) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        long now = System.nanoTime();
        for (int i = 0; i < records.count(); i++) {
          clock.arrived(now);
          seen++;
        }
      }
    } catch (RuntimeException e) {
      failure = e;
    }
  }

  void expect(int count) {
    expected.set(count);
  }

  int seen() {
    return seen;
  }

  /** Waits for the expected count, then returns the steady rate (ArrivalClock) in records per second. */
  double await(Duration timeout) {
    try {
      thread.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (failure != null) {
      throw new IllegalStateException("reading the peer's predictions failed: " + failure, failure);
    }
    if (thread.isAlive() || seen < expected.get()) {
      throw new IllegalStateException("only " + seen + " of " + expected.get() + " peer predictions arrived");
    }
    return clock.steadyRate();
  }

  @Override
  public void close() {
    stop = true;
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    consumer.close(Duration.ofSeconds(5));
  }
}
