package io.imagestream.cli;

import io.imagestream.model.KerasImport;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "import-keras", mixinStandardHelpOptions = true,
    description = {"Turns a Keras 2 / tf.keras .h5 model (model.save('model.h5')) into a model artifact: a Sequential "
        + "or a chain-shaped Functional model of Conv2D, MaxPooling2D, BatchNormalization, GlobalAveragePooling2D, "
        + "Flatten, Dense and Dropout (channels_last; last layer Dense(1, sigmoid) or Dense(n, softmax)), including "
        + "nested models such as Sequential([VGG16(include_top=False, ...), Flatten(), Dense(256), ...]).",
        "Layers saved with trainable=False stay frozen when fit or the trainer trains the model further.",
        "Keeps its input shape; inputs are rescaled by 1/255 as in the Keras tutorials. Keras stores no class names: "
            + "give them with --classes in output order (flow_from_directory: sorted folder names)."})
final class ImportKerasCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "MODEL.h5", description = "The Keras model file (model.save('model.h5')).")
  Path h5;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Model artifact to write (.zip).")
  Path out;

  @Option(names = "--classes", required = true, split = ",", paramLabel = "NAME",
      description = "Class names in the order of the model's outputs, comma-separated (1 sigmoid unit: 2 names).")
  List<String> classes;

  @Option(names = "--name", defaultValue = "default", description = "Model name (default: ${DEFAULT-VALUE}).")
  String name;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(h5)) {
      throw new Errors.UserException("no such file: " + h5);
    }
    if (classes.stream().anyMatch(String::isBlank) || classes.stream().distinct().count() != classes.size()) {
      throw new Errors.UserException("--classes needs distinct, non-empty names, got " + classes);
    }
    KerasImport.Imported imported;
    try {
      imported = KerasImport.importModel(h5, classes, name);
    } catch (KerasImport.UnsupportedModelException e) {
      throw new Errors.UserException(e.getMessage());
    }
    ModelArtifact.write(out, imported.network(), imported.metadata());
    LoadedModel check = ModelArtifact.load(out);
    int frozen = check.metadata().frozen().size();
    spec.commandLine().getOut().printf("wrote %s: input %s, %s output, classes %s%s%n", out, check.inputShape(),
        check.metadata().output(), check.classNames(), frozen == 0 ? ""
            : "; " + frozen + " of " + check.network().getnLayers() + " layers frozen (trainable=False)");
    return 0;
  }
}
