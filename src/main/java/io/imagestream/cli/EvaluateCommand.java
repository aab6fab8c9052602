package io.imagestream.cli;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.Interpolation;
import io.imagestream.model.Charts;
import io.imagestream.model.ClassificationReport;
import io.imagestream.model.FashionMnist;
import io.imagestream.model.ImageFolderDataset;
import io.imagestream.model.LabelledDataset;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Accuracy, per-class precision/recall/F1 and the confusion matrix of a model on class sub-folders "
        + "(or on Fashion-MNIST's test split with --fashion-mnist).")
final class EvaluateCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--model", paramLabel = "FILE",
      description = "Model artifact (default: imagestream.model.file when it exists, else the model bundled in the jar).")
  Path model;

  @Parameters(arity = "0..1", paramLabel = "DIR", description = "Folder of class sub-folders named like the model's classes.")
  Path dir;

  @Option(names = "--fashion-mnist", arity = "0..1", paramLabel = "IDX_DIR", fallbackValue = "/usr/share/datasets/fashion-mnist",
      description = "Evaluate on Fashion-MNIST's test split (default folder: Debian's dataset-fashion-mnist).")
  Path fashionMnist;

  @Option(names = "--json", paramLabel = "FILE",
      description = "Also write the report as JSON: accuracy, per-class precision/recall/f1/support, confusion matrix.")
  Path json;

  @Option(names = "--confusion-png", paramLabel = "FILE", description = "Also draw the confusion matrix as a PNG "
      + "heat map (rows: true class, columns: predicted).")
  Path confusionPng;

  @Override
  public Integer call() throws Exception {
    LoadedModel loaded = ServiceSupport.offlineModel(model);
    LabelledDataset data;
    if (fashionMnist != null) {
      data = FashionMnist.load(fashionMnist, FashionMnist.Split.TEST);
    } else if (dir != null) {
      if (!Files.isDirectory(dir)) {
        throw new Errors.UserException("no such folder: " + dir);
      }
      ImagePreprocessor preprocessor = new ImagePreprocessor(loaded.inputShape(), 100_000_000L, Integer.MAX_VALUE,
          Interpolation.BILINEAR);
      ImageFolderDataset.Loaded folder = ImageFolderDataset.load(dir, loaded.classNames(), preprocessor);
      folder.skipped().forEach(s -> spec.commandLine().getErr().println("skipped " + s));
      data = folder.data();
    } else {
      throw new Errors.UserException("give a folder of class sub-folders, or --fashion-mnist");
    }
    if (data.size() == 0) {
      throw new Errors.UserException("no images found for the model's classes " + loaded.classNames() + " in " + dir);
    }
    ClassificationReport report = ClassificationReport.evaluate(loaded, data);
    spec.commandLine().getOut().print(report.format());
    if (json != null) {
      createParent(json);
      ModelArtifact.JSON.writeValue(json.toFile(), report.asJson());
      spec.commandLine().getOut().println("wrote " + json);
    }
    if (confusionPng != null) {
      createParent(confusionPng);
      Charts.writeConfusionPng(report, confusionPng);
      spec.commandLine().getOut().println("wrote " + confusionPng);
    }
    spec.commandLine().getOut().flush();
    return 0;
  }

  private static void createParent(Path file) throws java.io.IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
  }
}
