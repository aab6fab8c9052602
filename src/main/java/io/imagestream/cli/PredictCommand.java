package io.imagestream.cli;

import io.imagestream.classify.Prediction;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.ImageRejectedException;
import io.imagestream.image.Interpolation;
import io.imagestream.model.LoadedModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Stack;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "predict", mixinStandardHelpOptions = true,
    description = {"One prediction per image file, printed as the predictions topic would carry it (one JSON per line).",
        "With --top: one line per image with its K most probable classes instead."})
final class PredictCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--model", paramLabel = "FILE",
      description = "Model artifact (default: imagestream.model.file when it exists, else the model bundled in the jar).")
  Path model;

  @Option(names = "--max-pixels", defaultValue = "" + ImagestreamConfig.DEFAULT_DECODE_MAX_PIXELS,
      description = "Refuse images with more pixels (default: ${DEFAULT-VALUE}).")
  long maxPixels;

  @Option(names = "--top", paramLabel = "[K]", parameterConsumer = OptionalCount.class,
      description = "Print one human-readable line per image with its K most probable classes (K: 3 when omitted).")
  Integer top;

  @Option(names = "--json", description = "Print the prediction JSON, as the predictions topic carries it (the "
      + "default).")
  boolean json;

  @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files (JPEG, PNG, GIF, BMP).")
  List<Path> images;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (top != null && json) {
      throw new Errors.UserException("--top and --json are alternatives: give one");
    }
    if (top != null && top < 1) {
      throw new Errors.UserException("--top must be at least 1, got " + top);
    }
    LoadedModel loaded = ServiceSupport.offlineModel(model);
    ImagePreprocessor preprocessor = new ImagePreprocessor(loaded.inputShape(), maxPixels, Integer.MAX_VALUE,
        Interpolation.BILINEAR);
    int failures = 0;
    for (Path image : images) {
      try {
        long read = System.currentTimeMillis();
        byte[] pixels = preprocessor.toPixels(Files.readAllBytes(image));
        float[] probabilities = loaded.predictPixels(List.of(pixels))[0];
        if (top != null) {
          out.println(image + ": " + topClasses(loaded.classNames(), probabilities, top));
          continue;
        }
        long now = System.currentTimeMillis();
        out.println(Prediction.of(image.toString(), probabilities, loaded.metadata(), null,
            new Prediction.Timestamps(Files.getLastModifiedTime(image).toMillis(), read, now)).toJsonString());
      } catch (ImageRejectedException e) {
        failures++;
        err.println(image + ": " + e.reason() + ": " + e.getMessage());
      } catch (NoSuchFileException e) {
        failures++;
        err.println(image + ": no such file");
      } catch (IOException e) {
        failures++;
        err.println(image + ": cannot read: " + e.getMessage());
      }
    }
    return failures == 0 ? 0 : 1;
  }

  /** {@code --top} takes the next argument as K only when it is a number, so {@code --top photo.jpg} works too. */
  static final class OptionalCount implements IParameterConsumer {
    @Override
    public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
      boolean number = !args.isEmpty() && args.peek().matches("-?\\d+");
      argSpec.setValue(number ? Integer.parseInt(args.pop()) : 3);
    }
  }

  /** "light 0.9731, dark 0.0269": the k most probable classes, most probable first (ties in class order). */
  static String topClasses(List<String> classes, float[] probabilities, int k) {
    return IntStream.range(0, classes.size()).boxed()
        .sorted(Comparator.comparingDouble((Integer i) -> -probabilities[i]).thenComparing(i -> i))
        .limit(k)
        .map(i -> String.format(Locale.ROOT, "%s %.4f", classes.get(i), probabilities[i]))
        .collect(Collectors.joining(", "));
  }
}
