package io.imagestream.classify;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.ImageRejectedException;
import io.imagestream.image.InputShape;
import io.imagestream.kafka.DeadLetters;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.model.LoadedModel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Buffers each image in a changelogged store as it arrives, starts decoding it on the {@link DecodePool}, and adds it
 * to its stream thread's {@link ThreadBatch}, shared by all the tasks (partitions) of that thread. The thread's batch
 * runs through the network once it holds {@code batchSize} images or its oldest image has waited {@code maxWait}
 * (wall clock). Each image's outcome goes back to its own task, which forwards it from its own processor context (at
 * once, or at its next record or punctuation) and only then removes the image from its store. Images that cannot be
 * decoded go to the dead-letter sink, at once when that is known at once, else when their batch is classified.
 *
 * <p>Why a store: with exactly-once, an input offset is committed in the same transaction as the store's changelog
 * entry; an image buffered only in memory would be lost by a crash after its offset was committed. The same holds
 * for an outcome not yet forwarded when a commit happens: its image is still in the store, and is classified again
 * after a crash. Store keys are a per-task sequence, so iterating the store yields the input order.
 *
 * <p>Active learning: a prediction whose top probability is below {@code uncertaintyThreshold} is also sent, with
 * the original image, to the to-label sink, where a person's label is worth most.
 */
final class BatchClassifierProcessor implements Processor<byte[], byte[], byte[], Object> {
  /** What the thread's batch made of one of this task's images, waiting to be forwarded by this task. */
  private record Outcome(long sequence, PendingImage image, Prediction prediction, byte[] version,
                         String rejectReason, String message, boolean commitAtOnce) {
    static Outcome predicted(long sequence, PendingImage image, Prediction prediction, byte[] version,
                             boolean commitAtOnce) {
      return new Outcome(sequence, image, prediction, version, null, null, commitAtOnce);
    }

    static Outcome rejected(long sequence, PendingImage image, String reason, String message,
                            boolean commitAtOnce) {
      return new Outcome(sequence, image, null, null, reason, message, commitAtOnce);
    }
  }

  /** An outcome and the buffered image it belongs to (whose owner and epoch say where it goes). */
  private record Delivery(ThreadBatch.Entry entry, Outcome outcome) {}

  /**
   * Commits while caught up: when the images a task forwards were read at most {@code maxAgeMs} after their record
   * timestamp (the classifier keeps up with its producers), the task asks for a commit right after forwarding them,
   * at most once per {@code intervalMs} for its stream thread, so read_committed consumers see predictions sooner
   * than at {@code commit.interval.ms} (Kafka's exactly-once default, 100 ms: a prediction waits half of it on
   * average, and the whole of it at worst).
   * With a backlog (older images) commits come at {@code commit.interval.ms} only (1 s by default then:
   * {@link ClassifierStreamsConfig}): fewer transactions, and the latency is the backlog's anyway. An interval of 0
   * turns it off, and so does at-least-once (outputs are visible before any commit).
   */
  record CaughtUpCommits(long intervalMs, long maxAgeMs) {
    static final CaughtUpCommits OFF = new CaughtUpCommits(0, 0);

    static CaughtUpCommits of(ImagestreamConfig config) {
      return !ClassifierStreamsConfig.caughtUpCommitsOn(config) ? OFF
          : new CaughtUpCommits(config.getLong(ImagestreamConfig.COMMIT_CAUGHT_UP_INTERVAL_MS),
              config.getLong(ImagestreamConfig.COMMIT_CAUGHT_UP_MAX_AGE_MS));
    }

    /** An image read {@code ageMs} after its timestamp (negative: the producer's clock is ahead) is caught up. */
    boolean appliesTo(long ageMs) {
      return intervalMs > 0 && ageMs <= maxAgeMs;
    }
  }

  /** A batch due by time of at most batchSize / this many images commits at once (the network is mostly idle). */
  static final int SPARE_FRACTION = 4;

  private final String storeName;
  private final int batchSize;
  private final Duration maxWait;
  private final double uncertaintyThreshold;
  private final ServingModel model;
  private final Function<InputShape, ImagePreprocessor> preprocessors;
  private final ClassifierMetrics metrics;
  private final DecodePool decoder;
  private final NetworkPool network;
  private final ThreadBatch.PerThread batches;
  private final CaughtUpCommits caughtUpCommits;
  /** Classified by the thread's batch, in this task's input order, not yet forwarded. */
  private final ArrayDeque<Outcome> outcomes = new ArrayDeque<>();

