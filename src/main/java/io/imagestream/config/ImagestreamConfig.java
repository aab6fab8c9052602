package io.imagestream.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * Every imagestream setting in one place, Kafka style: {@code imagestream.*} names with types, defaults, validation and
 * documentation. Everything else in the properties file is passed through to the Kafka clients as it is.
 *
 * <p>Precedence, lowest first: defaults, the {@code --config} file, environment variables ({@code
 * imagestream.batch.size} is {@code IMAGESTREAM_BATCH_SIZE}), command-line options.
 */
public final class ImagestreamConfig extends AbstractConfig {
  public static final String PREFIX = "imagestream.";

  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";

  public static final String TOPIC_IMAGES = "imagestream.topic.images";
  public static final String TOPIC_PREDICTIONS = "imagestream.topic.predictions";
  public static final String TOPIC_DLQ = "imagestream.topic.dlq";
  public static final String TOPIC_LABELLED = "imagestream.topic.labelled";
  public static final String TOPIC_MODELS = "imagestream.topic.models";
  public static final String TOPIC_TO_LABEL = "imagestream.topic.to.label";
  public static final String TOPICS_DIR = "imagestream.topics.dir";
  public static final String TOPICS_REPLICATION_FACTOR = "imagestream.topics.replication.factor";
  public static final String TOPICS_ENSURE = "imagestream.topics.ensure";

  public static final String BATCH_SIZE = "imagestream.batch.size";
  public static final String BATCH_MAX_WAIT_MS = "imagestream.batch.max.wait.ms";
  public static final String COMMIT_CAUGHT_UP_INTERVAL_MS = "imagestream.commit.caught.up.interval.ms";
  public static final String COMMIT_CAUGHT_UP_MAX_AGE_MS = "imagestream.commit.caught.up.max.age.ms";

  public static final String DECODE_MAX_PIXELS = "imagestream.decode.max.pixels";
  public static final String DECODE_MAX_BYTES = "imagestream.decode.max.bytes";
  public static final String DECODE_THREADS = "imagestream.decode.threads";
  public static final String DECODE_JPEG_NATIVE = "imagestream.decode.jpeg.native";
  public static final String DECODE_PNG_BUILTIN = "imagestream.decode.png.builtin";
  public static final String INFERENCE_OVERLAP = "imagestream.inference.overlap";
  public static final String RESIZE_INTERPOLATION = "imagestream.resize.interpolation";

  public static final String ACTIVE_UNCERTAINTY_THRESHOLD = "imagestream.active.uncertainty.threshold";

  public static final String MODEL_FILE = "imagestream.model.file";
  public static final String MODEL_NAME = "imagestream.model.name";
  public static final String MODEL_SIGNING_KEY = "imagestream.model.signing.key";
  public static final String MODEL_LOAD_BACKGROUND = "imagestream.model.load.background";

  public static final String APPLICATION_ID = "imagestream.classifier.application.id";
  public static final String INSTANCE_ID = "imagestream.instance.id";
  public static final String STANDBY_REPLICAS = "imagestream.classifier.standby.replicas";
  public static final String STREAM_THREADS = "imagestream.classifier.stream.threads";
  public static final String INFERENCE_THREADS = "imagestream.inference.threads";
  public static final String METRICS_HOST = "imagestream.metrics.host";

