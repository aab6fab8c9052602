package io.imagestream.cli;

import io.imagestream.classify.Prediction;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.console.Console;
import io.imagestream.kafka.EmbeddedKafkaBroker;
import io.imagestream.metrics.MetricsServer;
import io.imagestream.metrics.TrainerMetrics;
import io.imagestream.train.TrainerService;
import io.imagestream.model.LoadedModel;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Everything on one machine: an embedded Kafka broker, the topics, the default model, the classifier "
        + "and metrics; streams sample images and prints predictions with a live throughput line.",
        "Runs until Ctrl-C or --duration, then stops everything and deletes the broker's data."})
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "9092", description = "Broker port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--metrics-port", defaultValue = "9400", description = "Port of /metrics and /health (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = "--console-port", defaultValue = "9402",
      description = "Port of the web console on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 picks one).")
  int consolePort;

  @Option(names = "--duration", paramLabel = "DURATION",
      description = "Stop after this long, e.g. 60s, 5m (default: until Ctrl-C).")
  String duration;

  @Option(names = "--rate", defaultValue = "200", description = "Images published per second (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--images", defaultValue = "5000", description = "How many distinct sample images to cycle through (default: ${DEFAULT-VALUE}).")
  int imageCount;

  @Option(names = "--labelled-rate", defaultValue = "100",
      description = "Labelled images published per second for the trainer (0: no trainer; default: ${DEFAULT-VALUE}).")
  int labelledRate;

  @Option(names = "--min-new-labels", defaultValue = "1500",
      description = "The trainer retrains after this many new labels (default: ${DEFAULT-VALUE}).")
  int minNewLabels;

  @Option(names = "--bad-every", defaultValue = "500",
      description = "Also send one undecodable record every N images, to show the dead-letter topic (0: never; default: ${DEFAULT-VALUE}).")
  int badEvery;

  @Override
  public Integer call() throws Exception {
    Duration limit = duration == null ? null : parseDuration(duration);
    ServiceSupport.requireFreePort(port, "--port");
    ServiceSupport.requireFreePort(metricsPort, "--metrics-port");
    ServiceSupport.requireFreePort(consolePort, "--console-port");
    List<DemoImages.Sample> samples = DemoImages.load(imageCount);
    System.out.printf("starting an embedded Kafka broker on 127.0.0.1:%d ...%n", port);
    EmbeddedKafkaBroker broker = ServiceSupport.startBroker(port, null);
    Map<String, String> settings = new HashMap<>();
    settings.put(ImagestreamConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
    // Fine-tuning settings that let a person see retrains and verdicts within a couple of minutes.
    settings.put(ImagestreamConfig.TRAINER_MIN_NEW_LABELS, Integer.toString(minNewLabels));
    settings.put(ImagestreamConfig.TRAINER_EPOCHS, "2");
    // Gentle fine-tuning of a model that already knows 60,000 images with a few thousand new ones: small steps,
    // and no zoomed copies (Fashion-MNIST's items are centred and scaled alike).
    settings.put(ImagestreamConfig.TRAINER_LEARNING_RATE, "0.00005");
    settings.put(ImagestreamConfig.TRAINER_AUGMENT_ZOOM, "0");
    settings.put(ImagestreamConfig.TRAINER_AUGMENT_FLIP, "false");
    ImagestreamConfig config = ImagestreamConfig.of(settings);
    PrometheusMeterRegistry registry = MetricsServer.newRegistry();
    RunningClassifier classifier;
    MetricsServer metrics;
    try {
      ServiceSupport.ensureTopics(config);
      classifier = RunningClassifier.start(config, null, registry);
    } catch (RuntimeException e) {
      broker.close(); // leave no broker (and its temporary data) behind
      throw e;
    }
    try {
      metrics = MetricsServer.start(config.getString(ImagestreamConfig.METRICS_HOST), metricsPort, registry,
          classifier::isRunning, classifier::isRunning);
    } catch (RuntimeException e) {
      classifier.close();
      broker.close();
      throw e;
    }
    Console console;
    try {
      console = Console.start(config, "127.0.0.1", consolePort);
    } catch (RuntimeException e) {
      metrics.close();
      classifier.close();
      broker.close();
      throw new Errors.UserException("cannot start the web console on 127.0.0.1:" + consolePort + " ("
          + Errors.describe(e) + "); choose another --console-port", 3);
    }
    LoadedModel model = classifier.initial;
    System.out.printf("classifier running with model %s v%d (%s, %d classes); metrics on http://127.0.0.1:%d/metrics%n",
        model.metadata().name(), model.metadata().version(), model.inputShape(), model.classNames().size(),
        metrics.port());
    System.out.printf("web console on %s (live stream; /label for the uncertain images)%n", console.url());
    System.out.printf("publishing %d sample images at %d/s to '%s'; predictions from '%s':%n", samples.size(), rate,
        config.getString(ImagestreamConfig.TOPIC_IMAGES), config.getString(ImagestreamConfig.TOPIC_PREDICTIONS));
    System.out.printf("every 2 s: published = images sent, classified = predictions read back (and their rate), "
        + "correct = predictions equal to the image's true class, dead-lettered = records on '%s' (one deliberately "
        + "broken record every %d images); %s%n", config.getString(ImagestreamConfig.TOPIC_DLQ), badEvery,
        limit == null ? "Ctrl-C stops the demo" : "the demo stops after " + duration + " (or Ctrl-C)");

    AtomicBoolean running = new AtomicBoolean(true);
    Map<String, String> trueLabels = new ConcurrentHashMap<>();
    Stats stats = new Stats();
    Thread producer = new Thread(() -> publish(config, samples, trueLabels, stats, running), "demo-producer");
    Thread consumer = new Thread(() -> watch(config, trueLabels, stats, running), "demo-consumer");
    producer.start();
    consumer.start();
    TrainerService trainer = null;
    Thread trainerLoop = null;
    Thread labeller = null;
    if (labelledRate > 0) {
      trainer = new TrainerService(config, model, new TrainerMetrics(registry), TrainCommand::event);
      TrainerService t = trainer;
      trainerLoop = new Thread(t::run, "demo-trainer");
      trainerLoop.setPriority(Thread.MIN_PRIORITY);
      trainerLoop.start();
      List<DemoImages.Sample> labelled = DemoImages.labelled(imageCount);
      labeller = new Thread(() -> publishLabelled(config, labelled, running), "demo-labeller");
      labeller.start();
      System.out.printf("publishing labelled images at %d/s to '%s'; the trainer retrains every %d new labels%n",
          labelledRate, config.getString(ImagestreamConfig.TOPIC_LABELLED), minNewLabels);
    }
    TrainerService trainerToClose = trainer;
    Thread trainerThread = trainerLoop;
    Thread labellerThread = labeller;
    ServiceSupport.runUntilStopped(limit, () -> {
      running.set(false);
      join(producer);
      join(consumer);
      if (trainerToClose != null) {
        join(labellerThread);
        trainerToClose.close();
        join(trainerThread);
      }
      console.close();
      classifier.close();
      metrics.close();
      broker.close();
      System.out.printf("demo stopped: %d published, %d classified (%.1f%% correct), %d dead-lettered%n",
          stats.published.get(), stats.classified.get(), stats.accuracyPercent(), stats.deadLettered.get());
    });
    return 0;
  }

  static final class Stats {
    final AtomicLong published = new AtomicLong();
    final AtomicLong classified = new AtomicLong();
    final AtomicLong correct = new AtomicLong();
    final AtomicLong deadLettered = new AtomicLong();

    double accuracyPercent() {
      long n = classified.get();
      return n == 0 ? 0 : 100.0 * correct.get() / n;
    }
  }

  private void publish(ImagestreamConfig config, List<DemoImages.Sample> samples, Map<String, String> trueLabels,
                       Stats stats, AtomicBoolean running) {
    Map<String, Object> props = producerProperties(config);
    String topic = config.getString(ImagestreamConfig.TOPIC_IMAGES);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      long start = System.nanoTime();
      long sent = 0;
      while (running.get()) {
        DemoImages.Sample sample = samples.get((int) (sent % samples.size()));
        String id = sample.id() + "#" + sent;
        byte[] value = sample.png();
        if (badEvery > 0 && sent > 0 && sent % badEvery == 0) {
          id = "demo/not-an-image#" + sent;
          value = "this is not an image".getBytes(StandardCharsets.UTF_8);
        } else {
          trueLabels.put(id, sample.label());
        }
        producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), value));
        stats.published.incrementAndGet();
        sent++;
        long due = start + sent * 1_000_000_000L / Math.max(1, rate); // pace to the requested rate
        long wait = due - System.nanoTime();
        if (wait > 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
      }
    }
  }

  /** The demo's producers (images and labelled images): the passthrough settings (security...) plus ours. */
  static Map<String, Object> producerProperties(ImagestreamConfig config) {
    Map<String, Object> props = new HashMap<>(config.clientProperties());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    return props;
  }

  static Map<String, Object> consumerProperties(ImagestreamConfig config) {
    Map<String, Object> props = new HashMap<>(config.clientProperties());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return props;
  }

  private void publishLabelled(ImagestreamConfig config, List<DemoImages.Sample> samples, AtomicBoolean running) {
    Map<String, Object> props = producerProperties(config);
    String topic = config.getString(ImagestreamConfig.TOPIC_LABELLED);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      long start = System.nanoTime();
      long sent = 0;
      for (; running.get() && sent < samples.size(); sent++) { // each labelled image once
        DemoImages.Sample sample = samples.get((int) sent);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic,
            ("labelled/" + sample.id()).getBytes(StandardCharsets.UTF_8), sample.png());
        record.headers().add(TrainerService.LABEL_HEADER, sample.label().getBytes(StandardCharsets.UTF_8));
        producer.send(record);
        long wait = start + (sent + 1) * 1_000_000_000L / Math.max(1, labelledRate) - System.nanoTime();
        if (wait > 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
      }
      if (sent == samples.size()) {
        System.out.printf("all %d labelled images sent (each once): the trainer retrains every %d new labels (the "
            + "last few within 5 minutes), then waits for new labels on '%s', e.g. from 'imagestream publish "
            + "--label-from-folder DIR --bootstrap-servers %s'%n", sent, minNewLabels, topic, config.bootstrapServers());
      }
    }
  }

  private void watch(ImagestreamConfig config, Map<String, String> trueLabels, Stats stats, AtomicBoolean running) {
    Map<String, Object> props = consumerProperties(config);
    String predictions = config.getString(ImagestreamConfig.TOPIC_PREDICTIONS);
    String dlq = config.getString(ImagestreamConfig.TOPIC_DLQ);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new java.util.ArrayList<>();
      for (String topic : List.of(predictions, dlq)) {
        consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long start = System.nanoTime();
      long lastLine = start;
      long lastClassified = 0;
      long nextSample = 0;
      long lastVersion = 0;
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          if (record.topic().equals(dlq)) {
            stats.deadLettered.incrementAndGet();
            continue;
          }
          Prediction p = Prediction.fromJson(record.value());
          if (p.model().version() > lastVersion) {
            if (lastVersion > 0) {
              System.out.printf(">>> predictions now come from model v%d (was v%d)%n", p.model().version(), lastVersion);
            }
            lastVersion = p.model().version();
          }
          String truth = trueLabels.remove(p.id());
          stats.classified.incrementAndGet();
          if (p.label().equals(truth)) {
            stats.correct.incrementAndGet();
          }
          long now = System.nanoTime();
          if (now >= nextSample) { // a few predictions a second, not a flood
            System.out.printf("  %-28s -> %-12s %.3f  (truth: %s, model v%d, %d ms)%n", p.id(), p.label(),
                p.probability(), truth, p.model().version(), p.timestamps().classified() - p.timestamps().produced());
            nextSample = now + 500_000_000L;
          }
        }
        long now = System.nanoTime();
        if (now - lastLine >= 2_000_000_000L) {
          long classified = stats.classified.get();
          System.out.printf("[%4ds] published %d | classified %d (%.0f img/s) | correct %.1f%% | dead-lettered %d%n",
              (now - start) / 1_000_000_000L, stats.published.get(), classified,
              (classified - lastClassified) / ((now - lastLine) / 1e9), stats.accuracyPercent(),
              stats.deadLettered.get());
          lastLine = now;
          lastClassified = classified;
        }
      }
    }
  }

  private static void join(Thread thread) {
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase();
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      return switch (t.charAt(t.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> Duration.ofSeconds(Long.parseLong(t));
      };
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      throw new Errors.UserException("--duration must look like 90s, 5m or 1h, got '" + text + "'");
    }
  }
}
