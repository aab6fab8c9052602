package io.imagestream.bench;

import io.imagestream.config.ImagestreamConfig;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * One and then two classifier instances (child JVMs running the real {@code classify} command, same application id) on
 * the same backlog in a 6-partition input topic. Each run has its own application id and output topics, so each
 * classifies the whole backlog. Images/s is taken between two outputs (from a given share of the backlog to 90 %),
 * which leaves out the JVMs' start, the group's first rebalance and, from half-way, most of the JIT's warm-up; the CPU
 * the children and this JVM (the broker and the consumer) use over the same stretch is measured too, for "Scale beyond
 * one machine".
 */
final class ScaleOut {
  static final int PARTITIONS = 6;

  /** One run: how many instances, what they sustained, and what each child's memory peaked at. */
  record Run(int instances, double imagesPerSecond, int expected, int outputs, int lost, int duplicated,
             double classifierCores, double brokerJvmCores, List<ChildClassifier.Memory> memory) {}

  private final Consumer<String> log;
  private final Path workDir;

  ScaleOut(Consumer<String> log, Path workDir) {
    this.log = log;
    this.workDir = workDir;
  }

  /** Produces the backlog once; returns the input topic. */
  String backlog(String bootstrapServers, byte[][] images, int count) {
    String in = "bench-scale-images-" + BenchKafka.runId();
    BenchKafka.createTopics(bootstrapServers, PARTITIONS, in);
    BenchKafka.backlog(bootstrapServers, in, images, count);
    return in;
  }

  /**
   * @param measureFrom where in the backlog the measured stretch starts (a share: 0.1 leaves out JVM start and the
   *     first rebalance; 0.5 also lets the child JVMs' JIT settle on the first half); it ends at 90 %
   */
  Run run(String bootstrapServers, String inputTopic, int count, Path modelFile, int instances, double measureFrom)
      throws Exception {
    String run = BenchKafka.runId();
    String out = "bench-scale-predictions-" + run;
    String dlq = "bench-scale-dlq-" + run;
    BenchKafka.createTopics(bootstrapServers, PARTITIONS, out, dlq);
    Path config = workDir.resolve("classify-" + run + ".properties");
    Files.writeString(config, String.join("\n",
        "bootstrap.servers=" + bootstrapServers,
        "imagestream.topic.images=" + inputTopic,
        "imagestream.topic.predictions=" + out,
        "imagestream.topic.dlq=" + dlq,
        "imagestream.topic.to.label=bench-scale-to-label-" + run,
        "imagestream.topic.models=bench-scale-models-" + run,
        "imagestream.topic.labelled=bench-scale-labelled-" + run,
        "imagestream.classifier.application.id=bench-scale-" + run,
        ImagestreamConfig.ACTIVE_UNCERTAINTY_THRESHOLD + "=" + Benchmark.UNCERTAINTY_THRESHOLD, ""));
    List<ChildClassifier> children = new ArrayList<>();
    try {
      for (int i = 0; i < instances; i++) { // started together: both JVMs load while the other does
        children.add(null);
      }
      List<Thread> starters = new ArrayList<>();
      List<Exception> failures = new ArrayList<>();
      for (int i = 0; i < instances; i++) {
        int index = i;
        Path childLog = workDir.resolve("classify-" + run + "-" + i + ".log");
        Thread t = new Thread(() -> {
          try {
            ChildClassifier child = ChildClassifier.start(config, modelFile, childLog);
            synchronized (children) {
              children.set(index, child);
            }
          } catch (Exception e) {
            synchronized (failures) {
              failures.add(e);
            }
          }
        }, "bench-child-start-" + i);
        t.start();
        starters.add(t);
      }
      for (Thread t : starters) {
        t.join();
      }
      if (!failures.isEmpty()) {
        throw failures.get(0);
      }
      log.accept(String.format("  %d classifier instance(s) started (pids %s), reading %,d images from %s", instances,
          children.stream().map(c -> Long.toString(c.pid())).toList(), count, inputTopic));
      return measure(bootstrapServers, List.of(out, dlq), count, instances, children, measureFrom);
    } finally {
      for (ChildClassifier child : children) {
        if (child != null) {
          child.close();
        }
      }
    }
  }

  private Run measure(String bootstrapServers, List<String> topics, int count, int instances,
                      List<ChildClassifier> children, double measureFrom) {
    int from = Math.max(1, (int) (count * measureFrom));
    int to = Math.max(from + 1, count * 9 / 10);
    long fromNanos = 0;
    long toNanos = 0;
    long[] childCpuFrom = new long[children.size()];
    long[] childCpuTo = new long[children.size()];
    long ownCpuFrom = 0;
    long ownCpuTo = 0;
    Map<String, Integer> seen = new HashMap<>();
    int outputs = 0;
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    long nextProgress = System.nanoTime() + 10_000_000_000L;
    try (KafkaConsumer<byte[], byte[]> consumer = BenchKafka.committedReader(bootstrapServers, topics)) {
      while (seen.size() < count && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          outputs++;
          seen.merge(r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8), 1, Integer::sum);
          if (outputs == from) {
            fromNanos = System.nanoTime();
            ownCpuFrom = ownCpuNanos();
            for (int i = 0; i < children.size(); i++) {
              childCpuFrom[i] = children.get(i).cpuNanos();
            }
          }
          if (outputs == to) {
            toNanos = System.nanoTime();
            ownCpuTo = ownCpuNanos();
            for (int i = 0; i < children.size(); i++) {
              childCpuTo[i] = children.get(i).cpuNanos();
            }
          }
        }
        if (System.nanoTime() > nextProgress) {
          log.accept(String.format("  %d instance(s): %,d of %,d outputs", instances, outputs, count));
          nextProgress += 10_000_000_000L;
        }
      }
    }
    if (toNanos == 0) {
      throw new IllegalStateException("only " + outputs + " of " + count + " outputs within 10 minutes; "
          + children.get(0).tail());
    }
    try {
      Thread.sleep(500); // let the samplers see the end of the run
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    double seconds = (toNanos - fromNanos) / 1e9;
    double rate = (to - from) / seconds;
    double childCpu = 0;
    for (int i = 0; i < children.size(); i++) {
      childCpu += childCpuFrom[i] < 0 || childCpuTo[i] < 0 ? Double.NaN : (childCpuTo[i] - childCpuFrom[i]);
    }
    double classifierCores = childCpu / 1e9 / seconds;
    double ownCores = ownCpuFrom < 0 ? Double.NaN : (ownCpuTo - ownCpuFrom) / 1e9 / seconds;
    int lost = 0;
    for (int i = 0; i < count; i++) {
      if (!seen.containsKey("img-" + i)) {
        lost++;
      }
    }
    int duplicated = (int) seen.values().stream().filter(n -> n > 1).count();
    List<ChildClassifier.Memory> memory = children.stream().map(ChildClassifier::memory).toList();
    return new Run(instances, rate, count, outputs, lost, duplicated, classifierCores, ownCores, memory);
  }

  /** CPU time of this JVM (the embedded broker, the consumer, and idle bench threads), or -1. */
  static long ownCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  static Path tempDir() throws IOException {
    return Files.createTempDirectory("imagestream-bench-");
  }
}
