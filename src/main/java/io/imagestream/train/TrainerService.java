package io.imagestream.train;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.ImageRejectedException;
import io.imagestream.image.InputShape;
import io.imagestream.image.Interpolation;
import io.imagestream.kafka.DeadLetters;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.metrics.TrainerMetrics;
import io.imagestream.model.InvalidModelException;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer sidecar. Reads labelled-images as a consumer group, from the beginning at every assignment (the topic
 * is the durable dataset), keeps the decoded images in a {@link LabelledStore}, retrains when enough new labels or
 * enough time have come, and publishes a candidate to the models topic only when the {@link ValidationGate} says it
 * is at least as good as the live model. Bad records are dead-lettered with the reason and never stop it.
 */
public final class TrainerService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerService.class);
  public static final String LABEL_HEADER = "label";

  private final ImagestreamConfig config;
  private final TrainerMetrics metrics;
  private final Consumer<String> events;
  private final ModelsTopic modelsTopic;
  private final Retrainer retrainer;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final int minNewLabels;
  private final long maxIntervalMs;
  private final int maxClasses;
  private volatile KafkaConsumer<byte[], byte[]> consumer;

  private LoadedModel live;
  private LabelledStore store;
  private final LabelResolver labels = new LabelResolver();
  private ImagePreprocessor preprocessor;
  private int newLabels;
  private long lastTrainingMs;
  /** Next offset to read, per labelled-images partition. */
  private final Map<String, Long> readOffsets = new java.util.TreeMap<>();
  /** Per partition, the offset the live model was trained up to: records before it are not new labels. */
  private Map<String, Long> trainedOffsets = Map.of();

  /**
   * @param fallbackLive the model to compare with while the models topic has none (the default model), or null
   * @param events       one line per thing a person watching wants to know (retrain, verdict, publication)
   */
  public TrainerService(ImagestreamConfig config, LoadedModel fallbackLive, TrainerMetrics metrics,
                        Consumer<String> events) {
    this.config = config;
    this.metrics = metrics;
    this.events = events;
    this.modelsTopic = new ModelsTopic(config.clientProperties(), config.getString(ImagestreamConfig.TOPIC_MODELS));
    this.retrainer = new Retrainer(Retrainer.Settings.from(config));
    this.minNewLabels = config.getInt(ImagestreamConfig.TRAINER_MIN_NEW_LABELS);
    this.maxIntervalMs = config.getLong(ImagestreamConfig.TRAINER_MAX_INTERVAL_MS);
    this.maxClasses = config.getInt(ImagestreamConfig.TRAINER_MAX_CLASSES);
    this.live = fallbackLive;
    int threads = config.getInt(ImagestreamConfig.TRAINER_THREADS);
    if (threads > 0) {
      Nd4j.getEnvironment().setMaxThreads(threads);
    }
  }

  /** Runs until {@link #close()}: the poll loop, retraining on this thread between polls. */
  public void run() {
    refreshLive();
    InputShape shape = trainingShape();
    store = new LabelledStore(shape, config.getInt(ImagestreamConfig.TRAINER_MAX_EXAMPLES));
    ImagePreprocessor.useNativeJpeg(config.getBoolean(ImagestreamConfig.DECODE_JPEG_NATIVE));
    ImagePreprocessor.useBuiltinPng(config.getBoolean(ImagestreamConfig.DECODE_PNG_BUILTIN));
    preprocessor = new ImagePreprocessor(shape, config.getLong(ImagestreamConfig.DECODE_MAX_PIXELS),
        config.getInt(ImagestreamConfig.DECODE_MAX_BYTES), Interpolation.valueOf(
        config.getString(ImagestreamConfig.RESIZE_INTERPOLATION).toUpperCase(Locale.ROOT)));
    lastTrainingMs = System.currentTimeMillis();
    String labelled = config.getString(ImagestreamConfig.TOPIC_LABELLED);
    try (KafkaConsumer<byte[], byte[]> c = newConsumer();
         KafkaProducer<byte[], byte[]> deadLetters = newDeadLetterProducer()) {
      consumer = c;
      c.subscribe(List.of(labelled), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          c.seekToBeginning(partitions); // rebuild the dataset from the topic itself
        }
      });
      events.accept("trainer reading " + labelled + " (input " + shape + "), live model "
          + (live == null ? "none" : "v" + live.metadata().version()));
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> record : c.poll(Duration.ofMillis(500))) {
          ingest(record, deadLetters);
        }
        c.commitAsync(); // committed offsets show the group's lag; the dataset itself is rebuilt from the start
        if (dueForTraining()) {
          trainOnce();
        }
      }
    } catch (WakeupException e) {
      // closing
    }
  }

  private void ingest(ConsumerRecord<byte[], byte[]> record, KafkaProducer<byte[], byte[]> deadLetters) {
    readOffsets.put(Integer.toString(record.partition()), record.offset() + 1);
    String id = record.key() != null ? new String(record.key(), StandardCharsets.UTF_8)
        : record.topic() + "-" + record.partition() + "-" + record.offset();
    Header header = record.headers().lastHeader(LABEL_HEADER);
    String label = header == null || header.value() == null ? ""
        : new String(header.value(), StandardCharsets.UTF_8).strip();
    if (label.isEmpty()) {
      deadLetter(record, DeadLetters.MISSING_LABEL, "no '" + LABEL_HEADER + "' header or an empty one", deadLetters);
      return;
    }
    String invalid = invalidLabel(header.value(), label);
    if (invalid != null) {
      deadLetter(record, DeadLetters.INVALID_LABEL, invalid, deadLetters);
      return;
    }
    LabelResolver.Resolved resolved = labels.resolve(label, live == null ? List.of() : live.classNames());
    label = resolved.className();
    if (!store.knowsLabel(label) && store.distinctLabels() >= maxClasses) {
      deadLetter(record, DeadLetters.TOO_MANY_CLASSES, "label '" + label + "' would be class number "
          + (store.distinctLabels() + 1) + ", over " + ImagestreamConfig.TRAINER_MAX_CLASSES + "=" + maxClasses,
          deadLetters);
      return;
    }
    try {
      store.put(id, label, preprocessor.toPixels(record.value()));
    } catch (ImageRejectedException e) {
      deadLetter(record, e.reason().name(), e.getMessage(), deadLetters);
      return;
    }
    labels.learnt(label);
    reportUnmatched(resolved, new String(header.value(), StandardCharsets.UTF_8).strip());
    if (record.offset() >= trainedOffsets.getOrDefault(Integer.toString(record.partition()), 0L)) {
      newLabels++; // a restarted trainer re-reads what the live model already learned from: that is not new
    }
    metrics.accepted(store.size());
  }

  /** Counts every label that is not a known class's name; says once per label what became of it. */
  private void reportUnmatched(LabelResolver.Resolved resolved, String label) {
    if (resolved.kind() == LabelResolver.Kind.CLASS) {
      return;
    }
    metrics.unmatchedLabel(resolved.kind() == LabelResolver.Kind.RENAMED ? "renamed" : "new_class");
    if (labels.firstReport(label)) {
      String line = resolved.kind() == LabelResolver.Kind.RENAMED
          ? "label '" + label + "' is taken as class '" + resolved.className() + "' (the same name but for "
              + "separators such as '/', '-', '_'); counted in imagestream_trainer_labels_unmatched_total"
          : "label '" + label + "' names no known class " + resolved.knownClasses() + ": it is learnt as a new "
              + "class; counted in imagestream_trainer_labels_unmatched_total";
      LOG.info(line);
      events.accept(line);
    }
  }

  static final int MAX_LABEL_CHARS = 200;

  /**
   * Why a label cannot be a class name, or null when it can. Class names end up in predictions, metrics, logs and
   * the console, so they must be valid UTF-8 without control characters (a newline would forge log lines and break
   * the line-per-record tools); any other character (unicode, slashes, quotes) is fine: JSON escapes it.
   */
  static String invalidLabel(byte[] raw, String label) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(raw));
    } catch (java.nio.charset.CharacterCodingException e) {
      return "the '" + LABEL_HEADER + "' header is not valid UTF-8";
    }
    if (label.codePoints().anyMatch(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT)) {
      return "the label contains control or format characters (newline, tab, NUL, bidi overrides...)";
    }
    if (label.length() > MAX_LABEL_CHARS) {
      return "the label is " + label.length() + " characters long, over " + MAX_LABEL_CHARS;
    }
    return null;
  }

  private void deadLetter(ConsumerRecord<byte[], byte[]> record, String reason, String message,
                          KafkaProducer<byte[], byte[]> producer) {
    LOG.debug("dead-lettering {}-{}@{}: {} {}", record.topic(), record.partition(), record.offset(), reason, message);
    ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(config.getString(ImagestreamConfig.TOPIC_DLQ), null,
        record.timestamp(), record.key(), record.value(),
        DeadLetters.headers(reason, message, record.topic(), record.partition(), record.offset()));
    // Keep the label header for whoever repairs it, but not forged copies of ours: exactly one reason header.
    record.headers().forEach(h -> {
      if (!h.key().startsWith("imagestream.")) {
        out.headers().add(h);
      }
    });
    producer.send(out);
    metrics.badRecord(reason);
  }

  private boolean dueForTraining() {
    if (newLabels == 0) {
      return false;
    }
    return newLabels >= minNewLabels || System.currentTimeMillis() - lastTrainingMs >= maxIntervalMs;
  }

  /** One retraining and its verdict; public for tests and for a manual trigger. */
  public Retrainer.Outcome trainOnce() {
    refreshLive();
    long version = Math.max(modelsTopic.latestVersion(Duration.ofSeconds(60)),
        live == null ? 0 : live.metadata().version()) + 1;
    events.accept(String.format("retraining on %d labelled images (%d new) as candidate v%d ...", store.size(),
        newLabels, version));
    long start = System.nanoTime();
    Retrainer.Outcome outcome = retrainer.retrain(store, live, version, new java.util.TreeMap<>(readOffsets));
    long nanos = System.nanoTime() - start;
    lastTrainingMs = System.currentTimeMillis();
    if (outcome instanceof Retrainer.Skipped skipped) {
      events.accept("retraining skipped: " + skipped.reason());
      return outcome; // keep the new-label count: the next batch of labels may make it possible
    }
    newLabels = 0;
    Retrainer.Judged judged = (Retrainer.Judged) outcome;
    if (!judged.excludedClasses().isEmpty()) {
      events.accept("classes with too few training images (left out for now): " + judged.excludedClasses());
    }
    metrics.judged(judged.verdict().candidateAccuracy(), judged.verdict().liveAccuracy(), judged.verdict().publish(),
        nanos);
    metrics.shadow(judged.shadow().candidateAccuracy(), judged.shadow().liveAccuracy());
    if (!judged.verdict().publish()) {
      events.accept(String.format("candidate v%d REJECTED (%s, %.0f s): %s; %s", version, judged.start(),
          nanos / 1e9, judged.verdict().reason(), judged.shadow().describe()));
      return outcome;
    }
    try (ModelsTopic.Publisher publisher = new ModelsTopic.Publisher(config.clientProperties(), modelsTopic.topic(),
        transactionalId(config), config.modelSigningKey())) {
      byte[] artifact = ModelArtifact.toBytes(judged.candidate().network(), judged.candidate().metadata());
      publisher.publish(artifact);
      live = ModelArtifact.load(artifact, "candidate v" + version);
      metrics.liveVersion(version);
      events.accept(String.format("candidate v%d PUBLISHED (%s, %.0f s): %s; %s", version, judged.start(),
          nanos / 1e9, judged.verdict().reason(), judged.shadow().describe()));
    } catch (IOException | InvalidModelException e) {
      throw new IllegalStateException("cannot publish candidate v" + version + ": " + e.getMessage(), e);
    }
    return outcome;
  }

  /** The transactional id the trainer publishes models with (an ACL names it). */
  public static String transactionalId(ImagestreamConfig config) {
    return "imagestream-trainer-" + config.getString(ImagestreamConfig.MODEL_NAME);
  }

  /** The live model is the newest valid version on the models topic, else the fallback given at construction. */
  private void refreshLive() {
    List<ModelsTopic.Entry> entries = modelsTopic.readAll(Duration.ofSeconds(60));
    String name = config.getString(ImagestreamConfig.MODEL_NAME);
    long current = live == null ? 0 : live.metadata().version();
    entries.stream().filter(e -> e.name().equals(name) && e.version() > current)
        .max(java.util.Comparator.comparingLong(ModelsTopic.Entry::version))
        .ifPresent(newest -> {
          try {
            // With a signing key, an unsigned model is not the live one (classifiers refuse it as well).
            ModelsTopic.checkSignature(newest, config.modelSigningKey(), "models topic v" + newest.version());
            live = ModelArtifact.load(newest.artifact(), "models topic v" + newest.version());
          } catch (InvalidModelException e) {
            LOG.warn("ignoring model v{} on the models topic: {}", newest.version(), e.getMessage());
          }
        });
    if (live != null) {
      metrics.liveVersion(live.metadata().version());
      Map<String, Long> offsets = live.metadata().training() == null ? null
          : live.metadata().training().labelledOffsets();
      trainedOffsets = offsets == null ? Map.of() : offsets;
    }
  }

  private InputShape trainingShape() {
    String configured = config.getString(ImagestreamConfig.TRAINER_INPUT_SHAPE);
    if (!configured.isBlank()) {
      return InputShape.parse(configured);
    }
    return live != null ? live.inputShape() : new InputShape(64, 64, 3);
  }

  /** Labels read since the last retraining that the live model has not learned from. */
  public int newLabels() {
    return newLabels;
  }

  /** For tests, once the trainer has stopped (the store is not thread-safe): an image id's current label. */
  String labelOf(String id) {
    return store == null ? null : store.labelOf(id);
  }

  /** For tests: images in the store now. */
  public int datasetSize() {
    return store == null ? 0 : store.size();
  }

  private KafkaConsumer<byte[], byte[]> newConsumer() {
    return new KafkaConsumer<>(consumerProperties(config), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** The labelled-images consumer's settings: the passthrough ones (security...) plus ours. */
  public static Map<String, Object> consumerProperties(ImagestreamConfig config) {
    Map<String, Object> props = new HashMap<>(config.clientProperties());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.getString(ImagestreamConfig.TRAINER_GROUP_ID));
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024 * 1024);
    props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
    // Training runs between polls and may take minutes.
    props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 3_600_000);
    return props;
  }

  private KafkaProducer<byte[], byte[]> newDeadLetterProducer() {
    return new KafkaProducer<>(deadLetterProducerProperties(config), new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  public static Map<String, Object> deadLetterProducerProperties(ImagestreamConfig config) {
    Map<String, Object> props = new HashMap<>(config.clientProperties());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 64 * 1024 * 1024);
    return props;
  }

  @Override
  public void close() {
    running.set(false);
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }
}
