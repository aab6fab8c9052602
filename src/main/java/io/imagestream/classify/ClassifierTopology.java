package io.imagestream.classify;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.InputShape;
import io.imagestream.image.Interpolation;
import io.imagestream.metrics.ClassifierMetrics;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The classifier, read top to bottom:
 *
 * <pre>
 *   images ──► batch-classifier ──► predictions      (one JSON prediction per image, input order per partition)
 *                  │   ▲      ├───► to-label         (uncertain ones again: original bytes + prediction header)
 *                  │   ▲      └───► images-dlq       (bad input, unchanged, with the reason in headers)
 *                  ▼   │
 *           pending-images store (changelogged: buffered images survive a crash)
 * </pre>
 *
 * The batch-classifier buffers each image as it arrives and starts decoding it on the decode threads (so decoding
 * overlaps reading and inference), then runs the network once per micro-batch (by size, or by the oldest image's
 * wait on the wall clock). A micro-batch gathers the images of all the partitions a stream thread owns
 * ({@link ThreadBatch}) and runs on a network thread while the stream thread reads on ({@link NetworkPool}); each
 * task forwards its own images' outcomes. All three sinks write in the same
 * exactly-once transaction as the input offsets.
 */
public final class ClassifierTopology {
  public static final String SOURCE = "images-source";
  public static final String PROCESSOR = "batch-classifier";
  public static final String PREDICTIONS_SINK = "predictions-sink";
  public static final String DLQ_SINK = "dlq-sink";
  public static final String TO_LABEL_SINK = "to-label-sink";
  public static final String PENDING_STORE = "pending-images";
  public static final String MODEL_VERSION_HEADER = "imagestream.model.version";
  public static final String PREDICTION_HEADER = "imagestream.prediction";

  /** Changelog records carry the original image: allow as much as the images topic does, and more. */
  static final String CHANGELOG_MAX_MESSAGE_BYTES = Integer.toString(64 * 1024 * 1024);

  private ClassifierTopology() {}

  public static Topology build(ImagestreamConfig config, ServingModel model, ClassifierMetrics metrics) {
    return build(config, model, metrics, decodePool(config), networkPool(config));
  }

  static Topology build(ImagestreamConfig config, ServingModel model, ClassifierMetrics metrics,
                        DecodePool decoder, NetworkPool network) {
    int batchSize = config.getInt(ImagestreamConfig.BATCH_SIZE);
    Duration maxWait = Duration.ofMillis(config.getLong(ImagestreamConfig.BATCH_MAX_WAIT_MS));
    Function<InputShape, ImagePreprocessor> preprocessors = preprocessors(config);
    double uncertaintyThreshold = config.getDouble(ImagestreamConfig.ACTIVE_UNCERTAINTY_THRESHOLD);
    BatchClassifierProcessor.CaughtUpCommits caughtUpCommits = BatchClassifierProcessor.CaughtUpCommits.of(config);

    StoreBuilder<KeyValueStore<byte[], byte[]>> pendingStore = Stores
        .keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PENDING_STORE), Serdes.ByteArray(), Serdes.ByteArray())
        .withLoggingEnabled(Map.of("max.message.bytes", CHANGELOG_MAX_MESSAGE_BYTES))
        .withCachingEnabled();

    ThreadBatch.PerThread batches = new ThreadBatch.PerThread(); // one micro-batch per stream thread, across its tasks
    Topology topology = new Topology(
        new TopologyConfig(new StreamsConfig(ClassifierStreamsConfig.forTopology(config))));
    topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
        config.getString(ImagestreamConfig.TOPIC_IMAGES));
    topology.addProcessor(PROCESSOR,
        () -> new BatchClassifierProcessor(PENDING_STORE, batchSize, maxWait, uncertaintyThreshold, model,
            preprocessors, metrics, decoder, network, batches, caughtUpCommits), SOURCE);
    topology.addStateStore(pendingStore, PROCESSOR);
    topology.addSink(PREDICTIONS_SINK, config.getString(ImagestreamConfig.TOPIC_PREDICTIONS),
        new ByteArraySerializer(), Prediction.serializer(), ClassifierTopology::sameAsInputPartition, PROCESSOR);
    topology.addSink(DLQ_SINK, config.getString(ImagestreamConfig.TOPIC_DLQ), new ByteArraySerializer(),
        new ByteArraySerializer(), PROCESSOR);
    topology.addSink(TO_LABEL_SINK, config.getString(ImagestreamConfig.TOPIC_TO_LABEL), new ByteArraySerializer(),
        new ByteArraySerializer(), PROCESSOR);
    return topology;
  }

  /**
   * A prediction goes to the partition its image came from (modulo the partition count), so that readers of a
   * predictions partition see the input partition's order, whatever partitioner the producers used.
   */
  static Optional<Set<Integer>> sameAsInputPartition(String topic, byte[] key, Prediction prediction,
                                                     int partitionCount) {
    return Optional.of(Set.of(prediction.source().partition() % partitionCount));
  }

  /** The decode threads (imagestream.decode.threads; -1: one per core). */
  static DecodePool decodePool(ImagestreamConfig config) {
    int threads = config.getInt(ImagestreamConfig.DECODE_THREADS);
    return new DecodePool(threads < 0 ? Runtime.getRuntime().availableProcessors() : threads);
  }

  /**
   * The network threads (imagestream.inference.overlap): one per stream thread, as each has at most one batch in
   * flight; none (batches on the stream threads) when overlap is off.
   */
  static NetworkPool networkPool(ImagestreamConfig config) {
    return new NetworkPool(config.getBoolean(ImagestreamConfig.INFERENCE_OVERLAP)
        ? ClassifierStreamsConfig.streamThreads(config) : 0);
  }

  /** One immutable preprocessor per model input shape, shared by all tasks. */
  static Function<InputShape, ImagePreprocessor> preprocessors(ImagestreamConfig config) {
    long maxPixels = config.getLong(ImagestreamConfig.DECODE_MAX_PIXELS);
    int maxBytes = config.getInt(ImagestreamConfig.DECODE_MAX_BYTES);
    Interpolation interpolation = Interpolation.valueOf(
        config.getString(ImagestreamConfig.RESIZE_INTERPOLATION).toUpperCase(Locale.ROOT));
    ImagePreprocessor.useNativeJpeg(config.getBoolean(ImagestreamConfig.DECODE_JPEG_NATIVE));
    ImagePreprocessor.useBuiltinPng(config.getBoolean(ImagestreamConfig.DECODE_PNG_BUILTIN));
    Map<InputShape, ImagePreprocessor> cache = new ConcurrentHashMap<>();
    return shape -> cache.computeIfAbsent(shape, s -> new ImagePreprocessor(s, maxPixels, maxBytes, interpolation));
  }
}