  private ProcessorContext<byte[], Object> context;
  private KeyValueStore<byte[], byte[]> pending;
  private long nextSequence;
  /** Moves on at every init and close: outcomes of images buffered before that are dropped (the store has them). */
  private int epoch;
  /** The stream thread's batch, taken at the first call on that thread. */
  private ThreadBatch batch;
  /** Images found in the store at init (buffered before a restart), queued into the thread's batch at first use. */
  private List<ThreadBatch.Entry> restored = List.of();

  /** @param uncertaintyThreshold predictions less sure than this also go to the to-label sink; 0: none do */
  BatchClassifierProcessor(String storeName, int batchSize, Duration maxWait, double uncertaintyThreshold,
                           ServingModel model, Function<InputShape, ImagePreprocessor> preprocessors,
                           ClassifierMetrics metrics, DecodePool decoder, NetworkPool network,
                           ThreadBatch.PerThread batches, CaughtUpCommits caughtUpCommits) {
    this.storeName = storeName;
    this.batchSize = batchSize;
    this.maxWait = maxWait;
    this.uncertaintyThreshold = uncertaintyThreshold;
    this.model = model;
    this.preprocessors = preprocessors;
    this.metrics = metrics;
    this.decoder = decoder;
    this.network = network;
    this.batches = batches;
    this.caughtUpCommits = caughtUpCommits;
  }

  /** How often a task checks its thread's batch and forwards its outcomes (wall clock). */
  static Duration tick(Duration maxWait) {
    return Duration.ofMillis(Math.max(1, Math.min(maxWait.toMillis() / 10, 10)));
  }

  @Override
  public void init(ProcessorContext<byte[], Object> context) {
    // init runs again when a suspended task resumes: start from the store, not from what this instance held
    this.context = context;
    this.pending = context.getStateStore(storeName);
    this.outcomes.clear();
    this.nextSequence = 0;
    this.epoch++;
    List<ThreadBatch.Entry> found = new ArrayList<>();
    try (KeyValueIterator<byte[], byte[]> all = pending.all()) {
      while (all.hasNext()) {
        KeyValue<byte[], byte[]> entry = all.next();
        long sequence = ByteBuffer.wrap(entry.key).getLong();
        found.add(new ThreadBatch.Entry(this, epoch, sequence, PendingImage.decode(entry.value), null));
        nextSequence = sequence + 1;
      }
    }
    this.restored = found;
    context.schedule(tick(maxWait), PunctuationType.WALL_CLOCK_TIME, this::onTick);
  }

  /** The thread's batch, with this task's restored images queued first. */
  private ThreadBatch batch() {
    if (batch == null) {
      batch = batches.current();
    }
    if (!restored.isEmpty()) {
      restored.forEach(batch::add);
      restored = List.of();
    }
    return batch;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    ThreadBatch batch = batch();
    batch.deliverIfDone();
    forwardOutcomes(); // earlier images first
    RecordMetadata source = context.recordMetadata().orElseThrow();
    String id = record.key() != null ? new String(record.key(), StandardCharsets.UTF_8)
        : source.topic() + "-" + source.partition() + "-" + source.offset();
    long now = context.currentSystemTimeMs(); // the clock punctuation uses (mockable in tests)
    metrics.received(record.timestamp(), now);
    PendingImage image = new PendingImage(now, record.timestamp(), source.topic(), source.partition(),
        source.offset(), id, record.key(), record.value());
    ImagePreprocessor preprocessor = preprocessors.apply(model.current().inputShape());
    try {
      preprocessor.precheck(record.value()); // plainly bad input (empty, oversized, not an image) is never buffered
    } catch (ImageRejectedException e) {
      deadLetter(image, e.reason().name(), e.getMessage());
      return;
    }
    CompletableFuture<DecodePool.Decoded> decoded = decoder.submit(preprocessor, record.value());
    if (decoded.isDone() && decoded.join().rejected()) { // decoded on this thread and refused: not buffered either
      deadLetter(image, decoded.join().rejectReason(), decoded.join().message());
      return;
    }
    long sequence = nextSequence++;
    pending.put(sequenceKey(sequence), image.encode());
    batch.add(new ThreadBatch.Entry(this, epoch, sequence, image, decoded));
    advance(batch, now);
  }