  public static final String TRAINER_GROUP_ID = "imagestream.trainer.group.id";
  public static final String TRAINER_MIN_NEW_LABELS = "imagestream.trainer.min.new.labels";
  public static final String TRAINER_MAX_INTERVAL_MS = "imagestream.trainer.max.interval.ms";
  public static final String TRAINER_HELDOUT_PERCENT = "imagestream.trainer.heldout.percent";
  public static final String TRAINER_MIN_HELDOUT = "imagestream.trainer.min.heldout";
  public static final String TRAINER_MIN_EXAMPLES_PER_CLASS = "imagestream.trainer.min.examples.per.class";
  public static final String TRAINER_MAX_CLASSES = "imagestream.trainer.max.classes";
  public static final String TRAINER_MAX_EXAMPLES = "imagestream.trainer.max.examples";
  public static final String TRAINER_EPOCHS = "imagestream.trainer.epochs";
  public static final String TRAINER_BATCH_SIZE = "imagestream.trainer.batch.size";
  public static final String TRAINER_LEARNING_RATE = "imagestream.trainer.learning.rate";
  public static final String TRAINER_LEARNING_RATE_DECAY = "imagestream.trainer.learning.rate.decay";
  public static final String TRAINER_MARGIN = "imagestream.trainer.margin";
  public static final String TRAINER_WARM_START = "imagestream.trainer.warm.start";
  public static final String TRAINER_INPUT_SHAPE = "imagestream.trainer.input.shape";
  public static final String TRAINER_THREADS = "imagestream.trainer.threads";
  public static final String TRAINER_AUGMENT_SHEAR = "imagestream.trainer.augment.shear";
  public static final String TRAINER_AUGMENT_ZOOM = "imagestream.trainer.augment.zoom";
  public static final String TRAINER_AUGMENT_FLIP = "imagestream.trainer.augment.horizontal.flip";
  public static final String TRAINER_SEED = "imagestream.trainer.seed";
  public static final String TRAINER_SHADOW_WINDOW = "imagestream.trainer.shadow.window";
  public static final String TRAINER_ARCHITECTURE = "imagestream.trainer.architecture";

  public static final String CONSOLE_TOKEN = "imagestream.console.token";
  public static final String CONSOLE_RECENT_IMAGES = "imagestream.console.recent.images";
  public static final String CONSOLE_RECENT_DEAD_LETTERS = "imagestream.console.recent.dead.letters";
  public static final String CONSOLE_BUFFER_BYTES = "imagestream.console.buffer.bytes";
  public static final String CONSOLE_QUEUE_MAX = "imagestream.console.queue.max";

  // Defaults the command-line help quotes too (picocli's descriptions need compile-time constants).
  public static final int DEFAULT_BATCH_SIZE = 32;
  public static final long DEFAULT_BATCH_MAX_WAIT_MS = 20L;
  public static final long DEFAULT_DECODE_MAX_PIXELS = 40_000_000L;
  public static final int DEFAULT_TRAINER_MIN_NEW_LABELS = 1000;
  public static final int DEFAULT_TRAINER_EPOCHS = 3;

