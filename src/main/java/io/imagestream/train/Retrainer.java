package io.imagestream.train;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.model.Architectures;
import io.imagestream.model.Augmentation;
import io.imagestream.model.BaseOutputCache;
import io.imagestream.model.FrozenTraining;
import io.imagestream.model.LabelledDataset;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelMetadata;
import io.imagestream.model.ModelTrainer;
import io.imagestream.model.NetworkTransfer;
import io.imagestream.model.TransferModel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * One retraining, start to verdict, with no Kafka in sight: choose the classes, build or warm-start the network,
 * train with augmentation on the training split, then let the {@link ValidationGate} compare the candidate with the
 * live model on the held-out split. Beside it, both are "shadow scored" on the most recent labelled images (training
 * and held-out alike): a hint of how they do on what arrives now, reported only; the gate decides on held-out
 * accuracy alone, because recent training images flatter the candidate that has just learned them.
 */
public final class Retrainer {

  public record Settings(String modelName, int heldOutPercent, int minHeldOut, int minExamplesPerClass, int epochs,
                         int batchSize, double learningRate, boolean warmStart, Augmentation augmentation,
                         long seed, double margin, int shadowWindow, String architecture, double learningRateDecay) {
    public Settings {
      architecture = architecture == null ? "" : architecture;
      if (!architecture.isEmpty() && !Architectures.isKnown(architecture)) {
        throw new IllegalArgumentException("unknown architecture '" + architecture + "'; known: "
            + Architectures.NAMES);
      }
    }

    /** A constant learning rate. */
    public Settings(String modelName, int heldOutPercent, int minHeldOut, int minExamplesPerClass, int epochs,
                    int batchSize, double learningRate, boolean warmStart, Augmentation augmentation, long seed,
                    double margin, int shadowWindow, String architecture) {
      this(modelName, heldOutPercent, minHeldOut, minExamplesPerClass, epochs, batchSize, learningRate, warmStart,
          augmentation, seed, margin, shadowWindow, architecture, 1.0);
    }

    /** With the live model's architecture. */
    public Settings(String modelName, int heldOutPercent, int minHeldOut, int minExamplesPerClass, int epochs,
                    int batchSize, double learningRate, boolean warmStart, Augmentation augmentation, long seed,
                    double margin, int shadowWindow) {
      this(modelName, heldOutPercent, minHeldOut, minExamplesPerClass, epochs, batchSize, learningRate, warmStart,
          augmentation, seed, margin, shadowWindow, "");
    }

    /** With the default shadow window. */
    public Settings(String modelName, int heldOutPercent, int minHeldOut, int minExamplesPerClass, int epochs,
                    int batchSize, double learningRate, boolean warmStart, Augmentation augmentation, long seed,
                    double margin) {
      this(modelName, heldOutPercent, minHeldOut, minExamplesPerClass, epochs, batchSize, learningRate, warmStart,
          augmentation, seed, margin, 500);
    }

    public static Settings from(ImagestreamConfig c) {
      return new Settings(c.getString(ImagestreamConfig.MODEL_NAME), c.getInt(ImagestreamConfig.TRAINER_HELDOUT_PERCENT),
          c.getInt(ImagestreamConfig.TRAINER_MIN_HELDOUT), c.getInt(ImagestreamConfig.TRAINER_MIN_EXAMPLES_PER_CLASS),
          c.getInt(ImagestreamConfig.TRAINER_EPOCHS), c.getInt(ImagestreamConfig.TRAINER_BATCH_SIZE),
          c.getDouble(ImagestreamConfig.TRAINER_LEARNING_RATE), c.getBoolean(ImagestreamConfig.TRAINER_WARM_START),
          new Augmentation(c.getDouble(ImagestreamConfig.TRAINER_AUGMENT_SHEAR),
              c.getDouble(ImagestreamConfig.TRAINER_AUGMENT_ZOOM), c.getBoolean(ImagestreamConfig.TRAINER_AUGMENT_FLIP)),
          c.getLong(ImagestreamConfig.TRAINER_SEED), c.getDouble(ImagestreamConfig.TRAINER_MARGIN),
          c.getInt(ImagestreamConfig.TRAINER_SHADOW_WINDOW), c.getString(ImagestreamConfig.TRAINER_ARCHITECTURE),
          c.getDouble(ImagestreamConfig.TRAINER_LEARNING_RATE_DECAY));
    }

    /**
     * The architecture to build: the configured one, else the live model's when it is a built-in one, else the
     * tutorial CNN.
     */
    String architectureFor(LoadedModel live) {
      if (!architecture.isEmpty()) {
        return architecture;
      }
      return live != null && Architectures.isKnown(live.metadata().architecture()) ? live.metadata().architecture()
          : Architectures.KERAS_TUTORIAL_CNN;
    }
  }

