package io.imagestream.cli;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.metrics.MetricsServer;
import io.imagestream.model.LoadedModel;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "classify", mixinStandardHelpOptions = true,
    description = "The classifier service: reads images, writes one prediction (or dead letter) per image.")
final class ClassifyCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Option(names = "--model", paramLabel = "FILE",
      description = "Model artifact (default: imagestream.model.file, else the model bundled in the jar).")
  Path model;

  @Option(names = "--metrics-port", defaultValue = "9400", description = "Port of /metrics and /health (default: ${DEFAULT-VALUE}; 0 picks one).")
  int metricsPort;

  @Option(names = "--batch-size", description = "Images per micro-batch (" + ImagestreamConfig.BATCH_SIZE
      + ", default " + ImagestreamConfig.DEFAULT_BATCH_SIZE + ").")
  Integer batchSize;

  @Option(names = "--batch-max-wait-ms", description = "Longest wait of a buffered image ("
      + ImagestreamConfig.BATCH_MAX_WAIT_MS + ", default " + ImagestreamConfig.DEFAULT_BATCH_MAX_WAIT_MS + ").")
  Long batchMaxWaitMs;

  @Override
  public Integer call() {
    Map<String, String> settings = new HashMap<>();
    if (batchSize != null) {
      settings.put(ImagestreamConfig.BATCH_SIZE, batchSize.toString());
    }
    if (batchMaxWaitMs != null) {
      settings.put(ImagestreamConfig.BATCH_MAX_WAIT_MS, batchMaxWaitMs.toString());
    }
    ImagestreamConfig config = kafka.config(settings);
    ServiceSupport.ensureServiceTopics(config);
    PrometheusMeterRegistry registry = MetricsServer.newRegistry();
    RunningClassifier classifier = RunningClassifier.start(config, model, registry);
    MetricsServer metrics = MetricsServer.start(config.getString(ImagestreamConfig.METRICS_HOST), metricsPort,
        registry, classifier::isRunning, classifier::isRunning);
    LoadedModel loaded = classifier.initial;
    System.out.printf("classifying %s -> %s with model %s v%d (%s, from %s); metrics on http://%s:%d/metrics%n",
        config.getString(ImagestreamConfig.TOPIC_IMAGES), config.getString(ImagestreamConfig.TOPIC_PREDICTIONS),
        loaded.metadata().name(), loaded.metadata().version(), loaded.inputShape(), classifier.initialSource,
        config.getString(ImagestreamConfig.METRICS_HOST), metrics.port());
    System.out.flush();
    ServiceSupport.runUntilStopped(null, () -> {
      classifier.close();
      metrics.close();
    }, classifier.service.fatal());
    return 0;
  }
}
