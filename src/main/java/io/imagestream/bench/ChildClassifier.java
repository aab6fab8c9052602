package io.imagestream.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real {@code classify} command in a child JVM (so that its memory and CPU are its own, not the broker's and
 * the producer's): {@code java -cp <this JVM's classpath> io.imagestream.cli.Main classify --config F --model M
 * --metrics-port 0}, with no JVM flags (as {@code java -jar imagestream.jar classify} runs). While it runs, a sampler
 * reads its peak and current RSS (VmHWM, VmRSS from /proc/PID/status) and ND4J's off-heap gauges from its /metrics.
 * The child is always stopped: {@link #close()} (SIGTERM, then SIGKILL after 20 s) and a shutdown hook of this JVM.
 */
final class ChildClassifier implements AutoCloseable {
  private static final Pattern METRICS_LINE = Pattern.compile("metrics on http://([^:/]+):(\\d+)/metrics");
  static final String OFFHEAP_ALLOCATED = "imagestream_nd4j_offheap_allocated_bytes";
  static final String OFFHEAP_PHYSICAL = "imagestream_nd4j_offheap_used_bytes";

  /** What the sampler saw (bytes); -1 where it could not read. */
  record Memory(long peakRssBytes, long lastRssBytes, long peakOffHeapAllocatedBytes,
                long peakOffHeapPhysicalBytes, long peakHeapUsedBytes, long peakOutsideJvmBytes) {}

  private final Process process;
  private final Path log;
  private final Thread shutdownHook;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final AtomicLong peakRss = new AtomicLong(-1);
  private final AtomicLong lastRss = new AtomicLong(-1);
  private final AtomicLong peakOffHeap = new AtomicLong(-1);
  private final AtomicLong peakPhysical = new AtomicLong(-1);
  private final AtomicLong peakHeap = new AtomicLong(-1);
  private final AtomicLong peakOutsideJvm = new AtomicLong(-1);
  private volatile URI metrics;
  private volatile boolean sampling = true;
  private Thread sampler;

  private ChildClassifier(Process process, Path log) {
    this.process = process;
    this.log = log;
    this.shutdownHook = new Thread(process::destroyForcibly, "bench-child-killer");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts the child and waits until its metrics endpoint is up (the classifier is then starting its streams). */
  static ChildClassifier start(Path configFile, Path modelFile, Path log) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classpath(), "io.imagestream.cli.Main", "classify", "--config", configFile.toString(),
        "--model", modelFile.toString(), "--metrics-port", "0"));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    ChildClassifier child = new ChildClassifier(process, log);
    try {
      child.awaitMetrics(Duration.ofSeconds(180));
      child.startSampler();
      return child;
    } catch (IOException | InterruptedException | RuntimeException e) {
      child.close();
      throw e;
    }
  }

  /** This JVM's classpath with absolute entries (under {@code java -jar}, the jar, whose manifest names lib/). */
  static String classpath() {
    List<String> entries = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (entry.isEmpty()) {
        continue;
      }
      entries.add(entry.endsWith("*") ? Path.of(entry.substring(0, entry.length() - 1)).toAbsolutePath() + "/*"
          : Path.of(entry).toAbsolutePath().toString());
    }
    return String.join(java.io.File.pathSeparator, entries);
  }

  long pid() {
    return process.pid();
  }

  private void awaitMetrics(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log)) {
        Matcher m = METRICS_LINE.matcher(Files.readString(log, StandardCharsets.UTF_8));
        if (m.find()) {
          metrics = URI.create("http://" + m.group(1) + ":" + m.group(2) + "/metrics");
          return;
        }
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("the child classifier exited with " + process.exitValue() + ": " + tail());
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the child classifier did not start within " + timeout.toSeconds() + " s: "
        + tail());
  }

  private void startSampler() {
    sampler = new Thread(() -> {
      while (sampling && process.isAlive()) {
        sample();
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "bench-child-sampler-" + process.pid());
    sampler.setDaemon(true);
    sampler.start();
  }

  private void sample() {
    readStatus();
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5))
          .build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200) {
        String text = response.body();
        metricValue(text, OFFHEAP_ALLOCATED).ifPresent(v -> peakOffHeap.accumulateAndGet((long) v, Math::max));
        metricValue(text, OFFHEAP_PHYSICAL).ifPresent(v -> peakPhysical.accumulateAndGet((long) v, Math::max));
        long heap = (long) sumMetric(text, "jvm_memory_used_bytes", "area=\"heap\"");
        if (heap > 0) {
          peakHeap.accumulateAndGet(heap, Math::max);
        }
        // RSS beyond what the JVM has committed for heap and non-heap pools: native libraries, ND4J's buffers and
        // workspaces, thread stacks, malloc arenas (an upper bound of ND4J's share, read at the same moment)
        double committed = sumMetric(text, "jvm_memory_committed_bytes", "area=");
        long rss = lastRss.get();
        if (committed > 0 && rss > 0) {
          peakOutsideJvm.accumulateAndGet(rss - (long) committed, Math::max);
        }
      }
    } catch (IOException e) {
      // the child is starting or stopping: the next sample will do
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void readStatus() {
    Path status = Path.of("/proc", Long.toString(process.pid()), "status");
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmHWM:")) {
          peakRss.accumulateAndGet(kib(line) * 1024, Math::max);
        } else if (line.startsWith("VmRSS:")) {
          long rss = kib(line) * 1024;
          lastRss.set(rss);
          peakRss.accumulateAndGet(rss, Math::max);
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone already, or no /proc: leave -1
    }
  }

  private static long kib(String statusLine) {
    return Long.parseLong(statusLine.replaceAll("[^0-9]", ""));
  }

  /** The value of an unlabelled gauge in Prometheus text, if present. */
  static OptionalDouble metricValue(String prometheusText, String name) {
    for (String line : prometheusText.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        String[] parts = line.trim().split("\\s+");
        try {
          return OptionalDouble.of(Double.parseDouble(parts[parts.length - 1]));
        } catch (NumberFormatException e) {
          return OptionalDouble.empty();
        }
      }
    }
    return OptionalDouble.empty();
  }

  /** The sum of a metric's series whose labels contain {@code labelFilter}. */
  static double sumMetric(String prometheusText, String name, String labelFilter) {
    double sum = 0;
    for (String line : prometheusText.split("\n")) {
      if (line.startsWith(name + "{") && line.contains(labelFilter)) {
        String[] parts = line.trim().split("\\s+");
        try {
          sum += Double.parseDouble(parts[parts.length - 1]);
        } catch (NumberFormatException e) {
          // skip
        }
      }
    }
    return sum;
  }

  /** CPU time the child has used so far (user + system), or -1. */
  long cpuNanos() {
    return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
  }

  /** Peak figures so far; reads /proc once more first (VmHWM is the kernel's own high-water mark). */
  Memory memory() {
    readStatus();
    return new Memory(peakRss.get(), lastRss.get(), peakOffHeap.get(), peakPhysical.get(), peakHeap.get(),
        peakOutsideJvm.get());
  }

  String tail() {
    try (InputStream in = Files.newInputStream(log)) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return text.substring(Math.max(0, text.length() - 2000));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    sampling = false;
    try {
      if (process.isAlive()) {
        process.destroy(); // SIGTERM: the classifier closes its streams cleanly
        if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      if (sampler != null) {
        sampler.interrupt();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook runs anyway
      }
    }
  }
}
