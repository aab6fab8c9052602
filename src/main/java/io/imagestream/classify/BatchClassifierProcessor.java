package io.imagestream.classify;

import io.imagestream.kafka.DeadLetters;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.ImageRejectedException;
import io.imagestream.image.InputShape;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.model.LoadedModel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * Buffers each image in a changelogged store as it arrives, starts decoding it on the {@link DecodePool}, and
 * classifies the buffer as one micro-batch when it holds {@code batchSize} images or its oldest image has waited
 * {@code maxWait} (wall clock). Images that cannot be decoded go to the dead-letter sink, at once when that is known
 * at once, else when their batch is classified.
 *
 * <p>Why a store: with exactly-once, an input offset is committed in the same transaction as the store's changelog
 * entry; an image buffered only in memory would be lost by a crash after its offset was committed. Store keys are a
 * per-task sequence, so iterating the store yields the input order.
 *
 * <p>Active learning: a prediction whose top probability is below {@code uncertaintyThreshold} is also sent, with
 * the original image, to the to-label sink, where a person's label is worth most.
 */
final class BatchClassifierProcessor implements Processor<byte[], byte[], byte[], Object> {
  private final String storeName;
  private final int batchSize;
  private final Duration maxWait;
  private final double uncertaintyThreshold;
  private final ServingModel model;
  private final Function<InputShape, ImagePreprocessor> preprocessors;
  private final ClassifierMetrics metrics;
  private final DecodePool decoder;
  /** Decodes started for buffered images, by sequence; in memory only (after a restart, images are decoded again). */
  private final Map<Long, CompletableFuture<DecodePool.Decoded>> decoding = new HashMap<>();

  private ProcessorContext<byte[], Object> context;
  private KeyValueStore<byte[], byte[]> pending;
  private long nextSequence;
  private int pendingCount;
  private long oldestArrivalMs = Long.MAX_VALUE;

  /** @param uncertaintyThreshold predictions less sure than this also go to the to-label sink; 0: none do */
  BatchClassifierProcessor(String storeName, int batchSize, Duration maxWait, double uncertaintyThreshold,
                           ServingModel model, Function<InputShape, ImagePreprocessor> preprocessors,
                           ClassifierMetrics metrics, DecodePool decoder) {
    this.storeName = storeName;
    this.batchSize = batchSize;
    this.maxWait = maxWait;
    this.uncertaintyThreshold = uncertaintyThreshold;
    this.model = model;
    this.preprocessors = preprocessors;
    this.metrics = metrics;
    this.decoder = decoder;
  }

  @Override
  public void init(ProcessorContext<byte[], Object> context) {
    this.context = context;
    this.pending = context.getStateStore(storeName);
    // After a restart the store holds what was buffered but not yet classified: carry on from there.
    try (KeyValueIterator<byte[], byte[]> all = pending.all()) {
      while (all.hasNext()) {
        KeyValue<byte[], byte[]> entry = all.next();
        if (pendingCount++ == 0) {
          oldestArrivalMs = PendingImage.decode(entry.value).arrivalWallClockMs();
        }
        nextSequence = ByteBuffer.wrap(entry.key).getLong() + 1;
      }
    }
    Duration tick = Duration.ofMillis(Math.max(1, Math.min(maxWait.toMillis() / 4, 100)));
    context.schedule(tick, PunctuationType.WALL_CLOCK_TIME, this::flushIfOverdue);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata source = context.recordMetadata().orElseThrow();
    String id = record.key() != null ? new String(record.key(), StandardCharsets.UTF_8)
        : source.topic() + "-" + source.partition() + "-" + source.offset();
    long now = context.currentSystemTimeMs(); // the clock punctuation uses (mockable in tests)
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
    decoding.put(sequence, decoded);
    if (pendingCount++ == 0) {
      oldestArrivalMs = now;
    }
    if (pendingCount >= batchSize) {
      flush();
    }
  }

