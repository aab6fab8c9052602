package io.imagestream.cli;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.InputShape;
import io.imagestream.image.Interpolation;
import io.imagestream.model.Architectures;
import io.imagestream.model.Augmentation;
import io.imagestream.model.Charts;
import io.imagestream.model.ClassFolders;
import io.imagestream.model.FashionMnist;
import io.imagestream.model.ImageFolderDataset;
import io.imagestream.model.LabelledDataset;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import io.imagestream.model.ModelTrainer;
import io.imagestream.model.ModelTrainer.EpochResult;
import io.imagestream.model.TrainingHistory;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "fit", mixinStandardHelpOptions = true,
    description = {"Trains a model offline from class sub-folders (Keras flow_from_directory layout: DIR/<class>/*, "
        + "or DIR/train/<class>/* with DIR/validation/<class>/*, or DIR/<class>/* with --validation-split), or from "
        + "Fashion-MNIST (--fashion-mnist). Two classes: one sigmoid output; more: softmax.",
        "Prints loss/accuracy/val_loss/val_accuracy per epoch and writes the model artifact (FILE), its metadata "
            + "(FILE.json), digest (FILE.sha256), the per-epoch history (FILE.history.json, Keras' History.history) "
            + "and its loss/accuracy curves (FILE.history.png).",
        "Transfer learning (--base MODEL): MODEL's layers up to its last convolution/pooling layer become a frozen "
            + "base under a new head, Flatten -> Dense(--head-units, relu) -> Dropout(--head-dropout) -> output; input "
            + "shape and preprocessing come from the base. Without augmentation each image goes through the base "
            + "once. --fine-tune-layers K then also trains the base's last K layers at a lower learning rate."})