  private void onTick(long wallClockMs) {
    advance(batch(), wallClockMs);
  }

  /**
   * Delivers a finished batch, forwards this task's outcomes, and sends the thread's next batch to the network when
   * it is due: full ({@code batchSize} images), or its oldest image has waited {@code maxWait}. One batch is in flight
   * per stream thread: a batch due by time waits (without blocking) for the one in flight, then runs on this thread;
   * a full one blocks this thread until the one in flight is done, which is where a saturated network pushes back on
   * reading, then runs on a network thread.
   */
  private void advance(ThreadBatch batch, long nowMs) {
    batch.deliverIfDone();
    forwardOutcomes();
    while (true) {
      boolean full = batch.size() >= batchSize;
      boolean waited = !batch.isEmpty() && nowMs - batch.oldestArrivalMs() >= maxWait.toMillis();
      if (!full && !waited) {
        return;
      }
      if (batch.running()) {
        if (!full) {
          return; // looked at again at the next record or tick
        }
        batch.awaitInFlight();
        forwardOutcomes();
      }
      List<ThreadBatch.Entry> entries = batch.take(batchSize);
      boolean ranByTime = !full;
      // Due by time means spare capacity: run it here, where its outcomes are forwarded at once (a network thread
      // gains nothing then, and costs a hand-over and a wait for this thread's next record or tick). A full batch
      // means the network is the bottleneck: run it on a network thread, so that this thread reads on meanwhile.
      // A batch due by time that is at most a quarter full means the network is mostly idle: its outcomes ask for a
      // commit at once, so read_committed readers see them without waiting for commit.interval.ms. A fuller one
      // waits for the interval: at half load, a commit after every batch (exactly-once: a flush and round trips to
      // the broker) kept the stream thread from reading and raised p99 from ~170-180 to ~220-270 ms (64x64 JPEGs).
      boolean commitAtOnce = ranByTime && entries.size() * SPARE_FRACTION <= batchSize;
      batch.launch(ranByTime ? CompletableFuture.completedFuture(classify(entries, commitAtOnce))
          : network.submit(() -> classify(entries, false)));
      if (batch.deliverIfDone()) { // at once when the batch ran here
        forwardOutcomes();
      }
    }
  }

  /**
   * Forwards this task's outcomes in input order and removes their images from the store, and asks for a commit at
   * once when an outcome's batch says so (a small batch due by time: see {@link #advance}), or when the images are
   * caught up with their producers and the thread has not asked for one in the last interval
   * ({@link CaughtUpCommits}).
   */
  private void forwardOutcomes() {
    if (outcomes.isEmpty()) {
      return;
    }
    boolean commit = false;
    long newestAgeMs = 0;
    for (Outcome outcome; (outcome = outcomes.poll()) != null; ) {
      if (outcome.prediction() == null) {
        deadLetter(outcome.image(), outcome.rejectReason(), outcome.message());
      } else {
        forwardPrediction(outcome);
      }
      pending.delete(sequenceKey(outcome.sequence()));
      commit |= outcome.commitAtOnce();
      newestAgeMs = outcome.image().arrivalWallClockMs() - outcome.image().timestamp();
    }
    long now = context.currentSystemTimeMs();
    if (commit) {
      batch.commitDue(now, 0); // always due; the caught-up interval counts from it
      metrics.commitRequested("spare_capacity");
      context.commit();
    } else if (caughtUpCommits.appliesTo(newestAgeMs) && batch.commitDue(now, caughtUpCommits.intervalMs())) {
      metrics.commitRequested("caught_up");
      context.commit();
    }
  }

