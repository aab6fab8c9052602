package io.imagestream.cli;

import io.imagestream.classify.ClassifierService;
import io.imagestream.classify.ModelFollower;
import io.imagestream.classify.ServingModel;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.NativeBackend;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The classifier as the commands run it: the starting model (a file given, else the newest valid version on the
 * models topic, else the default model), the streams service, and the follower that hot-swaps newer versions.
 */
final class RunningClassifier implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RunningClassifier.class);

  final ClassifierService service;
  final ModelFollower follower;
  final LoadedModel initial;
  final String initialSource;

  private RunningClassifier(ClassifierService service, ModelFollower follower, LoadedModel initial, String source) {
    this.service = service;
    this.follower = follower;
    this.initial = initial;
    this.initialSource = source;
  }

  static RunningClassifier start(ImagestreamConfig config, Path modelFile, MeterRegistry registry) {
    if (!NativeBackend.useThreadsPerCall(config.getInt(ImagestreamConfig.INFERENCE_THREADS))) {
      LOG.warn("{}={} applies from the next start: ND4J was loaded already with {} threads per call",
          ImagestreamConfig.INFERENCE_THREADS, config.getInt(ImagestreamConfig.INFERENCE_THREADS),
          NativeBackend.threadsPerCall());
    }
    ClassifierMetrics metrics = new ClassifierMetrics(registry);
    ModelsTopic models = new ModelsTopic(config.clientProperties(), config.getString(ImagestreamConfig.TOPIC_MODELS));
    String name = config.getString(ImagestreamConfig.MODEL_NAME);
    LoadedModel initial;
    String source;
    if (modelFile != null) {
      initial = ServiceSupport.loadModel(modelFile, config);
      source = modelFile.toString();
    } else {
      Optional<LoadedModel> published = ModelFollower.newestValid(models.readAll(Duration.ofSeconds(60)), name,
          metrics, config.modelSigningKey());
      initial = published.orElseGet(() -> ServiceSupport.loadModel(null, config));
      source = published.isPresent() ? "topic " + models.topic() : "default model";
    }
    // oneDNN builds its kernels at the first call of each batch shape: pay that before the first images arrive.
    initial.warmUp(config.getInt(ImagestreamConfig.BATCH_SIZE));
    initial.warmUp(1);
    ServingModel serving = new ServingModel(initial);
    ClassifierService service = new ClassifierService(config, serving, metrics);
    ModelFollower follower = ModelFollower.of(config, models, initial.metadata().name(), serving, metrics);
    follower.start();
    service.start();
    return new RunningClassifier(service, follower, initial, source);
  }

  /** For /health and /ready: running and connected to its group coordinator (see ClassifierService#isProcessing). */
  boolean isRunning() {
    return service.isProcessing();
  }

  @Override
  public void close() {
    follower.close();
    service.close();
  }
}
