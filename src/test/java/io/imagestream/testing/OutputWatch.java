package io.imagestream.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;

/**
 * Follows output topics as a downstream read_committed consumer would and notes, per record, when it became visible
 * and its timestamp (the input's, which the classifier keeps): the figures of a fault, i.e. how late outputs were and
 * when lateness was over.
 */
public final class OutputWatch implements AutoCloseable {
  /** One output: when this consumer saw it, and the timestamp it carries (ms since the epoch). */
  public record Seen(long visibleMs, long timestampMs) {
    public long latencyMs() {
      return visibleMs - timestampMs;
    }
  }

  /**
   * The figures of one fault: the longest time without any new output after it (the pause, also when the classifier
   * is working through a backlog), the worst latency after it and how long until latency was normal again.
   */
  public record Disruption(long longestPauseMs, long worstLatencyMs, long recoveredAfterMs, long normalP99Ms) {
    @Override
    public String toString() {
      return "no output for " + longestPauseMs + " ms, worst latency " + worstLatencyMs + " ms, normal again after "
          + recoveredAfterMs + " ms (p99 before: " + normalP99Ms + " ms)";
    }
  }

  private final List<Seen> seen = new ArrayList<>(); // guarded by this
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;

  public OutputWatch(String bootstrapServers, List<String> topics) {
    thread = new Thread(() -> follow(bootstrapServers, topics), "output-watch");
    thread.setDaemon(true);
    thread.start();
  }

  private void follow(String bootstrapServers, List<String> topics) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      topics.forEach(t -> consumer.partitionsFor(t).forEach(p -> partitions.add(new TopicPartition(t, p.partition()))));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(50))) {
          long now = System.currentTimeMillis();
          synchronized (this) {
            seen.add(new Seen(now, record.timestamp()));
          }
        }
      }
    } catch (org.apache.kafka.common.errors.InterruptException e) {
      // closing
    }
  }

  public synchronized int count() {
    return seen.size();
  }

  /** Waits until {@code more} outputs beyond those seen now become visible: the stream is moving. */
  public void awaitMoving(int more, Duration timeout) {
    int target = count() + more;
    Awaitility.await("outputs moving").atMost(timeout).pollInterval(Duration.ofMillis(100))
        .until(() -> count() >= target);
  }

  /**
   * The fault at {@code faultMs}: the worst latency of any output made visible after it, and the time from it to the
   * last output that was late (later than max(1 s, 3 x the p99 of the 20 s before it)).
   */
  public Disruption disruption(long faultMs) {
    return disruption(faultMs, Long.MAX_VALUE);
  }

  /** As {@link #disruption(long)}, counting only outputs visible before {@code untilMs} (the next fault). */
  public synchronized Disruption disruption(long faultMs, long untilMs) {
    List<Long> before = seen.stream().filter(s -> s.visibleMs() < faultMs && s.visibleMs() >= faultMs - 20_000)
        .map(Seen::latencyMs).sorted().toList();
    long p99 = before.isEmpty() ? 0 : before.get((int) Math.min(before.size() - 1, Math.ceil(before.size() * 0.99)));
    long late = Math.max(1_000, 3 * p99);
    long worst = 0;
    long lastLate = faultMs;
    long previous = faultMs;
    long pause = 0;
    for (Seen s : seen) {
      if (s.visibleMs() >= faultMs && s.visibleMs() < untilMs) {
        pause = Math.max(pause, s.visibleMs() - previous);
        previous = s.visibleMs();
        worst = Math.max(worst, s.latencyMs());
        if (s.latencyMs() > late) {
          lastLate = Math.max(lastLate, s.visibleMs());
        }
      }
    }
    return new Disruption(pause, worst, lastLate - faultMs, p99);
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join(10_000);
  }
}
