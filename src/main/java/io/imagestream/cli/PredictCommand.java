package io.imagestream.cli;

import io.imagestream.classify.Prediction;
import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.ImageRejectedException;
import io.imagestream.image.Interpolation;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "predict", mixinStandardHelpOptions = true,
    description = "One prediction per image file, printed as the predictions topic would carry it (one JSON per line).")
final class PredictCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "FILE", description = "Model artifact.")
  Path model;

  @Option(names = "--max-pixels", defaultValue = "40000000", description = "Refuse images with more pixels (default: ${DEFAULT-VALUE}).")
  long maxPixels;

  @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files (JPEG, PNG, GIF, BMP).")
  List<Path> images;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LoadedModel loaded = ModelArtifact.load(model);
    ImagePreprocessor preprocessor = new ImagePreprocessor(loaded.inputShape(), maxPixels, Integer.MAX_VALUE,
        Interpolation.BILINEAR);
    int failures = 0;
    for (Path image : images) {
      try {
        byte[] pixels = preprocessor.toPixels(Files.readAllBytes(image));
        float[] probabilities = loaded.predictPixels(List.of(pixels))[0];
        long now = System.currentTimeMillis();
        out.println(Prediction.of(image.toString(), probabilities, loaded.metadata(), null,
            new Prediction.Timestamps(Files.getLastModifiedTime(image).toMillis(), now)).toJsonString());
      } catch (ImageRejectedException e) {
        failures++;
        err.println(image + ": " + e.reason() + ": " + e.getMessage());
      } catch (IOException e) {
        failures++;
        err.println(image + ": cannot read: " + e.getMessage());
      }
    }
    return failures == 0 ? 0 : 1;
  }
}
