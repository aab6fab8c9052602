package io.imagestream.cli;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.InputShape;
import io.imagestream.image.Interpolation;
import io.imagestream.model.Architectures;
import io.imagestream.model.FashionMnist;
import io.imagestream.model.ImageFolderDataset;
import io.imagestream.model.LabelledDataset;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import io.imagestream.model.ModelTrainer;
import io.imagestream.model.ModelTrainer.EpochResult;
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
        + "or DIR/train/<class>/* with DIR/validation/<class>/*), or from Fashion-MNIST (--fashion-mnist).",
        "Prints loss/accuracy/val_loss/val_accuracy per epoch and writes the model artifact (FILE), its metadata "
            + "(FILE.json) and digest (FILE.sha256)."})
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
      description = "Network architecture (default: ${DEFAULT-VALUE}).")
  String architecture;

  @Option(names = "--learning-rate", defaultValue = "0.001", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed for weights and shuffling (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--name", defaultValue = "default", description = "Model name (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--limit", paramLabel = "N", description = "Use at most N training images (a seeded sample).")
  Integer limit;

  @Override
  public Integer call() throws Exception {
    PrintWriter console = spec.commandLine().getOut();
    Data data = loadData();
    console.printf("training %s on %d images (%s), validating on %d, classes %s%n", architecture,
        data.train.size(), data.train.shape(), data.validation.size(), data.train.classNames());
    MultiLayerNetwork network = Architectures.build(architecture, data.train.shape(), data.train.classNames().size(),
        seed, learningRate);
    ModelTrainer trainer = new ModelTrainer(new ModelTrainer.Options(epochs, batchSize, seed));
    long start = System.nanoTime();
    EpochResult last = trainer.fit(network, data.train, data.validation, new ConsoleListener(epochs, console));
    double seconds = (System.nanoTime() - start) / 1e9;

    Map<String, Double> metrics = new LinkedHashMap<>(last.asMap());
    ModelMetadata metadata = new ModelMetadata(name, 1, 0, architecture, data.train.classNames(),
        ModelMetadata.Input.of(data.train.shape()), new ModelMetadata.Preprocessing(1.0 / 255, "bilinear",
        data.train.shape().channels() == 1 ? "grayscale" : "rgb"),
        data.train.classNames().size() == 2 ? ModelMetadata.SIGMOID : ModelMetadata.SOFTMAX,
        new ModelMetadata.Training(data.description, epochs, batchSize, data.train.size(), data.validation.size(),
            metrics, Math.round(seconds * 10) / 10.0),
        Instant.now().toString(), null);
    ModelArtifact.write(out, network, metadata);
    LoadedModel check = ModelArtifact.load(out);
    console.printf("wrote %s (%s, %.0f s); val_accuracy %.4f%n", out, check.inputShape(), seconds,
        last.valAccuracy());
    return 0;
  }

  private record Data(LabelledDataset train, LabelledDataset validation, String description) {}

  private Data loadData() throws Exception {
    if (fashionMnist != null) {
      if (!FashionMnist.isPresent(fashionMnist)) {
        throw new Errors.UserException("no Fashion-MNIST IDX files in " + fashionMnist
            + " (apt-get install dataset-fashion-mnist)");
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
    InputShape shape = shape();
    ImagePreprocessor preprocessor = new ImagePreprocessor(shape, 100_000_000L, Integer.MAX_VALUE,
        Interpolation.BILINEAR);
    Path trainDir = Files.isDirectory(dir.resolve("train")) ? dir.resolve("train") : dir;
    Path validationDir = dir.resolve("validation");
    List<String> classes = ImageFolderDataset.classNames(trainDir);
    ImageFolderDataset.Loaded train = ImageFolderDataset.load(trainDir, classes, preprocessor);
    train.skipped().forEach(s -> spec.commandLine().getErr().println("skipped " + s));
    LabelledDataset validation = Files.isDirectory(validationDir)
        ? ImageFolderDataset.load(validationDir, classes, preprocessor).data()
        : train.data().head(0);
    LabelledDataset trainData = limit == null ? train.data() : train.data().sample(limit, seed);
    return new Data(trainData, validation, "folder " + dir);
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
  private static final class ConsoleListener implements ModelTrainer.Listener {
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
  }
}
