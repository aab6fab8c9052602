package io.imagestream.testing;

import io.imagestream.kafka.KafkaTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads whole topics the way a downstream consumer would: committed records only (read_committed). */
public final class TopicReader {
  private TopicReader() {}

  /** A read_committed consumer assigned every partition of the topics, positioned at their beginning. */
  private static KafkaConsumer<byte[], byte[]> atBeginning(String bootstrapServers, List<String> topics) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024 * 1024);
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : topics) {
      consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  /**
   * Reads every committed record of the topics from the beginning until {@code done} holds for what was read so far,
   * or the timeout passes (then returns what it has, for the caller's assertion to show).
   */
  public static List<ConsumerRecord<byte[], byte[]>> readUntil(List<String> topics, Duration timeout,
                                                               Predicate<List<ConsumerRecord<byte[], byte[]>>> done) {
    return readUntil(KafkaTestCluster.bootstrapServers(), topics, timeout, done);
  }

  /** {@link #readUntil(List, Duration, Predicate)} on another broker than the shared one. */
  public static List<ConsumerRecord<byte[], byte[]>> readUntil(String bootstrapServers, List<String> topics,
      Duration timeout, Predicate<List<ConsumerRecord<byte[], byte[]>>> done) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = atBeginning(bootstrapServers, topics)) {
      List<TopicPartition> partitions = new ArrayList<>(consumer.assignment());
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline && !done.test(records)) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  /**
   * Reads until at least {@code count} records arrived and then on to the end of every partition as it stands, so that
   * any extra record (a duplicate) already written is read too.
   */
  public static List<ConsumerRecord<byte[], byte[]>> readAtLeast(List<String> topics, int count, Duration timeout) {
    return readAtLeast(KafkaTestCluster.bootstrapServers(), topics, count, timeout);
  }

  /** {@link #readAtLeast(List, int, Duration)} on another broker than the shared one. */
  public static List<ConsumerRecord<byte[], byte[]>> readAtLeast(String bootstrapServers, List<String> topics,
                                                                 int count, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = atBeginning(bootstrapServers, topics)) {
      List<TopicPartition> partitions = new ArrayList<>(consumer.assignment());
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline && records.size() < count) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions); // last stable offsets under read_committed
      while (System.nanoTime() < deadline
          && partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  /**
   * The sum over the topics' partitions of their last stable offsets (what read_committed readers can reach): it only
   * grows, and it grows when committed output is added, so it tells cheaply whether a stream is moving.
   */
  /** Per partition: the offset up to which read_committed consumers can read. */
  public static java.util.Map<org.apache.kafka.common.TopicPartition, Long> committedEnds(String bootstrapServers,
                                                                                          List<String> topics) {
    try (KafkaConsumer<byte[], byte[]> consumer = atBeginning(bootstrapServers, topics)) {
      return consumer.endOffsets(consumer.assignment());
    }
  }

  public static long committedEnd(String bootstrapServers, List<String> topics) {
    try (KafkaConsumer<byte[], byte[]> consumer = atBeginning(bootstrapServers, topics)) {
      return consumer.endOffsets(consumer.assignment()).values().stream().mapToLong(Long::longValue).sum();
    }
  }
}