  /** What a retraining came to. */
  public sealed interface Outcome permits Skipped, Judged {}

  /** Nothing to judge yet (too few classes or held-out images); says why. */
  public record Skipped(String reason) implements Outcome {}

  /** A trained candidate and the gate's verdict; {@code excludedClasses} had too few examples. */
  public record Judged(LoadedModel candidate, ValidationGate.Verdict verdict, Map<String, Integer> excludedClasses,
                       String start, Shadow shadow) implements Outcome {}

  /** Accuracy of the candidate and of the live model (0 when none) on the last {@code images} labelled images. */
  public record Shadow(double candidateAccuracy, double liveAccuracy, int images) {
    public String describe() {
      return String.format("shadow accuracy %.4f vs live %.4f on the last %d labelled images (not used by the gate)",
          candidateAccuracy, liveAccuracy, images);
    }
  }

  private final Settings settings;
  /** A transfer model's base outputs, reused from one retraining to the next while the base stays the same. */
  private final BaseOutputCache baseOutputs = new BaseOutputCache();

  public Retrainer(Settings settings) {
    this.settings = settings;
  }

  /** The base-output cache: how many images of the last retraining it served, for tests and logs. */
  public BaseOutputCache baseOutputCache() {
    return baseOutputs;
  }

  /** A trained network and what the candidate's metadata says about how. */
  private record Trained(MultiLayerNetwork network, ModelTrainer.EpochResult last, String start, String architecture,
                         ModelMetadata.Preprocessing preprocessing, List<Integer> frozen) {}

  /** A live model with frozen layers (a transfer model's base) is retrained as one: the frozen layers stay so. */
  static boolean isTransfer(LoadedModel live, LabelledStore store) {
    return live != null && !live.metadata().frozen().isEmpty() && live.inputShape().equals(store.shape());
  }

  /**
   * Only the layers the live model says are trainable train; the frozen base runs forward only (its outputs reused
   * from the last retraining where the images and the base are the same, when there is no augmentation). The same
   * classes: a warm start of the whole trainable part; new classes (or no warm start): a new head on the base.
   */
  private Trained retrainTransfer(LoadedModel live, boolean sameTask, List<String> classes, LabelledDataset train,
                                  long version, ModelTrainer.Options options) {
    List<Integer> frozen = live.metadata().frozen();
    MultiLayerNetwork network;
    String start;
    if (sameTask && settings.warmStart()) {
      network = NetworkTransfer.warmStart(live.network());
      start = "warm start from v" + live.metadata().version() + ", " + frozen.size() + " frozen layers kept";
    } else {
      int baseLayers = TransferModel.baseLayerCount(live.network());
      network = TransferModel.build(live.network(), train.shape(), baseLayers, classes.size(),
          TransferModel.headOf(live.network(), baseLayers), settings.seed() + version, settings.learningRate());
      frozen = frozen.stream().filter(i -> i < baseLayers).toList();
      start = "new head for " + classes.size() + " classes on the frozen base of v" + live.metadata().version();
    }
    FrozenTraining.Result result = FrozenTraining.fit(network, train.shape(), frozen, settings.learningRate(), options,
        train, null, new ModelTrainer.Listener() {}, baseOutputs);
    if (result.cachedBaseOutputs()) {
      start += String.format(", base outputs: %d reused, %d computed", baseOutputs.hits(), baseOutputs.misses());
    }
    return new Trained(network, result.history().kept(), start, live.metadata().architecture(),
        live.metadata().preprocessing(), frozen);
  }

  private Trained retrainWhole(LoadedModel live, boolean sameTask, List<String> classes, LabelledDataset train,
                               long version, ModelTrainer.Options options) {
    String architecture = settings.architectureFor(live);
    // a live model of another architecture than the one asked for is not carried on: its layers are not these
    boolean liveFits = live != null && (settings.architecture().isEmpty()
        || architecture.equals(live.metadata().architecture()));
    MultiLayerNetwork network;
    String start;
    if (sameTask && liveFits && settings.warmStart()) {
      network = NetworkTransfer.warmStart(live.network());
      network.setLearningRate(settings.learningRate()); // the clone keeps the rate it was trained with otherwise
      start = "warm start from v" + live.metadata().version();
      architecture = live.metadata().architecture();
    } else {
      network = Architectures.build(architecture, train.shape(), classes.size(), settings.seed() + version,
          settings.learningRate());
      int copied = liveFits && live.inputShape().equals(train.shape()) && settings.warmStart()
          ? NetworkTransfer.copyFeatureLayers(live.network(), network) : 0;
      start = copied > 0 ? "new output layer for " + classes.size() + " classes, " + copied
          + " feature layers from v" + live.metadata().version() : "fresh network";
    }
    ModelTrainer.EpochResult last = new ModelTrainer(options).fit(network, train, null, new ModelTrainer.Listener() {});
    return new Trained(network, last, start, architecture, new ModelMetadata.Preprocessing(
        1.0 / 255, "bilinear", train.shape().channels() == 1 ? "grayscale" : "rgb"), List.of());
  }