  private static final ConfigDef DEFINITION = new ConfigDef()
      .define(BOOTSTRAP_SERVERS, Type.STRING, DEFAULT_BOOTSTRAP_SERVERS, Importance.HIGH,
          "Kafka brokers, HOST:PORT[,...].")
      .define(TOPIC_IMAGES, Type.STRING, "images", Importance.HIGH, "Topic of encoded images to classify.")
      .define(TOPIC_PREDICTIONS, Type.STRING, "predictions", Importance.HIGH, "Topic the predictions go to.")
      .define(TOPIC_DLQ, Type.STRING, "images-dlq", Importance.HIGH,
          "Dead-letter topic: inputs that could not be classified, unchanged, with the reason in headers.")
      .define(TOPIC_LABELLED, Type.STRING, "labelled-images", Importance.MEDIUM,
          "Topic of labelled images the trainer learns from.")
      .define(TOPIC_MODELS, Type.STRING, "models", Importance.MEDIUM, "Compacted topic of model artifacts.")
      .define(TOPIC_TO_LABEL, Type.STRING, "to-label", Importance.MEDIUM,
          "Topic of images the model was unsure about (active learning): the original bytes, the prediction in a "
              + "header, for a person or a labelling tool to label onto the labelled topic.")
      .define(TOPICS_DIR, Type.STRING, "", Importance.LOW,
          "Folder of topic definitions; empty means ./topics when present, else the definitions inside the jar.")
      .define(TOPICS_ENSURE, Type.BOOLEAN, true, Importance.MEDIUM,
          "true: classify, train and the console create missing topics at start and report differences; false: they "
              + "leave topics to an administrator ('topics' command), and need no ACL beyond their own topics "
              + "(docs/cluster.md).")
      .define(TOPICS_REPLICATION_FACTOR, Type.INT, 0, Range.atLeast(0), Importance.HIGH,
          "Replicas per partition of the topics imagestream creates, over the definitions' own (0 keeps them); from 3 "
              + "on, those topics also get min.insync.replicas=2. Kafka Streams' internal topics (the classifier's "
              + "changelog) follow the same factor; 0 leaves them at the broker's default.replication.factor.")
      .define(BATCH_SIZE, Type.INT, DEFAULT_BATCH_SIZE, Range.between(1, 4096), Importance.HIGH,
          "A stream thread's micro-batch (over all its partitions) is run through the network as soon as it holds "
              + "this many images.")
      // 20 ms: under load batches fill by size long before; below it the shorter wait costs only spare capacity
      // (smaller batches), and it is most of the latency a read_committed consumer sees.
      .define(BATCH_MAX_WAIT_MS, Type.LONG, DEFAULT_BATCH_MAX_WAIT_MS, Range.between(1, 60_000), Importance.HIGH,
          "...or once its oldest image has waited this long (wall clock).")
      // 15 ms, with commit.interval.ms 1000: at half load (64x64 JPEGs, 2,100 images/s) p99 156-183 -> 93-101 ms
      // at 30 ms, and 88-92 -> 77-79 ms from 30 to 15 (commit.interval.ms 30 alone: 100-145 ms, and ~8 % less
      // throughput saturated); docs/performance.md, "Caught-up commits".
      .define(COMMIT_CAUGHT_UP_INTERVAL_MS, Type.LONG, 15L, Range.atLeast(0), Importance.MEDIUM,
          "With exactly-once, while the classifier keeps up with its input (see "
              + "imagestream.commit.caught.up.max.age.ms), each stream thread commits right after it forwards "
              + "predictions, at most this often, so read_committed consumers see them within milliseconds; with a "
              + "backlog it commits at commit.interval.ms, which then defaults to 1000 (fewer transactions). 0 turns "
              + "it off (and commit.interval.ms back to Kafka's 100).")
      .define(COMMIT_CAUGHT_UP_MAX_AGE_MS, Type.LONG, 1_000L, Range.atLeast(0), Importance.LOW,
          "The classifier counts as keeping up while the images it forwards were read at most this long after "
              + "their record timestamp (producer clocks ahead count as keeping up).")
      .define(DECODE_MAX_PIXELS, Type.LONG, DEFAULT_DECODE_MAX_PIXELS, Range.atLeast(1), Importance.MEDIUM,
          "Images whose header declares more pixels (width x height) are refused before decoding (TOO_LARGE).")
      .define(DECODE_MAX_BYTES, Type.INT, 16 * 1024 * 1024, Range.atLeast(1), Importance.MEDIUM,
          "Encoded images larger than this are refused (TOO_LARGE).")
      .define(DECODE_JPEG_NATIVE, Type.BOOLEAN, true, Importance.LOW,
          "Decode JPEGs with the system's libjpeg-turbo (Debian: libturbojpeg0) when it is installed: faster, and "
              + "large photos are scaled down while decoding; false, or without the library: the JDK's ImageIO.")
      // ImageIO's PNG reader allocates ~32 KB of fresh buffers per image: half the classifier's garbage at 8,700
      // 28x28 PNGs/s (async-profiler), and so half its young GC pauses.
      .define(DECODE_PNG_BUILTIN, Type.BOOLEAN, true, Importance.LOW,
          "Decode 8-bit, non-interlaced grey and RGB(A) PNGs with imagestream's own decoder, which reuses each "
              + "thread's buffers (the same samples as ImageIO); false: the JDK's ImageIO for every PNG, as it "
              + "already is for palette, 16-bit and interlaced ones.")
      .define(DECODE_THREADS, Type.INT, -1, Range.atLeast(-1), Importance.MEDIUM,
          "Threads that decode images beside the stream threads, shared by them; -1: one per core, 0: decode on "
              + "the stream threads.")
      // true: a stream thread blocked in the network reads nothing, so images that arrive meanwhile wait unread
      // (in the thread's consumer) for the whole call and the commit after it.
      .define(INFERENCE_OVERLAP, Type.BOOLEAN, true, Importance.MEDIUM,
          "true: a stream thread's full batches run on a network thread of their own, so the stream thread reads, "
              + "buffers, forwards and commits while the batch is in the network (one batch in flight per stream "
              + "thread; batches due by their wait, i.e. spare capacity, run on the stream thread); false: every "
              + "batch runs on the stream thread.")
      .define(RESIZE_INTERPOLATION, Type.STRING, "bilinear", ValidString.in("bilinear", "nearest"), Importance.LOW,
          "How images are resized to the model's input.")
      .define(ACTIVE_UNCERTAINTY_THRESHOLD, Type.DOUBLE, 0.6, Range.between(0, 1), Importance.MEDIUM,
          "Predictions whose top probability is below this are also sent to the to-label topic; 0 turns it off.")
      .define(MODEL_FILE, Type.STRING, "models/default.zip", Importance.HIGH,
          "Model artifact served until a newer one arrives on the models topic.")
      .define(MODEL_NAME, Type.STRING, "default", Importance.LOW, "Model name (key on the models topic).")
      .define(MODEL_SIGNING_KEY, Type.PASSWORD, null, Importance.MEDIUM,
          "Secret for HMAC-SHA256 model signatures. When set, the trainer and 'models publish/rollback' sign what "
              + "they publish, and classifiers refuse models whose signature is missing or wrong. Never logged.")
      .define(MODEL_LOAD_BACKGROUND, Type.BOOLEAN, true, Importance.LOW,
          "true: a classifier loads, checks and warms up a new model version at the lowest CPU priority (Linux nice "
              + "19), on the CPU that serving leaves idle, so the swap takes less from the batches being served; a "
              + "classifier that keeps every core busy then takes longer to swap. false: at normal priority.")
      .define(APPLICATION_ID, Type.STRING, "imagestream-classifier", Importance.MEDIUM,
          "Kafka Streams application.id of the classifier: instances with the same id share the work.")
      .define(INSTANCE_ID, Type.STRING, "", Importance.MEDIUM,
          "A name for this instance that stays the same across its restarts and differs from every other instance "
              + "of the application (e.g. a StatefulSet pod name): its stream threads then join the group as static "
              + "members (group.instance.id), so a restart within the session timeout moves no partition. Empty: "
              + "dynamic members.")
      .define(STANDBY_REPLICAS, Type.INT, 0, Range.atLeast(0), Importance.MEDIUM,
          "Kafka Streams standby replicas (num.standby.replicas): warm copies of each task's buffer on other "
              + "instances, so a task that moves restores less of its changelog.")
      .define(STREAM_THREADS, Type.INT, -1, Range.atLeast(-1), Importance.MEDIUM,
          "Stream threads per classifier instance (each runs its own batches on its own copy of the network); -1: "
              + "cores / ND4J's threads per network call (imagestream.inference.threads), at least 1.")
      .define(INFERENCE_THREADS, Type.INT, 1, Range.atLeast(0), Importance.MEDIUM,
          "Threads each network call uses (OMP_NUM_THREADS for ND4J, applied at start; an OMP_NUM_THREADS in the "
              + "environment wins); 0: ND4J's default, one per core. Stream threads x this should not exceed the "
              + "cores.")
      .define(METRICS_HOST, Type.STRING, "127.0.0.1", Importance.LOW,
          "Address the /metrics and /health endpoints bind to.")
      .define(TRAINER_GROUP_ID, Type.STRING, "imagestream-trainer", Importance.LOW,
          "Consumer group of the trainer on the labelled-images topic.")
      .define(TRAINER_MIN_NEW_LABELS, Type.INT, DEFAULT_TRAINER_MIN_NEW_LABELS, Range.atLeast(1), Importance.HIGH,
          "Retrain once this many new labelled images have arrived...")
      .define(TRAINER_MAX_INTERVAL_MS, Type.LONG, 300_000L, Range.atLeast(1), Importance.HIGH,
          "...or once this long has passed since the last training, if any new label arrived.")
      .define(TRAINER_HELDOUT_PERCENT, Type.INT, 20, Range.between(1, 90), Importance.MEDIUM,
          "Share of labelled images held out for validation, chosen by a hash of the image id (stable).")
      .define(TRAINER_MIN_HELDOUT, Type.INT, 50, Range.atLeast(1), Importance.MEDIUM,
          "No candidate is judged on fewer held-out images than this.")
      .define(TRAINER_MIN_EXAMPLES_PER_CLASS, Type.INT, 10, Range.atLeast(1), Importance.MEDIUM,
          "A class with fewer training images is reported and left out until it has enough.")
      .define(TRAINER_MAX_CLASSES, Type.INT, 100, Range.atLeast(2), Importance.MEDIUM,
          "Labels beyond this many distinct classes are dead-lettered (TOO_MANY_CLASSES).")
      .define(TRAINER_MAX_EXAMPLES, Type.INT, 200_000, Range.atLeast(10), Importance.MEDIUM,
          "Labelled images kept in memory; the oldest are dropped beyond this.")
      .define(TRAINER_EPOCHS, Type.INT, DEFAULT_TRAINER_EPOCHS, Range.atLeast(1), Importance.MEDIUM, "Epochs per retraining.")
      .define(TRAINER_BATCH_SIZE, Type.INT, 32, Range.atLeast(1), Importance.LOW, "Training mini-batch size.")
      .define(TRAINER_LEARNING_RATE, Type.DOUBLE, 0.0005, Range.atLeast(0), Importance.LOW, "Adam learning rate.")
      .define(TRAINER_LEARNING_RATE_DECAY, Type.DOUBLE, 1.0, Range.between(0.01, 1), Importance.LOW,
          "The learning rate is multiplied by this after each epoch of a retraining (1: constant).")
      .define(TRAINER_MARGIN, Type.DOUBLE, 0.0, Importance.HIGH,
          "A candidate is published only if its held-out accuracy is at least the live model's plus this margin.")
      .define(TRAINER_WARM_START, Type.BOOLEAN, true, Importance.MEDIUM,
          "Start from the live model's weights when its classes and input are unchanged.")
      .define(TRAINER_INPUT_SHAPE, Type.STRING, "", Importance.MEDIUM,
          "Input HxWxC of trained models; empty means the live model's (64x64x3 when there is none).")
      .define(TRAINER_THREADS, Type.INT, 0, Range.atLeast(0), Importance.MEDIUM,
          "ND4J threads for training (process-wide); 0 keeps ND4J's default. Keep classifier + trainer <= cores.")
      .define(TRAINER_AUGMENT_SHEAR, Type.DOUBLE, 0.2, Range.atLeast(0), Importance.LOW,
          "Random shear in degrees (Keras shear_range); 0 turns it off.")
      .define(TRAINER_AUGMENT_ZOOM, Type.DOUBLE, 0.2, Range.between(0, 0.99), Importance.LOW,
          "Random zoom range (Keras zoom_range); 0 turns it off.")
      .define(TRAINER_AUGMENT_FLIP, Type.BOOLEAN, true, Importance.LOW,
          "Random horizontal flips (Keras horizontal_flip).")
      .define(TRAINER_SEED, Type.LONG, 42L, Importance.LOW, "Seed for weights, shuffling and augmentation.")
      .define(TRAINER_ARCHITECTURE, Type.STRING, "", ValidString.in("", "keras-tutorial-cnn", "vgg-bn"),
          Importance.MEDIUM, "Architecture of networks the trainer builds (keras-tutorial-cnn, vgg-bn); empty: the live "
              + "model's when it is a built-in one, else keras-tutorial-cnn. A live model of another architecture is "
              + "not warm-started.")
      .define(TRAINER_SHADOW_WINDOW, Type.INT, 500, Range.atLeast(1), Importance.LOW,
          "Shadow scoring: the candidate and the live model are also scored on the last this many labelled images "
              + "read (training and held-out alike), reported beside the held-out score; the gate ignores it.")
      .define(CONSOLE_TOKEN, Type.PASSWORD, null, Importance.HIGH,
          "Access token of the web console ('console'): required when it listens on an address other than loopback "
              + "(it refuses to start without one), optional on loopback. People open the console once as "
              + "http://HOST:PORT/?token=TOKEN; a cookie keeps it. Never logged.")
      .define(CONSOLE_RECENT_IMAGES, Type.INT, 28, Range.between(1, 1000), Importance.LOW,
          "The web console keeps (and shows) this many of the most recent classified images.")
      .define(CONSOLE_RECENT_DEAD_LETTERS, Type.INT, 20, Range.between(1, 1000), Importance.LOW,
          "The web console keeps (and shows) this many of the most recent dead letters.")
      .define(CONSOLE_BUFFER_BYTES, Type.LONG, 64L * 1024 * 1024, Range.atLeast(1024 * 1024), Importance.LOW,
          "Memory the web console spends on image bytes: images waiting for their prediction plus those shown "
              + "(the oldest are dropped first), and again as much for the labelling page's cache.")
      .define(CONSOLE_QUEUE_MAX, Type.INT, 20_000, Range.atLeast(10), Importance.LOW,
          "Images of the to-label topic the web console's labelling page keeps track of (id, guesses and "
              + "position, not the bytes), oldest first; newer ones wait until older ones are labelled.");