  private void flushIfOverdue(long wallClockMs) {
    if (pendingCount > 0 && wallClockMs - oldestArrivalMs >= maxWait.toMillis()) {
      flush();
      // A batch that filled by time, not size, means spare capacity: commit now rather than at the next commit
      // interval, so that its predictions become visible to read_committed consumers without that extra wait.
      context.commit();
    }
  }

  /** Classifies everything buffered, in batches of at most batchSize, in input order. */
  private void flush() {
    while (pendingCount > 0) {
      List<KeyValue<byte[], PendingImage>> batch = new ArrayList<>(Math.min(pendingCount, batchSize));
      try (KeyValueIterator<byte[], byte[]> all = pending.all()) {
        while (all.hasNext() && batch.size() < batchSize) {
          KeyValue<byte[], byte[]> entry = all.next();
          batch.add(KeyValue.pair(entry.key, PendingImage.decode(entry.value)));
        }
      }
      classify(batch);
      for (KeyValue<byte[], PendingImage> entry : batch) {
        pending.delete(entry.key);
      }
      pendingCount -= batch.size();
    }
    oldestArrivalMs = Long.MAX_VALUE;
  }

  private void classify(List<KeyValue<byte[], PendingImage>> batch) {
    LoadedModel serving = model.current(); // one version for the whole batch
    List<PendingImage> ready = new ArrayList<>(batch.size());
    List<byte[]> pixels = new ArrayList<>(batch.size());
    for (KeyValue<byte[], PendingImage> entry : batch) {
      PendingImage image = entry.value;
      DecodePool.Decoded decoded = decoded(ByteBuffer.wrap(entry.key).getLong(), image, serving);
      if (decoded.rejected()) {
        deadLetter(image, decoded.rejectReason(), decoded.message());
      } else {
        ready.add(image);
        pixels.add(decoded.pixels());
      }
    }
    if (ready.isEmpty()) {
      return;
    }
    float[][] probabilities;
    long start = System.nanoTime();
    try {
      probabilities = serving.predictPixels(pixels);
    } catch (RuntimeException e) { // the model failed, not the inputs: dead-letter the batch rather than crash-loop
      for (PendingImage image : ready) {
        deadLetter(image, DeadLetters.INTERNAL, "inference failed with model " + serving.metadata().name() + " v"
            + serving.metadata().version() + ": " + e);
      }
      return;
    }
    metrics.batch(ready.size(), System.nanoTime() - start);
    long now = System.currentTimeMillis();
    byte[] version = Long.toString(serving.metadata().version()).getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < ready.size(); i++) {
      PendingImage image = ready.get(i);
      Prediction prediction = Prediction.of(image.id(), probabilities[i], serving.metadata(),
          new Prediction.Source(image.topic(), image.partition(), image.offset()),
          new Prediction.Timestamps(image.timestamp(), now));
      RecordHeaders headers = new RecordHeaders();
      headers.add(ClassifierTopology.MODEL_VERSION_HEADER, version);
      context.forward(new Record<>(image.outputKey(), prediction, image.timestamp(), headers),
          ClassifierTopology.PREDICTIONS_SINK);
      metrics.classified(prediction.label(), image.timestamp(), now);
      if (prediction.probability() < uncertaintyThreshold) {
        toLabel(image, prediction, version);
      }
    }
  }

  /**
   * The image's pixels for the serving model's input: from the decode started when it arrived, or decoded now when
   * there is none (restored after a restart) or it was decoded for another input shape (a swap happened since).
   */
  private DecodePool.Decoded decoded(long sequence, PendingImage image, LoadedModel serving) {
    CompletableFuture<DecodePool.Decoded> started = decoding.remove(sequence);
    DecodePool.Decoded decoded = started == null ? null : started.join();
    if (decoded == null || !decoded.shape().equals(serving.inputShape())) {
      decoded = DecodePool.decode(preprocessors.apply(serving.inputShape()), image.original());
    }
    return decoded;
  }

  @Override
  public void close() {
    decoding.values().forEach(started -> started.cancel(false));
    decoding.clear();
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
