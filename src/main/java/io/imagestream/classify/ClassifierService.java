package io.imagestream.classify;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.AccessDenied;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.model.NativeBackend;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The classifier as a running service: the topology inside a KafkaStreams instance, with its lifecycle. */
public final class ClassifierService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClassifierService.class);

  /** The consumer session timeout (ClassifierStreamsConfig): a member silent for longer is out of its group anyway. */
  private static final double HEARTBEAT_STALE_SECONDS = 10;

  private final KafkaStreams streams;
  private final ServingModel model;
  private final KafkaStreamsMetrics streamsMetrics;
  private final DecodePool decoder;
  private final NetworkPool network;
  private final Properties streamsProperties;
  private final java.util.concurrent.CompletableFuture<String> fatal = new java.util.concurrent.CompletableFuture<>();

  public ClassifierService(ImagestreamConfig config, ServingModel model, ClassifierMetrics metrics) {
    this(config, model, metrics, ClassifierStreamsConfig.of(config));
  }

  public ClassifierService(ImagestreamConfig config, ServingModel model, ClassifierMetrics metrics,
                           Properties streamsProperties) {
    this.model = model;
    this.streamsProperties = streamsProperties;
    int streamThreads = ClassifierStreamsConfig.streamThreads(config);
    NativeBackend.oversubscription(streamThreads, NativeBackend.threadsPerCall(),
        Runtime.getRuntime().availableProcessors()).ifPresent(LOG::warn);
    this.decoder = ClassifierTopology.decodePool(config);
    this.network = ClassifierTopology.networkPool(config);
    this.streams = new KafkaStreams(ClassifierTopology.build(config, model, metrics, decoder, network),
        streamsProperties);
    // A failure we did not foresee restarts the thread; exactly-once makes the retry safe. A missing ACL would only
    // fail again: the instance stops and says which one.
    String applicationId = config.getString(ImagestreamConfig.APPLICATION_ID);
    streams.setUncaughtExceptionHandler(e -> {
      java.util.Optional<String> denied = AccessDenied.describe(e, applicationId, applicationId + "-*");
      if (denied.isPresent()) {
        LOG.error("{}", denied.get());
        fatal.complete(denied.get());
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      }
      LOG.error("stream thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    metrics.modelServed(model.current().metadata().version());
    // Kafka Streams' own metrics (process rate, commit latency, consumer lag per partition...) as Micrometer meters.
    this.streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(metrics.registry());
  }

  public void start() {
    streams.start();
  }

  /** Completes with a one-line reason when the classifier stopped for good (e.g. a missing ACL). */
  public java.util.concurrent.CompletableFuture<String> fatal() {
    return fatal;
  }

  public KafkaStreams streams() {
    return streams;
  }

  /** Kafka Streams' state.dir (for tests: it is gone once the service is closed). */
  String stateDir() {
    return String.valueOf(streamsProperties.get(StreamsConfig.STATE_DIR_CONFIG));
  }

  public ServingModel model() {
    return model;
  }

  public boolean isRunning() {
    return streams.state() == KafkaStreams.State.RUNNING;
  }

  /**
   * What /health calls "processing": the streams state is RUNNING and every stream thread's consumer sent its group
   * coordinator a heartbeat within the session timeout. Why the second half: when the broker goes away, Kafka Streams
   * stays RUNNING (it retries for task.timeout.ms), so the state alone would report a classifier that can neither read
   * nor commit as healthy. A consumer sends no heartbeat while its coordinator is unknown or unreachable, so the age of
   * the last one (Kafka's own "last-heartbeat-seconds-ago" metric, -1 before the first) is a cheap connectivity check.
   */
  public boolean isProcessing() {
    if (streams.state() != KafkaStreams.State.RUNNING) {
      return false;
    }
    boolean anyThread = false;
    for (Map.Entry<MetricName, ? extends Metric> metric : streams.metrics().entrySet()) {
      MetricName name = metric.getKey();
      if (name.group().equals("consumer-coordinator-metrics") && name.name().equals("last-heartbeat-seconds-ago")) {
        anyThread = true;
        Object value = metric.getValue().metricValue();
        double secondsAgo = value instanceof Number n ? n.doubleValue() : -1;
        if (secondsAgo < 0 || secondsAgo > HEARTBEAT_STALE_SECONDS) {
          return false;
        }
      }
    }
    return anyThread;
  }

  @Override
  public void close() {
    boolean closed = streams.close(Duration.ofSeconds(30));
    streamsMetrics.close();
    if (closed) { // a stream thread still running may still use it
      try {
        ClassifierStreamsConfig.deleteFreshStateDir(streamsProperties);
      } catch (UncheckedIOException e) { // a leftover folder is no reason to skip the rest of the close
        LOG.warn("{}", e.getMessage());
      }
    }
    decoder.shutdown();
    network.shutdown();
  }
}
