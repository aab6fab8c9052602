package io.imagestream.cli;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.Interpolation;
import io.imagestream.model.Charts;
import io.imagestream.model.ClassFolders;
import io.imagestream.model.ClassificationReport;
import io.imagestream.model.FashionMnist;
import io.imagestream.model.ImageFolderDataset;
import io.imagestream.model.LabelledDataset;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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

  @Parameters(arity = "0..1", paramLabel = "DIR", description = "Folder of class sub-folders named like the model's classes (see --class-map).")
  Path dir;

  @Option(names = "--fashion-mnist", arity = "0..1", paramLabel = "IDX_DIR", fallbackValue = "/usr/share/datasets/fashion-mnist",
      description = "Evaluate on Fashion-MNIST's test split (default folder: Debian's dataset-fashion-mnist).")
  Path fashionMnist;

  @Option(names = "--class-map", paramLabel = "FOLDER=CLASS[,...]",
      description = "Which class a sub-folder holds when its name is not the class's. Without it a folder matches the "
          + "class of the same name, or of the same name once '/', '\\', ':', '*', '?', '\"', '<', '>', '|', '-', "
          + "'_' and ' ' all read as one separator (folder T-shirt-top: class T-shirt/top); a folder that matches no "
          + "class is an error.")
  String classMap;

  @Option(names = "--json", paramLabel = "FILE",
      description = "Also write the report as JSON: accuracy, per-class precision/recall/f1/support, confusion matrix.")
  Path json;

  @Option(names = "--confusion-png", paramLabel = "FILE", description = "Also draw the confusion matrix as a PNG "
      + "heat map (rows: true class, columns: predicted).")
  Path confusionPng;

  @Override
  public Integer call() throws Exception {
    Map<String, String> folderClasses;
    try {
      folderClasses = ClassFolders.parseClassMap(classMap);
    } catch (IllegalArgumentException e) {
      throw new Errors.UserException(e.getMessage());
    }
    LoadedModel loaded = ServiceSupport.offlineModel(model);
    LabelledDataset data;
    Coverage coverage;
    if (fashionMnist != null) {
      data = FashionMnist.load(fashionMnist, FashionMnist.Split.TEST);
      coverage = new Coverage(fashionMnist + " (test split)", data.size(), data.size(), 0, 0);
    } else if (dir != null) {
      if (!Files.isDirectory(dir)) {
        throw new Errors.UserException("no such folder: " + dir);
      }
      ImagePreprocessor preprocessor = new ImagePreprocessor(loaded.inputShape(), 100_000_000L, Integer.MAX_VALUE,
          Interpolation.BILINEAR);
      ImageFolderDataset.Loaded folder;
      try {
        folder = ImageFolderDataset.load(dir, loaded.classNames(), folderClasses, preprocessor);
      } catch (ClassFolders.MismatchException e) {
        throw new Errors.UserException(e.getMessage() + (e.unmatchedFolders().isEmpty() ? ""
            : "; rename it or map it: --class-map '" + e.unmatchedFolders().get(0) + "=CLASS'"));
      }
      folder.skipped().forEach(s -> spec.commandLine().getErr().println("could not read " + s));
      data = folder.data();
      coverage = new Coverage(dir.toString(), folder.found() + ImageFolderDataset.looseImageFiles(dir), data.size(),
          folder.skipped().size(), ImageFolderDataset.looseImageFiles(dir));
    } else {
      throw new Errors.UserException("give a folder of class sub-folders, or --fashion-mnist");
    }
    if (data.size() == 0) {
      throw new Errors.UserException("no image of " + coverage.source + " could be scored: " + coverage.describe());
    }
    ClassificationReport report = ClassificationReport.evaluate(loaded, data);
    spec.commandLine().getOut().println(coverage.describe());
    spec.commandLine().getOut().print(report.format());
    if (json != null) {
      createParent(json);
      Map<String, Object> asJson = new LinkedHashMap<>(report.asJson());
      asJson.put("coverage", coverage.asJson());
      ModelArtifact.JSON.writeValue(json.toFile(), asJson);
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

  /** How many images of the source were scored, and why the others were not: a report never hides a shortfall. */
  record Coverage(String source, int found, int scored, int unreadable, int outsideClassFolders) {
    String describe() {
      StringBuilder line = new StringBuilder(String.format("images: %d scored of %d in %s", scored, found, source));
      if (unreadable > 0) {
        line.append(String.format("; %d could not be read (listed on stderr)", unreadable));
      }
      if (outsideClassFolders > 0) {
        line.append(String.format("; %d lie outside any class folder and were not scored", outsideClassFolders));
      }
      return line.toString();
    }

    Map<String, Object> asJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("found", found);
      m.put("scored", scored);
      m.put("unreadable", unreadable);
      m.put("outside_class_folders", outsideClassFolders);
      return m;
    }
  }

  private static void createParent(Path file) throws java.io.IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
  }
}
