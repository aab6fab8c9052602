package io.imagestream.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * {@code GET /metrics} (Prometheus text), {@code GET /health} (200 only while healthy) and {@code GET /ready}, on the
 * JDK's own HTTP server: three read-only endpoints need no web framework.
 */
public final class MetricsServer implements AutoCloseable {
  private final HttpServer server;

  private MetricsServer(HttpServer server) {
    this.server = server;
  }

  /** A Prometheus registry with JVM, process and ND4J off-heap meters already bound. */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    Gauge.builder("imagestream.nd4j.offheap.used", () -> org.bytedeco.javacpp.Pointer.physicalBytes())
        .description("Physical memory of the process as JavaCPP (ND4J's native memory manager) sees it")
        .baseUnit("bytes").register(registry);
    // ND4J's CPU backend allocates tensors outside JavaCPP's accounting (Pointer.totalBytes() stays near 0), so what
    // is outside the JVM's own pools is estimated instead: resident memory minus the heap and non-heap in use
    // (committed heap is not subtracted: most of it is reserved, not resident).
    Gauge.builder("imagestream.nd4j.offheap.allocated", MetricsServer::residentOutsideJvmPools)
        .description("Resident memory beyond the JVM's heap and non-heap in use (an estimate): ND4J's tensors and "
            + "workspaces, native libraries, thread stacks")
        .baseUnit("bytes").register(registry);
    return registry;
  }

  static long residentOutsideJvmPools() {
    java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.getMemoryMXBean();
    long jvm = memory.getHeapMemoryUsage().getUsed() + memory.getNonHeapMemoryUsage().getUsed();
    return Math.max(0, org.bytedeco.javacpp.Pointer.physicalBytes() - jvm);
  }

  /** Starts serving on host:port (port 0 picks a free one). */
  public static MetricsServer start(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier healthy,
                                    BooleanSupplier ready) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
      server.createContext("/metrics", exchange -> respond(exchange, 200,
          "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
      server.createContext("/health", exchange -> status(exchange, healthy.getAsBoolean()));
      server.createContext("/ready", exchange -> status(exchange, ready.getAsBoolean()));
      server.setExecutor(Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "metrics-http");
        t.setDaemon(true);
        return t;
      }));
      server.start();
      return new MetricsServer(server);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve metrics on " + host + ":" + port + " (" + e.getMessage()
          + "); choose another --metrics-port", e);
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void status(HttpExchange exchange, boolean ok) throws IOException {
    respond(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "OK\n" : "UNAVAILABLE\n");
  }

  private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
