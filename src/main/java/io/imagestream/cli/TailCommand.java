package io.imagestream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imagestream.config.ImagestreamConfig;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "tail", mixinStandardHelpOptions = true,
    description = {"Prints records of a topic as they arrive, one JSON per line (committed records only).",
        "Prediction values are printed as they are; other records as key, headers, size, partition and offset."})
final class TailCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin
  KafkaOptions kafka;

  @Option(names = "--topic", description = "Topic (default: the predictions topic).")
  String topic;

  @Option(names = "--max", paramLabel = "N", description = "Stop after N records.")
  Long max;

  @Option(names = "--from-beginning", description = "Start from the oldest record instead of new ones.")
  boolean fromBeginning;

  @Option(names = "--timeout-ms", paramLabel = "MS", description = "Stop when nothing arrived for this long.")
  Long idleTimeoutMs;

  @Override
  public Integer call() throws Exception {
    ImagestreamConfig config = kafka.config();
    String name = topic != null ? topic : config.getString(ImagestreamConfig.TOPIC_PREDICTIONS);
    boolean predictions = name.equals(config.getString(ImagestreamConfig.TOPIC_PREDICTIONS));
    ServiceSupport.requireReachable(config);
    try {
      tail(config, name, predictions, spec.commandLine().getOut());
    } catch (AuthenticationException e) {
      throw ServiceSupport.authenticationFailed(config, e);
    }
    return 0;
  }

  /** Prints records of the topic until --max, --timeout-ms or Ctrl-C. */
  private void tail(ImagestreamConfig config, String name, boolean predictions, PrintWriter out) throws Exception {
    Map<String, Object> props = consumerProperties(config);
    AtomicBoolean stop = new AtomicBoolean();
    long printed = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(name, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      if (partitions.isEmpty()) {
        throw new Errors.UserException("topic " + name + " does not exist at " + config.bootstrapServers());
      }
      consumer.assign(partitions);
      if (fromBeginning) {
        consumer.seekToBeginning(partitions);
      } else {
        consumer.seekToEnd(partitions);
      }
      java.lang.Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        stop.set(true);
        consumer.wakeup();
      }));
      long lastArrival = System.currentTimeMillis();
      while (!stop.get() && (max == null || printed < max)) {
        try {
          var records = consumer.poll(Duration.ofMillis(200));
          if (!records.isEmpty()) {
            lastArrival = System.currentTimeMillis();
          } else if (idleTimeoutMs != null && System.currentTimeMillis() - lastArrival > idleTimeoutMs) {
            break;
          }
          for (ConsumerRecord<byte[], byte[]> record : records) {
            out.println(predictions && record.value() != null
                ? new String(record.value(), StandardCharsets.UTF_8) : describe(record));
            printed++;
            if (max != null && printed >= max) {
              break;
            }
          }
          out.flush();
        } catch (org.apache.kafka.common.errors.WakeupException e) {
          break;
        }
      }
    }
  }

  static Map<String, Object> consumerProperties(ImagestreamConfig config) {
    Map<String, Object> props = new HashMap<>(config.clientProperties());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024 * 1024);
    return props;
  }

  private static String describe(ConsumerRecord<byte[], byte[]> record) throws Exception {
    ObjectNode node = JSON.createObjectNode();
    node.put("key", record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8));
    ObjectNode headers = node.putObject("headers");
    for (Header header : record.headers()) {
      headers.put(header.key(), header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8));
    }
    node.put("size", record.value() == null ? -1 : record.value().length);
    node.put("topic", record.topic());
    node.put("partition", record.partition());
    node.put("offset", record.offset());
    node.put("timestamp", record.timestamp());
    return JSON.writeValueAsString(node);
  }
}
