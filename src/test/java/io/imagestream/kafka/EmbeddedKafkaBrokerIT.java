package io.imagestream.kafka;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerIT {
  private static final int MiB = 1024 * 1024;

  @Test
  void idempotentProducerRightAfterTopicCreationLosesNothing() throws Exception {
    String topic = KafkaTestCluster.uniqueTopic("burst");
    KafkaTestCluster.createTopics(new TopicSpec(topic, 3, (short) 1, Map.of()));

    int count = 10_000;
    try (KafkaProducer<String, String> producer = producer(KafkaTestCluster.bootstrapServers(), Map.of())) {
      List<Future<RecordMetadata>> sends = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        sends.add(producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i)));
      }
      producer.flush();
      for (Future<RecordMetadata> send : sends) {
        send.get(); // a failed send fails the test
      }
    }

    List<ConsumerRecord<String, String>> records = readToEnd(KafkaTestCluster.bootstrapServers(), topic, Map.of());
    assertEquals(count, records.size(), "records read back");
    Set<String> keys = records.stream().map(ConsumerRecord::key).collect(Collectors.toSet());
    assertEquals(count, keys.size(), "distinct keys");
    // All three partitions received data (the default partitioner spreads keys).
    assertEquals(3, records.stream().map(ConsumerRecord::partition).distinct().count());
  }

  @Test
  void transactionsCommitAndAbortForReadCommittedConsumers() {
    String topic = KafkaTestCluster.uniqueTopic("tx");
    KafkaTestCluster.createTopics(new TopicSpec(topic, 3, (short) 1, Map.of()));

    Map<String, Object> tx = Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-producer",
        ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000); // initTransactions hangs if the transaction log cannot be created
    try (KafkaProducer<String, String> producer = producer(KafkaTestCluster.bootstrapServers(), tx)) {
      producer.initTransactions();
      producer.beginTransaction();
      for (int i = 0; i < 100; i++) {
        producer.send(new ProducerRecord<>(topic, "committed-" + i, "v"));
      }
      producer.commitTransaction();
      producer.beginTransaction();
      for (int i = 0; i < 50; i++) {
        producer.send(new ProducerRecord<>(topic, "aborted-" + i, "v"));
      }
      producer.flush();
      producer.abortTransaction();
    }

    List<ConsumerRecord<String, String>> committed = readToEnd(KafkaTestCluster.bootstrapServers(), topic,
        Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
    assertEquals(100, committed.size());
    assertTrue(committed.stream().allMatch(r -> r.key().startsWith("committed-")));
    // The aborted records were really written: only the isolation level hides them.
    List<ConsumerRecord<String, String>> all = readToEnd(KafkaTestCluster.bootstrapServers(), topic,
        Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"));
    assertEquals(150, all.size());
  }

  @Test
  void fiveMebibyteRecordRoundTrips() throws Exception {
    String topic = KafkaTestCluster.uniqueTopic("large");
    KafkaTestCluster.createTopics(new TopicSpec(topic, 1, (short) 1,
        Map.of("max.message.bytes", String.valueOf(8 * MiB))));
    byte[] photo = new byte[5 * MiB];
    new Random(42).nextBytes(photo); // incompressible, like a JPEG

    Map<String, Object> producerConfig = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestCluster.bootstrapServers(),
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * MiB,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig)) {
      producer.send(new ProducerRecord<>(topic, "photo", photo)).get();
    }

    Map<String, Object> consumerConfig = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestCluster.bootstrapServers(),
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * MiB,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerConfig)) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
      await().pollInSameThread().atMost(Duration.ofSeconds(30)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        return !records.isEmpty();
      });
      assertEquals(1, records.size());
      assertArrayEquals(photo, records.get(0).value());
    }
  }

  @Test
  void dataSurvivesARestartOnTheSameDataDir(@TempDir Path dataDir) {
    String topic = "kept";
    String clusterId;
    try (EmbeddedKafkaBroker broker = KafkaTestCluster.startDedicated(dataDir)) {
      assertEquals(dataDir, broker.dataDir());
      try (Admin admin = admin(broker)) {
        new TopicInitializer(admin).ensure(List.of(new TopicSpec(topic, 2, (short) 1, Map.of())), Duration.ofSeconds(30));
        clusterId = admin.describeCluster().clusterId().get();
      } catch (InterruptedException | ExecutionException e) {
        throw new AssertionError(e);
      }
      try (KafkaProducer<String, String> producer = producer(broker.bootstrapServers(), Map.of())) {
        for (int i = 0; i < 100; i++) {
          producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i));
        }
        producer.flush();
      }
    }
    assertTrue(Files.exists(dataDir.resolve("meta.properties")), "a given data dir is kept on close");

    try (EmbeddedKafkaBroker broker = KafkaTestCluster.startDedicated(dataDir)) {
      try (Admin admin = admin(broker)) {
        assertEquals(clusterId, admin.describeCluster().clusterId().get(), "same cluster: not reformatted");
        TopicInitializer.Report report = new TopicInitializer(admin)
            .ensure(List.of(new TopicSpec(topic, 2, (short) 1, Map.of())), Duration.ofSeconds(30));
        assertEquals(List.of(topic), report.unchanged());
      } catch (InterruptedException | ExecutionException e) {
        throw new AssertionError(e);
      }
      List<ConsumerRecord<String, String>> records = readToEnd(broker.bootstrapServers(), topic, Map.of());
      assertEquals(100, records.size());
    }
  }

  @Test
  void temporaryDataDirIsDeletedAndCloseIsIdempotent() {
    EmbeddedKafkaBroker broker = KafkaTestCluster.startDedicated(null);
    Path dataDir = broker.dataDir();
    assertTrue(Files.isDirectory(dataDir));
    broker.close();
    broker.close();
    assertFalse(Files.exists(dataDir));
  }

  @Test
  void startFailsFastWhenThePortIsTaken() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      assertThrows(RuntimeException.class, () -> EmbeddedKafkaBroker.start(taken.getLocalPort(), null, Map.of()).close());
    }
  }

  @Test
  void listensOnLoopbackOnly() throws IOException {
    try (EmbeddedKafkaBroker broker = KafkaTestCluster.startDedicated(null)) {
      assertEquals("127.0.0.1:" + broker.port(), broker.bootstrapServers());
      // 127.0.0.2 is a loopback address too, but a socket bound to 127.0.0.1 does not answer there; a socket bound
      // to 0.0.0.0 would. The machine's other addresses must not answer either.
      List<InetAddress> others = new ArrayList<>(List.of(InetAddress.getByName("127.0.0.2")));
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        Collections.list(nic.getInetAddresses()).stream()
            .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
            .forEach(others::add);
      }
      for (int port : List.of(broker.port(), broker.controllerPort())) {
        assertTrue(connects(InetAddress.getByName("127.0.0.1"), port), "listening on 127.0.0.1:" + port);
        for (InetAddress other : others) {
          assertFalse(connects(other, port), "must not listen on " + other.getHostAddress() + ":" + port);
        }
      }
    }
  }

  private static boolean connects(InetAddress address, int port) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(address, port), 2_000);
      return true;
    } catch (ConnectException refused) {
      return false;
    }
  }

  private static Admin admin(EmbeddedKafkaBroker broker) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
  }

  private static KafkaProducer<String, String> producer(String bootstrapServers, Map<String, Object> extra) {
    Map<String, Object> config = new HashMap<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    config.putAll(extra);
    return new KafkaProducer<>(config);
  }

  /** Reads every partition from the beginning up to the end offsets seen at the start (the LSO when read_committed). */
  private static List<ConsumerRecord<String, String>> readToEnd(String bootstrapServers, String topic,
                                                                Map<String, Object> extra) {
    Map<String, Object> config = new HashMap<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class));
    config.putAll(extra);
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      List<ConsumerRecord<String, String>> records = new ArrayList<>();
      await().pollInSameThread().atMost(Duration.ofSeconds(60)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
      });
      return records;
    }
  }
}