  /**
   * One network call for images of any of the thread's tasks (on a network thread, or on the stream thread without
   * them). Returns what hands each outcome to its own task, run on the stream thread: the tasks' queues are the
   * stream thread's alone.
   */
  private Runnable classify(List<ThreadBatch.Entry> batch, boolean commitAtOnce) {
    List<Delivery> deliveries = new ArrayList<>(batch.size());
    LoadedModel serving = model.current(); // one version for the whole batch
    List<ThreadBatch.Entry> ready = new ArrayList<>(batch.size());
    List<byte[]> pixels = new ArrayList<>(batch.size());
    for (ThreadBatch.Entry entry : batch) {
      DecodePool.Decoded decoded = decoded(entry, serving);
      if (decoded.rejected()) {
        deliveries.add(new Delivery(entry, Outcome.rejected(entry.sequence(), entry.image(), decoded.rejectReason(),
            decoded.message(), commitAtOnce)));
      } else {
        ready.add(entry);
        pixels.add(decoded.pixels());
      }
    }
    Runnable deliver = () -> {
      for (Delivery delivery : deliveries) {
        ThreadBatch.Entry entry = delivery.entry();
        if (entry.owner().epoch == entry.epoch()) { // else the task was closed since: its store still has the image
          entry.owner().outcomes.add(delivery.outcome());
        }
      }
    };
    if (ready.isEmpty()) {
      return deliver;
    }
    float[][] probabilities;
    long start = System.nanoTime();
    try {
      probabilities = serving.predictPixels(pixels);
    } catch (RuntimeException e) { // the model failed, not the inputs: dead-letter the batch rather than crash-loop
      String message = "inference failed with model " + serving.metadata().name() + " v"
          + serving.metadata().version() + ": " + e;
      for (ThreadBatch.Entry entry : ready) {
        deliveries.add(new Delivery(entry, Outcome.rejected(entry.sequence(), entry.image(), DeadLetters.INTERNAL,
            message, commitAtOnce)));
      }
      return deliver;
    }
    metrics.batch(ready.size(), System.nanoTime() - start);
    long now = System.currentTimeMillis();
    byte[] version = Long.toString(serving.metadata().version()).getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < ready.size(); i++) {
      ThreadBatch.Entry entry = ready.get(i);
      PendingImage image = entry.image();
      Prediction prediction = Prediction.of(image.id(), probabilities[i], serving.metadata(),
          new Prediction.Source(image.topic(), image.partition(), image.offset()),
          new Prediction.Timestamps(image.timestamp(), image.arrivalWallClockMs(), now));
      deliveries.add(new Delivery(entry,
          Outcome.predicted(entry.sequence(), image, prediction, version, commitAtOnce)));
    }
    return deliver;
  }

  private void forwardPrediction(Outcome outcome) {
    PendingImage image = outcome.image();
    Prediction prediction = outcome.prediction();
    RecordHeaders headers = new RecordHeaders();
    headers.add(ClassifierTopology.MODEL_VERSION_HEADER, outcome.version());
    context.forward(new Record<>(image.outputKey(), prediction, image.timestamp(), headers),
        ClassifierTopology.PREDICTIONS_SINK);
    metrics.classified(prediction.label(), image.timestamp(), prediction.timestamps().classified());
    if (prediction.probability() < uncertaintyThreshold) {
      toLabel(image, prediction, outcome.version());
    }
  }

  /**
   * The image's pixels for the serving model's input: from the decode started when it arrived, or decoded now when
   * there is none (restored after a restart) or it was decoded for another input shape (a swap happened since).
   */
  private DecodePool.Decoded decoded(ThreadBatch.Entry entry, LoadedModel serving) {
    DecodePool.Decoded decoded = entry.decoded() == null ? null : entry.decoded().join();
    if (decoded == null || !decoded.shape().equals(serving.inputShape())) {
      decoded = DecodePool.decode(preprocessors.apply(serving.inputShape()), entry.image().original());
    }
    return decoded;
  }

  @Override
  public void close() {
    // This task's images stay in its store; whoever owns the task next classifies them.
    if (batch != null) {
      batch.removeAll(this);
    }
    epoch++; // its images in flight, if any, are dropped when their batch comes back
    restored = List.of();
    outcomes.clear();
  }

  /** The original image again, keyed by its id, with what the model thought of it (for the labelling tool). */
  private void toLabel(PendingImage image, Prediction prediction, byte[] version) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(ClassifierTopology.PREDICTION_HEADER, prediction.toJson());
    headers.add(ClassifierTopology.MODEL_VERSION_HEADER, version);
    context.forward(new Record<>(image.outputKey(), image.original(), image.timestamp(), headers),
        ClassifierTopology.TO_LABEL_SINK);
    metrics.uncertain();
  }

  private void deadLetter(PendingImage image, String reason, String message) {
    context.forward(new Record<>(image.outputKey(), image.original(), image.timestamp(),
        DeadLetters.headers(reason, message, image.topic(), image.partition(), image.offset())),
        ClassifierTopology.DLQ_SINK);
    metrics.deadLettered(reason);
  }

  private static byte[] sequenceKey(long sequence) {
    return ByteBuffer.allocate(Long.BYTES).putLong(sequence).array();
  }
}