  private final Map<String, String> passthrough;

  private ImagestreamConfig(Map<String, String> all, Map<String, String> passthrough) {
    super(DEFINITION, all, false);
    this.passthrough = passthrough;
  }

  /** Defaults only (tests and embedded use). */
  public static ImagestreamConfig defaults() {
    return of(Map.of());
  }

  /** From explicit values over the defaults. */
  public static ImagestreamConfig of(Map<String, String> values) {
    Map<String, String> passthrough = new TreeMap<>();
    values.forEach((k, v) -> {
      if (!k.startsWith(PREFIX) && !k.equals(BOOTSTRAP_SERVERS)) {
        passthrough.put(k, v);
      }
    });
    return new ImagestreamConfig(new HashMap<>(values), passthrough);
  }

  /**
   * Layers the sources: the optional properties file, then environment variables for every known setting, then
   * command-line values (entries with null values are ignored).
   */
  public static ImagestreamConfig load(Path file, Map<String, String> environment, Map<String, String> commandLine) {
    Map<String, String> values = new HashMap<>();
    if (file != null) {
      values.putAll(readProperties(file));
    }
    for (String name : DEFINITION.names()) {
      String fromEnv = environment.get(environmentName(name));
      if (fromEnv != null && !fromEnv.isBlank()) {
        values.put(name, fromEnv);
      }
    }
    commandLine.forEach((k, v) -> {
      if (v != null) {
        values.put(k, v);
      }
    });
    return of(values);
  }

