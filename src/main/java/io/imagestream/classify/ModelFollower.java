package io.imagestream.classify;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.ModelAssembler;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.model.InvalidModelException;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the models topic and hot-swaps newer versions into the {@link ServingModel}. A chunked artifact is put
 * together first (a version missing chunks or its manifest is never served, and newer ones are served regardless).
 * Loading, verifying (HMAC when a signing key is set, sha256 of the whole artifact,
 * the network's digest, input shape, class count) and a warm-up run all happen here, off the processing path; the
 * swap itself is one atomic reference change that the next batch picks up. A model that fails any check is refused
 * with a log line and a metric, and the current one keeps serving.
 */
public final class ModelFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelFollower.class);

  private final ModelsTopic topic;
  private final String modelName;
  private final ServingModel serving;
  private final ClassifierMetrics metrics;
  private final int warmUpBatch;
  private final byte[] signingKey;
  private final boolean background;
  private final ModelAssembler assembler; // used by the follower thread only
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private Thread thread;

  public ModelFollower(ModelsTopic topic, String modelName, ServingModel serving, ClassifierMetrics metrics,
                       int warmUpBatch) {
    this(topic, modelName, serving, metrics, warmUpBatch, null);
  }

  /** @param signingKey when not null, only models signed with it are served (imagestream.model.signing.key) */
  public ModelFollower(ModelsTopic topic, String modelName, ServingModel serving, ClassifierMetrics metrics,
                       int warmUpBatch, byte[] signingKey) {
    this(topic, modelName, serving, metrics, warmUpBatch, signingKey, true);
  }

  /**
   * @param background load, check and warm up new versions at the lowest CPU priority
   *     (imagestream.model.load.background)
   */
  public ModelFollower(ModelsTopic topic, String modelName, ServingModel serving, ClassifierMetrics metrics,
                       int warmUpBatch, byte[] signingKey, boolean background) {
    this.signingKey = signingKey;
    this.background = background;
    this.topic = topic;
    this.modelName = modelName;
    this.serving = serving;
    this.metrics = metrics;
    this.warmUpBatch = warmUpBatch;
    // Only newer versions of our model are put together: replaying older ones would cost memory and time.
    this.assembler = new ModelAssembler(
        (name, version) -> name.equals(modelName) && version > serving.current().metadata().version(),
        waiting -> LOG.info("model {}: waiting for the rest", waiting.describe()));
  }

  /** A follower as the classify command runs one: batch size, signing key and priority from the config. */
  public static ModelFollower of(ImagestreamConfig config, ModelsTopic topic, String modelName, ServingModel serving,
                                 ClassifierMetrics metrics) {
    return new ModelFollower(topic, modelName, serving, metrics, config.getInt(ImagestreamConfig.BATCH_SIZE),
        config.modelSigningKey(), config.getBoolean(ImagestreamConfig.MODEL_LOAD_BACKGROUND));
  }

  /** The newest version of the model on the topic that passes every check, if any (for starting up). */
  public static Optional<LoadedModel> newestValid(List<ModelsTopic.Entry> entries, String modelName,
                                                  ClassifierMetrics metrics) {
    return newestValid(entries, modelName, metrics, null);
  }

  public static Optional<LoadedModel> newestValid(List<ModelsTopic.Entry> entries, String modelName,
                                                  ClassifierMetrics metrics, byte[] signingKey) {
    List<ModelsTopic.Entry> candidates = new ArrayList<>(entries.stream()
        .filter(e -> e.name().equals(modelName)).toList());
    candidates.sort((a, b) -> Long.compare(b.version(), a.version()));
    for (ModelsTopic.Entry entry : candidates) {
      try {
        return Optional.of(verify(entry, signingKey));
      } catch (InvalidModelException e) {
        refuse(entry, e.getMessage(), metrics);
      }
    }
    return Optional.empty();
  }

  public void start() {
    running.set(true);
    thread = new Thread(this::follow, "model-follower");
    thread.setDaemon(true);
    thread.start();
  }

  private void follow() {
    // before the consumer exists: threads it may start inherit the priority
    if (background && !BackgroundPriority.lowerCurrentThread()) {
      LOG.info("cannot lower the model follower's CPU priority on this system: new models load at normal priority");
    }
    try (KafkaConsumer<byte[], byte[]> c = topic.consumer()) {
      consumer = c;
      List<TopicPartition> partitions = topic.partitions(c, Duration.ofSeconds(60));
      c.assign(partitions);
      c.seekToBeginning(partitions);
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> record : c.poll(Duration.ofMillis(500))) {
          onRecord(record);
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("stopped following {}: {}", topic.topic(), e.toString());
    }
  }

  /** One record of the models topic, in offset order: a chunk, a manifest, a single-record artifact, a tombstone. */
  void onRecord(ConsumerRecord<byte[], byte[]> record) {
    assembler.add(record).ifPresent(entry -> {
      consider(entry);
      assembler.prune(); // what a newer version made obsolete, e.g. a half-published one
    });
  }

  /** Swaps the entry in when it is a newer version of our model and passes every check. */
  void consider(ModelsTopic.Entry entry) {
    if (!entry.name().equals(modelName)) {
      return;
    }
    long current = serving.current().metadata().version();
    if (entry.version() <= current) {
      return; // older or the same: replaying the topic from the start
    }
    long start = System.nanoTime();
    LoadedModel next;
    try {
      next = verify(entry, signingKey);
      warmUp(next);
    } catch (InvalidModelException | RuntimeException e) {
      refuse(entry, e.getMessage(), metrics);
      return;
    }
    metrics.modelLoaded(System.nanoTime() - start);
    long swapStart = System.nanoTime();
    LoadedModel previous = serving.swap(next);
    metrics.modelSwapped(next.metadata().version(), System.nanoTime() - swapStart);
    LOG.info("now serving model {} v{} (was v{}), sha256 {}", modelName, next.metadata().version(),
        previous.metadata().version(), entry.declaredSha256());
  }

  static LoadedModel verify(ModelsTopic.Entry entry) throws InvalidModelException {
    return verify(entry, null);
  }

  /** The signature (when a key is configured) and the sha256 are checked before the artifact is even parsed. */
  static LoadedModel verify(ModelsTopic.Entry entry, byte[] signingKey) throws InvalidModelException {
    String origin = "model " + entry.name() + " v" + entry.version() + " (partition " + entry.partition()
        + ", offset " + entry.offset() + ")";
    if (entry.version() < 1) {
      throw new InvalidModelException(origin + ": no valid " + ModelsTopic.VERSION_HEADER + " header");
    }
    ModelsTopic.checkSignature(entry, signingKey, origin);
    String actual = ModelArtifact.sha256(entry.artifact());
    if (entry.declaredSha256() == null || !entry.declaredSha256().equalsIgnoreCase(actual)) {
      throw new InvalidModelException(origin + ": sha256 " + actual + " does not match the header's "
          + entry.declaredSha256());
    }
    LoadedModel model = ModelArtifact.load(entry.artifact(), origin);
    if (model.metadata().version() != entry.version() || !model.metadata().name().equals(entry.name())) {
      throw new InvalidModelException(origin + ": the artifact says " + model.metadata().name() + " v"
          + model.metadata().version());
    }
    return model;
  }

  /**
   * A full-size batch, then a single image, through the network that will serve (the NHWC copy when there is one),
   * before the swap: oneDNN builds its primitives per input shape at the first call, so without this the first real
   * batches after a swap would pay for it, and for allocation and JIT.
   */
  private void warmUp(LoadedModel model) {
    model.warmUp(warmUpBatch);
    if (warmUpBatch != 1) {
      model.warmUp(1); // a lone record flushed by the batch timeout
    }
  }

  private static void refuse(ModelsTopic.Entry entry, String why, ClassifierMetrics metrics) {
    LOG.warn("refused model {} v{}: {}", entry.name(), entry.version(), why);
    metrics.modelRefused();
  }

  @Override
  public void close() {
    running.set(false);
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    if (thread != null) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
