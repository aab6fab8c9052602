package io.imagestream.bench;

import io.imagestream.kafka.TopicInitializer;
import io.imagestream.kafka.TopicSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Topics, backlogs and read_committed consumers on the benchmark's throwaway broker. */
final class BenchKafka {
  private BenchKafka() {}

  /** A short random suffix so that every run has its own topics and application id. */
  static String runId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  static Map<String, Object> client(String bootstrapServers) {
    return Map.of("bootstrap.servers", bootstrapServers);
  }

  static void createTopics(String bootstrapServers, int partitions, String... names) {
    List<TopicSpec> specs = new ArrayList<>();
    for (String name : names) {
      specs.add(new TopicSpec(name, partitions, (short) 1, Map.of("max.message.bytes", "16777216")));
    }
    try (Admin admin = Admin.create(client(bootstrapServers))) {
      new TopicInitializer(admin).ensure(specs, Duration.ofSeconds(60));
    }
  }

  /**
   * Deletes a finished measurement's topics (and its classifier's changelog), so that the broker carries no earlier
   * measurement's gigabytes into the next one (warm-ups and photo backlogs add up). Best effort: a topic that is
   * already gone, or a slow deletion, is no reason to stop the benchmark.
   */
  static void deleteTopics(String bootstrapServers, String... names) {
    try (Admin admin = Admin.create(client(bootstrapServers))) {
      admin.deleteTopics(List.of(names)).all().get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      // kept: the topics stay on the broker until it stops
    }
  }

  /** Produces {@code count} images (keys img-0...) as fast as the producer goes, and waits for all acks. */
  static void backlog(String bootstrapServers, String topic, byte[][] images, int count) {
    Map<String, Object> props = new HashMap<>(client(bootstrapServers));
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < count; i++) {
        producer.send(new ProducerRecord<>(topic, key(i), images[i % images.length]));
      }
      producer.flush();
    }
  }

  static byte[] key(int i) {
    return ("img-" + i).getBytes(StandardCharsets.UTF_8);
  }

  /** A read_committed consumer assigned to every partition of the topics, from the beginning. */
  static KafkaConsumer<byte[], byte[]> committedReader(String bootstrapServers, List<String> topics) {
    Map<String, Object> props = new HashMap<>(client(bootstrapServers));
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    topics.forEach(t -> consumer.partitionsFor(t, Duration.ofSeconds(60))
        .forEach(p -> partitions.add(new TopicPartition(t, p.partition()))));
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }
}
