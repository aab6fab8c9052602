package io.imagestream.bench;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.InputShape;
import io.imagestream.kafka.EmbeddedKafkaBroker;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.NativeBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A/B of two sets of classifier settings in one warmed JVM, alternating: the saturated in-process pipeline on the
 * bench's 64x64 JPEG backlog, then (with -Dhalfload=RATE) the half-load latency at that rate. Run by
 * bench/settings-ab.sh, e.g. {@code bench/settings-ab.sh "commit.interval.ms=100" "commit.interval.ms=30"}.
 * With -Dprofile=FILE (and async-profiler's jar on the class path) side A's runs are profiled (CPU time, or with
 * -Dprofile.event=alloc the bytes allocated): the saturated ones,
 * and the half-load ones (warm-up and window) into FILE with "-halfload" before its extension.
 * With -Dswap=true every half-load run publishes a new model version 15 s into its 30 s window and prints the worst
 * batch around the swap against the median, as the bench's hot-swap row does.
 */
public final class SettingsAB {
  public static void main(String[] args) throws Exception {
    Map<String, String> a = parse(args.length > 0 ? args[0] : "");
    Map<String, String> b = parse(args.length > 1 ? args[1] : "");
    int pairs = Integer.getInteger("pairs", 3);
    int count = Integer.getInteger("images", 20_000);
    double halfLoadRate = Double.parseDouble(System.getProperty("halfload", "0"));
    String kindName = System.getProperty("kind", "JPEG_64");
    String profile = System.getProperty("profile");
    // -Dprofile.event=alloc profiles allocations (bytes by allocation site) instead of CPU time; alloc-live only the
    // objects still alive when the profile stops (what lives for seconds, and so is copied by young collections)
    String profileEvent = switch (System.getProperty("profile.event", "cpu")) {
      case "alloc" -> "event=alloc";
      case "alloc-live" -> "event=alloc,live";
      default -> "event=cpu,interval=5ms";
    };
    boolean saturated = Boolean.parseBoolean(System.getProperty("saturated", "true"));
    boolean swap = Boolean.getBoolean("swap");
    InputShape rgb64 = new InputShape(64, 64, 3);
    NativeBackend.useThreadsPerCall(ImagestreamConfig.defaults().getInt(ImagestreamConfig.INFERENCE_THREADS));
    NativeBackend.init();
    Benchmark bench = new Benchmark(new Benchmark.Settings(Duration.ofSeconds(10), 5000, 1, 6, 60_000), s -> {});
    BenchImages.Kind kind = BenchImages.Kind.valueOf(kindName);
    // the model the full bench runs for this input: the 28x28x1 default model for grey PNGs, else the 64x64x3 CNN
    LoadedModel model = kind.grey ? BenchmarkReport.defaultModel() : Benchmark.untrained(rgb64);
    LoadedModel next = swap ? BenchmarkReport.nextVersion(model) : null;
    byte[] nextArtifact = swap ? io.imagestream.model.ModelArtifact.toBytes(next.network(), next.metadata()) : null;
    Object profiler = profile == null ? null
        : Class.forName("one.profiler.AsyncProfiler").getMethod("getInstance").invoke(null);
    try (BrokerUnderTest broker = Boolean.getBoolean("broker.jvm") ? BrokerUnderTest.child()
        : BrokerUnderTest.embedded()) {
      byte[][] images = BenchImages.make(kind, 200, kind.ordinal());
      bench.warmUpPipeline(broker.bootstrapServers(), model, images, 32);
      for (int p = 0; p < (saturated ? pairs : 0); p++) {
        for (int side = 0; side < 2; side++) {
          Map<String, String> settings = side == 0 ? a : b;
          if (profiler != null && side == 0) {
            profiler.getClass().getMethod("execute", String.class).invoke(profiler, "start,threads," + profileEvent);
          }
          long cpu0 = cpuNanos();
          long t0 = System.nanoTime();
          double rate = bench.pipelineOnce(broker.bootstrapServers(), model, images, 32, count, settings);
          double cores = (cpuNanos() - cpu0) / (double) (System.nanoTime() - t0);
          if (profiler != null && side == 0) {
            profiler.getClass().getMethod("execute", String.class).invoke(profiler, "stop,file=" + profile);
          }
          System.out.printf("pipeline, %s, pair %d, %s: %.0f images/s (%.2f cores over the whole run)%n",
              kind.label, p, side == 0 ? "A " + a : "B " + b, rate, cores);
        }
      }
      if (halfLoadRate > 0) {
        HalfLoad halfLoad = new HalfLoad(s -> {});
        for (int p = 0; p < pairs; p++) {
          for (int side = 0; side < 2; side++) {
            Map<String, String> settings = side == 0 ? a : b;
            if (profiler != null && side == 0) {
              profiler.getClass().getMethod("execute", String.class)
                  .invoke(profiler, "start,threads," + profileEvent);
            }
            double startedS = uptimeSeconds();
            HalfLoad.Result r = halfLoad.run(broker.bootstrapServers(), kind.label, model, next, nextArtifact, images,
                halfLoadRate, new HalfLoad.Settings(Duration.ofSeconds(10), Duration.ofSeconds(30),
                    swap ? Duration.ofSeconds(15) : null, settings));
            if (profiler != null && side == 0) {
              profiler.getClass().getMethod("execute", String.class).invoke(profiler,
                  "stop,file=" + profile.replaceFirst("(\\.[a-z]+)?$", "-halfload$1"));
            }
            System.out.printf("halfload, %s at %.0f/s, pair %d, %s: p50 %.0f p95 %.0f p99 %.0f ms; until read p99 %.0f;"
                    + " until classified p50 %.0f p99 %.0f; %.2f cores (JIT %.0f %%, warm-up %.0f s);"
                    + " commits %.0f/s avg %.1f max %.0f ms; batch p50 %.0f images, %.1f ms (p99 %.1f);"
                    + " GC pauses %d, max %d, total %d ms; lost %d dup %d [JVM uptime %.0f-%.0f s]%n", kind.label,
                halfLoadRate, p,
                side == 0 ? "A " + a : "B " + b, r.latencyMs().p50(), r.latencyMs().p95(), r.latencyMs().p99(),
                r.untilReceivedMs().p99(), r.untilClassifiedMs().p50(), r.untilClassifiedMs().p99(), r.coresBusy(),
                100 * r.window().jitShare(), r.window().warmUpSeconds(), r.commits().perSecond(),
                r.commits().avgMs(), r.commits().maxMs(), r.batchSize().p50(), r.batchMs().p50(), r.batchMs().p99(),
                r.window().gc().count(), r.window().gc().maxMs(), r.window().gc().totalMs(), r.lost(), r.duplicated(),
                startedS, uptimeSeconds());
            HalfLoad.Swap w = r.swap();
            if (w != null) {
              System.out.printf("halfload swap, pair %d, %s: %s; worst %.1f ms (%d images) / median %.1f = %.2f, %s;"
                      + " GC in it %d ms; control %.1f ms = %.2f, GC in it %d ms; load + warm-up %.2f s, publish to"
                      + " swap %.2f s; first v2 batch %.1f ms; p99 in the swap window %.0f ms%n", p, side == 0 ? "A " + a : "B " + b,
                  w.happened() ? "swapped" : "NO SWAP", w.worstBatchMs(), w.worstBatchSize(), w.medianBatchMs(),
                  w.worstOverMedian(), w.whenWorst(), w.worstBatchGcMs(), w.controlWorstBatchMs(),
                  w.controlWorstBatchMs() / w.medianBatchMs(), w.controlWorstBatchGcMs(), w.loadSeconds(),
                  (w.swappedAtMs() - w.publishedAtMs()) / 1e3, w.firstNewBatchMs(), w.latencyInWindow().p99());
            }
          }
        }
      }
    }
  }

  /** For matching a run with a GC log's uptime decorations (-Xlog:gc*:file=F:uptime). */
  private static double uptimeSeconds() {
    return java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() / 1e3;
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** "k=v;k=v" to a map (empty: the product's defaults). */
  private static Map<String, String> parse(String spec) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String kv : spec.split(";")) {
      if (!kv.isBlank()) {
        int eq = kv.indexOf('=');
        m.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
      }
    }
    return m;
  }

  /** The broker: in this JVM (as the full bench runs it), or with -Dbroker.jvm=true in a JVM of its own. */
  private record BrokerUnderTest(String bootstrapServers, AutoCloseable stop) implements AutoCloseable {
    static BrokerUnderTest embedded() throws Exception {
      EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null,
          Map.of("group.initial.rebalance.delay.ms", "3000"));
      return new BrokerUnderTest(broker.bootstrapServers(), broker);
    }

    /** `imagestream broker` in a child JVM on a free port, with the JVM's default flags. */
    static BrokerUnderTest child() throws Exception {
      int port;
      try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", ChildClassifier.classpath(), "io.imagestream.cli.Main", "broker", "--port",
          Integer.toString(port))
          .redirectErrorStream(true).redirectOutput(Path.of("target/settings-ab/broker.log").toFile()).start();
      Path log = Path.of("target/settings-ab/broker.log");
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (!(Files.exists(log) && Files.readString(log).contains("broker ready on"))) { // after its topics
        if (System.nanoTime() > deadline || !process.isAlive()) {
          process.destroyForcibly();
          throw new IllegalStateException("the child broker did not start: see " + log);
        }
        Thread.sleep(100);
      }
      return new BrokerUnderTest("127.0.0.1:" + port, () -> {
        process.destroy();
        process.waitFor();
      });
    }

    @Override
    public void close() throws Exception {
      stop.close();
    }
  }
}