  public Outcome retrain(LabelledStore store, LoadedModel live, long version) {
    return retrain(store, live, version, null);
  }

  /** @param labelledOffsets how far the labelled topic was read (recorded in the candidate's metadata) */
  public Outcome retrain(LabelledStore store, LoadedModel live, long version, Map<String, Long> labelledOffsets) {
    Map<String, Integer> counts = store.trainingCounts(settings.heldOutPercent());
    List<String> classes = new ArrayList<>();
    Map<String, Integer> excluded = new LinkedHashMap<>();
    counts.forEach((label, n) -> {
      if (n >= settings.minExamplesPerClass()) {
        classes.add(label); // sorted by name, as Keras' flow_from_directory orders classes
      } else {
        excluded.put(label, n);
      }
    });
    if (live != null && classes.size() == live.classNames().size() && classes.containsAll(live.classNames())) {
      classes.clear();
      classes.addAll(live.classNames()); // the same classes: keep the live model's output order (it may not be sorted)
    }
    if (classes.size() < 2) {
      return new Skipped("need at least 2 classes with " + settings.minExamplesPerClass()
          + " training images each; have " + counts);
    }
    List<Map.Entry<String, byte[]>> heldOut = store.heldOutExamples(settings.heldOutPercent());
    if (heldOut.size() < settings.minHeldOut()) {
      return new Skipped("only " + heldOut.size() + " held-out images, need " + settings.minHeldOut());
    }
    LabelledDataset train = store.dataset(classes, settings.heldOutPercent(), false);

    boolean sameTask = live != null && live.classNames().equals(classes) && live.inputShape().equals(store.shape());
    ModelTrainer.Options options = new ModelTrainer.Options(settings.epochs(), settings.batchSize(),
        settings.seed() + version, settings.augmentation(), 0, settings.learningRateDecay());
    long begin = System.nanoTime();
    Trained trained = isTransfer(live, store)
        ? retrainTransfer(live, sameTask, classes, train, version, options)
        : retrainWhole(live, sameTask, classes, train, version, options);
    double seconds = (System.nanoTime() - begin) / 1e9;
    String start = trained.start();
    MultiLayerNetwork network = trained.network();

    ModelMetadata metadata = new ModelMetadata(settings.modelName(), version,
        live == null ? 0 : live.metadata().version(), trained.architecture(), classes,
        ModelMetadata.Input.of(store.shape()), trained.preprocessing(),
        classes.size() == 2 ? ModelMetadata.SIGMOID : ModelMetadata.SOFTMAX,
        new ModelMetadata.Training("labelled-images stream (" + start + ")", settings.epochs(), settings.batchSize(),
            train.size(), heldOut.size(), new LinkedHashMap<>(trained.last().asMap()), Math.round(seconds * 10) / 10.0,
            labelledOffsets),
        Instant.now().toString(), null, trained.frozen().isEmpty() ? null : trained.frozen());
    LoadedModel candidate = LoadedModel.of(network, metadata);
    ValidationGate.Verdict verdict = new ValidationGate(settings.margin()).judge(candidate, live, heldOut);
    metadata.training().metrics().put("heldout_accuracy", verdict.candidateAccuracy());
    metadata.training().metrics().put("live_heldout_accuracy", verdict.liveAccuracy());
    List<Map.Entry<String, byte[]>> recent = store.recentExamples(settings.shadowWindow());
    Shadow shadow = new Shadow(ValidationGate.accuracy(candidate, recent),
        live == null ? 0 : ValidationGate.accuracy(live, recent), recent.size());
    metadata.training().metrics().put("shadow_accuracy", shadow.candidateAccuracy());
    metadata.training().metrics().put("live_shadow_accuracy", shadow.liveAccuracy());
    return new Judged(candidate, verdict, excluded, start, shadow);
  }
}