final class FitCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(arity = "0..1", paramLabel = "DIR", description = "Folder of class sub-folders.")
  Path dir;

  @Option(names = "--fashion-mnist", arity = "0..1", paramLabel = "IDX_DIR", fallbackValue = "/usr/share/datasets/fashion-mnist",
      description = "Train on Fashion-MNIST's training split (IDX files; default: Debian's dataset-fashion-mnist) and "
          + "validate on its test split.")
  Path fashionMnist;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Model artifact to write (.zip).")
  Path out;

  @Option(names = "--epochs", defaultValue = "10", description = "Epochs (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--batch-size", defaultValue = "32", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--image-size", defaultValue = "64x64", paramLabel = "HxW",
      description = "Input height x width (default: ${DEFAULT-VALUE}; Fashion-MNIST is always 28x28).")
  String imageSize;

  @Option(names = "--channels", defaultValue = "3", description = "1 (grey) or 3 (RGB) (default: ${DEFAULT-VALUE}; "
      + "Fashion-MNIST is always 1).")
  int channels;

  @Option(names = "--architecture", defaultValue = Architectures.KERAS_TUTORIAL_CNN,
      description = "Network architecture: keras-tutorial-cnn or vgg-bn (default: ${DEFAULT-VALUE}; see docs/models.md).")
  String architecture;

  @Option(names = "--learning-rate", defaultValue = "0.001", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = "--learning-rate-decay", paramLabel = "F", defaultValue = "1",
      description = "Multiply the learning rate by F after each epoch (Keras' ExponentialDecay, one epoch a step; "
          + "default: ${DEFAULT-VALUE}, constant).")
  double learningRateDecay;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed for weights and shuffling (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--name", defaultValue = "default", description = "Model name (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--validation-split", defaultValue = "0", paramLabel = "F",
      description = "Hold out this fraction of each class folder's images for validation, as Keras' "
          + "ImageDataGenerator(validation_split=F) does: the first F of the files in sorted order (default: "
          + "${DEFAULT-VALUE}, none).")
  double validationSplit;

  @Option(names = "--shear-range", defaultValue = "0", paramLabel = "DEGREES",
      description = "Augmentation: random shear in [-DEGREES, DEGREES] (Keras' shear_range; default: ${DEFAULT-VALUE}).")
  double shearRange;

  @Option(names = "--zoom-range", defaultValue = "0", paramLabel = "Z",
      description = "Augmentation: random zoom in [1-Z, 1+Z] per axis (Keras' zoom_range; default: ${DEFAULT-VALUE}).")
  double zoomRange;

  @Option(names = "--horizontal-flip", description = "Augmentation: flip half of the images left-right (Keras' "
      + "horizontal_flip).")
  boolean horizontalFlip;

  @Option(names = "--early-stopping-patience", defaultValue = "0", paramLabel = "N",
      description = "Stop when val_loss has not improved for N epochs and keep the best epoch's weights (Keras' "
          + "EarlyStopping(patience=N, restore_best_weights=True); default: ${DEFAULT-VALUE}, off).")
  int earlyStoppingPatience;

  @Option(names = "--limit", paramLabel = "N", description = "Use at most N training images (a seeded sample).")
  Integer limit;

  @Option(names = "--base", paramLabel = "MODEL", description = "Transfer learning: take the frozen convolutional "
      + "base of MODEL, an imagestream model (.zip) or a Keras 2 / tf.keras .h5 (a whole model or a base saved on its "
      + "own), and train a new head on DIR.")
  Path base;

  @Option(names = "--head-units", defaultValue = "256", paramLabel = "N",
      description = "With --base: units of the head's Dense(relu) layer (default: ${DEFAULT-VALUE}).")
  int headUnits;

  @Option(names = "--head-dropout", defaultValue = "0.5", paramLabel = "RATE",
      description = "With --base: the head's Dropout rate, as Keras' Dropout(rate) (default: ${DEFAULT-VALUE}; 0: none).")
  double headDropout;

  @Option(names = "--fine-tune-layers", defaultValue = "0", paramLabel = "K",
      description = "With --base: after training the head, also train the base's last K layers (convolution and "
          + "pooling layers count, as in Keras: 4 = VGG16's block 5) with the head (default: ${DEFAULT-VALUE}).")
  int fineTuneLayers;

  @Option(names = "--fine-tune-epochs", paramLabel = "N",
      description = "With --fine-tune-layers: epochs of that second step (default: --epochs).")
  Integer fineTuneEpochs;

  @Option(names = "--fine-tune-learning-rate", paramLabel = "LR",
      description = "With --fine-tune-layers: Adam learning rate of that second step (default: --learning-rate / 10).")
  Double fineTuneLearningRate;

  @Override
  public Integer call() throws Exception {
    if (base != null) {
      return new TransferFit(this).run();
    }
    checkNoTransferOptions();
    PrintWriter console = spec.commandLine().getOut();
    if (!Architectures.isKnown(architecture)) {
      throw new Errors.UserException("unknown --architecture '" + architecture + "'; known: " + Architectures.NAMES);
    }
    Data data = loadData(null);
    console.printf("training %s on %d images (%s), validating on %d, classes %s%n", architecture,
        data.train.size(), data.train.shape(), data.validation.size(), data.train.classNames());
    MultiLayerNetwork network = Architectures.build(architecture, data.train.shape(), data.train.classNames().size(),
        seed, learningRate);
    if (!(learningRateDecay > 0 && learningRateDecay <= 1)) {
      throw new Errors.UserException("--learning-rate-decay must be in (0, 1], got " + learningRateDecay);
    }
    ModelTrainer trainer = new ModelTrainer(new ModelTrainer.Options(epochs, batchSize, seed, augmentation(),
        earlyStoppingPatience, learningRateDecay));
    long start = System.nanoTime();
    TrainingHistory history = trainer.fitHistory(network, data.train, data.validation,
        new ConsoleListener(epochs, console));
    double seconds = (System.nanoTime() - start) / 1e9;
    EpochResult kept = history.kept();

    Map<String, Double> metrics = new LinkedHashMap<>(kept.asMap());
    ModelMetadata metadata = new ModelMetadata(name, 1, 0, architecture, data.train.classNames(),
        ModelMetadata.Input.of(data.train.shape()), new ModelMetadata.Preprocessing(1.0 / 255, "bilinear",
        data.train.shape().channels() == 1 ? "grayscale" : "rgb"),
        data.train.classNames().size() == 2 ? ModelMetadata.SIGMOID : ModelMetadata.SOFTMAX,
        new ModelMetadata.Training(data.description, history.epochs().size(), batchSize, data.train.size(), data.validation.size(),
            metrics, Math.round(seconds * 10) / 10.0),
        Instant.now().toString(), null);
    write(network, metadata, history, seconds);
    return 0;
  }

  /** Writes the artifact, its history and plot, and says so. */
  void write(MultiLayerNetwork network, ModelMetadata metadata, TrainingHistory history, double seconds)
      throws Exception {
    ModelArtifact.write(out, network, metadata);
    LoadedModel check = ModelArtifact.load(out);
    Path historyJson = out.resolveSibling(out.getFileName() + ".history.json");
    Path historyPng = out.resolveSibling(out.getFileName() + ".history.png");
    history.writeJson(historyJson);
    Charts.writeHistoryPng(history, historyPng);
    spec.commandLine().getOut().printf("wrote %s (%s, %.0f s); val_accuracy %.4f; history in %s and %s%n", out,
        check.inputShape(), seconds, history.kept().valAccuracy(), historyJson.getFileName(), historyPng.getFileName());
  }

  private void checkNoTransferOptions() {
    for (String option : List.of("--head-units", "--head-dropout", "--fine-tune-layers", "--fine-tune-epochs",
        "--fine-tune-learning-rate")) {
      if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
        throw new Errors.UserException(option + " needs --base MODEL");
      }
    }
  }

  boolean given(String option) {
    return spec.commandLine().getParseResult().hasMatchedOption(option);
  }

  Augmentation augmentation() {
    if (shearRange < 0 || zoomRange < 0 || zoomRange >= 1) {
      throw new Errors.UserException("--shear-range must be >= 0 and --zoom-range in [0, 1)");
    }
    if (earlyStoppingPatience < 0) {
      throw new Errors.UserException("--early-stopping-patience must be >= 0");
    }
    return new Augmentation(shearRange, zoomRange, horizontalFlip);
  }

  record Data(LabelledDataset train, LabelledDataset validation, String description) {}

  /** @param baseShape the input shape a base dictates, or null to take --image-size and --channels */
  Data loadData(InputShape baseShape) throws Exception {
    if (validationSplit != 0 && !(validationSplit > 0 && validationSplit < 1)) {
      throw new Errors.UserException("--validation-split must be between 0 and 1, got " + validationSplit);
    }
    if (fashionMnist != null) {
      if (validationSplit > 0) {
        throw new Errors.UserException("--validation-split is for folders; Fashion-MNIST validates on its test split");
      }
      if (!FashionMnist.isPresent(fashionMnist)) {
        throw new Errors.UserException("no Fashion-MNIST IDX files in " + fashionMnist
            + " (apt-get install dataset-fashion-mnist)");
      }
      if (baseShape != null && !baseShape.equals(FashionMnist.SHAPE)) {
        throw new Errors.UserException("the base takes " + baseShape + " images; Fashion-MNIST's are "
            + FashionMnist.SHAPE);
      }
      LabelledDataset train = FashionMnist.load(fashionMnist, FashionMnist.Split.TRAIN);
      if (limit != null) {
        train = train.sample(limit, seed);
      }
      return new Data(train, FashionMnist.load(fashionMnist, FashionMnist.Split.TEST),
          "fashion-mnist train split (validation: test split)");
    }
    if (dir == null) {
      throw new Errors.UserException("give a folder of class sub-folders, or --fashion-mnist");
    }
    InputShape shape = baseShape != null ? baseShape : shape();
    ImagePreprocessor preprocessor = new ImagePreprocessor(shape, 100_000_000L, Integer.MAX_VALUE,
        Interpolation.BILINEAR);
    Path trainDir = Files.isDirectory(dir.resolve("train")) ? dir.resolve("train") : dir;
    Path validationDir = dir.resolve("validation");
    List<String> classes = ImageFolderDataset.classNames(trainDir);
    ImageFolderDataset.Loaded train;
    LabelledDataset validation;
    String description = "folder " + dir;
    if (validationSplit > 0) {
      if (Files.isDirectory(validationDir)) {
        throw new Errors.UserException(dir + " has a validation folder: use it or --validation-split, not both");
      }
      ImageFolderDataset.Split split = ImageFolderDataset.loadSplit(trainDir, classes, preprocessor, validationSplit);
      train = split.train();
      validation = split.validation().data();
      split.validation().skipped().forEach(s -> spec.commandLine().getErr().println("skipped " + s));
      description += " (validation_split " + validationSplit + ")";
    } else {
      train = ImageFolderDataset.load(trainDir, classes, preprocessor);
      validation = Files.isDirectory(validationDir)
          ? validationFolder(validationDir, classes, preprocessor).data()
          : train.data().head(0);
    }
    train.skipped().forEach(s -> spec.commandLine().getErr().println("skipped " + s));
    if (earlyStoppingPatience > 0 && validation.size() == 0) {
      throw new Errors.UserException("--early-stopping-patience watches val_loss: give DIR/validation or "
          + "--validation-split");
    }
    LabelledDataset trainData = limit == null ? train.data() : train.data().sample(limit, seed);
    return new Data(trainData, validation, description);
  }

  /** The validation folder's images; each of its folders must be a training class, or its images would be lost. */
  private ImageFolderDataset.Loaded validationFolder(Path validationDir, List<String> classes,
                                                    ImagePreprocessor preprocessor) throws java.io.IOException {
    ImageFolderDataset.Loaded loaded;
    try {
      loaded = ImageFolderDataset.load(validationDir, classes, preprocessor);
    } catch (ClassFolders.MismatchException e) {
      throw new Errors.UserException("validation: " + e.getMessage() + "; the classes are the training folder's "
          + "sub-folders");
    }
    loaded.skipped().forEach(s -> spec.commandLine().getErr().println("skipped " + s));
    return loaded;
  }

  private InputShape shape() {
    String[] parts = imageSize.toLowerCase().split("x");
    if (parts.length != 2) {
      throw new Errors.UserException("--image-size must look like 64x64, got '" + imageSize + "'");
    }
    if (channels != 1 && channels != 3) {
      throw new Errors.UserException("--channels must be 1 or 3, got " + channels);
    }
    try {
      return new InputShape(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), channels);
    } catch (NumberFormatException e) {
      throw new Errors.UserException("--image-size must look like 64x64, got '" + imageSize + "'");
    }
  }

  /** Keras-style epoch lines under a progress bar. */
  static final class ConsoleListener implements ModelTrainer.Listener {
    private final int epochs;
    private final PrintWriter out;
    private ProgressBar bar;

    ConsoleListener(int epochs, PrintWriter out) {
      this.epochs = epochs;
      this.out = out;
    }

    @Override
    public void batchDone(int epoch, int seen, int total) {
      if (bar == null) {
        bar = new ProgressBarBuilder().setTaskName("Epoch " + epoch + "/" + epochs).setInitialMax(total)
            .setStyle(ProgressBarStyle.ASCII).setUnit(" img", 1).setUpdateIntervalMillis(500).continuousUpdate()
            .build();
      }
      bar.stepTo(seen);
    }

    @Override
    public void epochDone(EpochResult r) {
      if (bar != null) {
        bar.close();
        bar = null;
      }
      StringBuilder line = new StringBuilder(String.format("Epoch %d/%d - %.0fs - loss: %.4f - accuracy: %.4f",
          r.epoch(), epochs, r.seconds(), r.loss(), r.accuracy()));
      if (!Double.isNaN(r.valAccuracy())) {
        line.append(String.format(" - val_loss: %.4f - val_accuracy: %.4f", r.valLoss(), r.valAccuracy()));
      }
      out.println(line);
    }

    @Override
    public void stoppedEarly(int epoch, int bestEpoch) {
      out.printf("Restoring model weights from the end of the best epoch: %d.%nEpoch %d: early stopping%n", bestEpoch,
          epoch);
    }
  }
}