  /** {@code imagestream.batch.size} -> {@code IMAGESTREAM_BATCH_SIZE}; {@code bootstrap.servers} -> {@code IMAGESTREAM_BOOTSTRAP_SERVERS}. */
  public static String environmentName(String setting) {
    String base = setting.startsWith(PREFIX) ? setting.substring(PREFIX.length()) : setting;
    return "IMAGESTREAM_" + base.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
  }

  static Map<String, String> readProperties(Path file) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
    }
    Map<String, String> values = new HashMap<>();
    properties.stringPropertyNames().forEach(k -> values.put(k, properties.getProperty(k).trim()));
    return values;
  }

  /** The model signing key's UTF-8 bytes, or null when none is configured (models are then not signed). */
  public byte[] modelSigningKey() {
    org.apache.kafka.common.config.types.Password key = getPassword(MODEL_SIGNING_KEY);
    return key == null || key.value().isEmpty() ? null
        : key.value().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  public String bootstrapServers() {
    return getString(BOOTSTRAP_SERVERS);
  }

  /** Kafka client settings from the config file that are not imagestream's own (security, tuning...). */
  public Map<String, Object> kafkaPassthrough() {
    return new HashMap<>(passthrough);
  }

  /** Base properties for any Kafka client: bootstrap servers plus the passthrough settings. */
  public Map<String, Object> clientProperties() {
    Map<String, Object> props = kafkaPassthrough();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return props;
  }

  public static ConfigDef definition() {
    return DEFINITION;
  }
}
