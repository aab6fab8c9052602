package io.imagestream.cli;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.AccessDenied;
import io.imagestream.metrics.MetricsServer;
import io.imagestream.metrics.TrainerMetrics;
import io.imagestream.train.TrainerService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"The trainer sidecar: learns from the labelled-images topic, checks each candidate on held-out "
        + "images against the live model, and publishes it to the models topic only if it is not worse.",
        "Settings: imagestream.trainer.* (docs/reference.md)."})
final class TrainCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Option(names = "--metrics-port", defaultValue = "9401", description = "Port of /metrics and /health (default: ${DEFAULT-VALUE}; 0 picks one).")
  int metricsPort;

  @Option(names = "--min-new-labels", description = "Retrain after this many new labels ("
      + ImagestreamConfig.TRAINER_MIN_NEW_LABELS + ", default " + ImagestreamConfig.DEFAULT_TRAINER_MIN_NEW_LABELS + ").")
  Integer minNewLabels;

  @Option(names = "--epochs", description = "Epochs per retraining (" + ImagestreamConfig.TRAINER_EPOCHS + ", default "
      + ImagestreamConfig.DEFAULT_TRAINER_EPOCHS + ").")
  Integer epochs;

  @Override
  public Integer call() throws Exception {
    Map<String, String> settings = new HashMap<>();
    if (minNewLabels != null) {
      settings.put(ImagestreamConfig.TRAINER_MIN_NEW_LABELS, minNewLabels.toString());
    }
    if (epochs != null) {
      settings.put(ImagestreamConfig.TRAINER_EPOCHS, epochs.toString());
    }
    ImagestreamConfig config = kafka.config(settings);
    ServiceSupport.ensureServiceTopics(config);
    PrometheusMeterRegistry registry = MetricsServer.newRegistry();
    TrainerService trainer = new TrainerService(config, ServiceSupport.loadModel(null, config),
        new TrainerMetrics(registry), TrainCommand::event);
    AtomicBoolean alive = new AtomicBoolean(true);
    MetricsServer metrics = MetricsServer.start(config.getString(ImagestreamConfig.METRICS_HOST), metricsPort,
        registry, alive::get, alive::get);
    Thread loop = new Thread(() -> {
      try {
        trainer.run();
      } catch (RuntimeException e) {
        alive.set(false);
        System.err.println("imagestream train: " + AccessDenied.describe(e,
            config.getString(ImagestreamConfig.TRAINER_GROUP_ID), TrainerService.transactionalId(config))
            .orElse(Errors.describe(e)));
        new Thread(() -> System.exit(1), "trainer-exit").start(); // not from this thread: the hook joins it
      } finally {
        alive.set(false);
      }
    }, "trainer");
    loop.start();
    System.out.printf("trainer started; metrics on http://%s:%d/metrics%n",
        config.getString(ImagestreamConfig.METRICS_HOST), metrics.port());
    ServiceSupport.runUntilStopped(null, () -> {
      trainer.close();
      try {
        loop.join(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      metrics.close();
    });
    return alive.get() ? 0 : 1;
  }

  static void event(String line) {
    System.out.println("[trainer " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + "] " + line);
  }
}
