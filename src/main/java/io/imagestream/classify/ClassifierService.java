package io.imagestream.classify;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.metrics.ClassifierMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The classifier as a running service: the topology inside a KafkaStreams instance, with its lifecycle. */
public final class ClassifierService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClassifierService.class);

  private final KafkaStreams streams;
  private final ServingModel model;
  private final KafkaStreamsMetrics streamsMetrics;

  public ClassifierService(ImagestreamConfig config, ServingModel model, ClassifierMetrics metrics) {
    this(config, model, metrics, ClassifierStreamsConfig.of(config));
  }

  public ClassifierService(ImagestreamConfig config, ServingModel model, ClassifierMetrics metrics,
                           Properties streamsProperties) {
    this.model = model;
    this.streams = new KafkaStreams(ClassifierTopology.build(config, model, metrics), streamsProperties);
    // A failure we did not foresee restarts the thread; exactly-once makes the retry safe.
    streams.setUncaughtExceptionHandler(e -> {
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

  public KafkaStreams streams() {
    return streams;
  }

  public ServingModel model() {
    return model;
  }

  public boolean isRunning() {
    return streams.state() == KafkaStreams.State.RUNNING;
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
    streamsMetrics.close();
  }
}
