package io.imagestream.console;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The console's own Kafka clients: read_committed consumers without a group, and the labels' producer. */
final class KafkaClients {
  private KafkaClients() {}

  static KafkaConsumer<byte[], byte[]> consumer(ConsoleSettings settings) {
    Map<String, Object> props = new HashMap<>(settings.clientProperties());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, settings.maxRecordBytes());
    props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, settings.maxRecordBytes());
    props.remove(ConsumerConfig.GROUP_ID_CONFIG); // assigned partitions, no group: nothing to rebalance or commit
    return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** As {@code publish --label} sends: idempotent, acknowledged by all in-sync replicas. */
  static KafkaProducer<byte[], byte[]> producer(ConsoleSettings settings) {
    Map<String, Object> props = new HashMap<>(settings.clientProperties());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, settings.maxRecordBytes());
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Every partition of the topics; one line naming the topic when one does not exist. */
  static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, List<String> topics, Duration timeout) {
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : topics) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist (create the topics with 'topics')");
      }
      infos.forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
    }
    return partitions;
  }
}
