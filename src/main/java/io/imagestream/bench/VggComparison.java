package io.imagestream.bench;

import static io.imagestream.bench.BenchmarkMarkdown.row;

import io.imagestream.image.InputShape;
import io.imagestream.model.Architectures;
import io.imagestream.model.InvalidModelException;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A vgg-bn network beside the tutorial CNN on the default model's input (28x28x1), in the same run and harness: the
 * network alone at the tutorial CNN's batch sizes, served as `classify` serves it (its NHWC copy), and the micro-batched
 * 28x28 PNG pipeline (broker, exactly-once), each with the ratio vgg-bn / tutorial CNN.
 */
final class VggComparison {
  /** A trained vgg-bn for Fashion-MNIST, measured instead of a built one when it is there. */
  static final Path TRAINED = Path.of("models/fashion-vgg.zip");
  /** The built network's seed: speed does not depend on the weights. */
  static final long SEED = 42;
  static final BenchImages.Kind PIPELINE_KIND = BenchImages.Kind.PNG_GREY_28;
  static final int PIPELINE_BATCH = 32;

  /** A network the comparison measures and a sentence saying where it came from. */
  record Subject(LoadedModel model, String source) {}

  /**
   * One run's figures, images/s: the network alone by batch size (in the order measured) and the pipeline, for each
   * network; NaN where not measured.
   */
  record Figures(String cnnSource, String vggSource, Map<Integer, Double> cnnModelOnly,
                 Map<Integer, Double> vggModelOnly, double cnnPipeline, double vggPipeline) {}

  private final Subject cnn;
  private final Subject vgg;
  /** The tutorial CNN is the default model, whose rows the run measures anyway: its figures are taken from them. */
  private final boolean cnnIsDefault;
  private final Map<Integer, Double> cnnModelOnly = new LinkedHashMap<>();
  private final Map<Integer, Double> vggModelOnly = new LinkedHashMap<>();
  private double cnnPipeline = Double.NaN;
  private double vggPipeline = Double.NaN;
  private long nanos;

  private VggComparison(Subject cnn, Subject vgg, boolean cnnIsDefault) {
    this.cnn = cnn;
    this.vgg = vgg;
    this.cnnIsDefault = cnnIsDefault;
  }

  /** The tutorial CNN (the default model when it is one, else built) and the vgg-bn ({@code trained} or built). */
  static VggComparison prepare(LoadedModel defaultModel, Path trained) {
    boolean cnnIsDefault = Architectures.KERAS_TUTORIAL_CNN.equals(defaultModel.metadata().architecture());
    Subject cnn = cnnIsDefault
        ? new Subject(defaultModel, "the default model (" + describe(defaultModel) + ")")
        : built(Architectures.KERAS_TUTORIAL_CNN, defaultModel.metadata(), "the default model is "
            + defaultModel.metadata().architecture());
    return new VggComparison(cnn, vgg(trained, defaultModel.metadata()), cnnIsDefault);
  }

  /** {@code trained} when it is a readable vgg-bn model for the same input as {@code like}, else one built. */
  static Subject vgg(Path trained, ModelMetadata like) {
    if (!Files.exists(trained)) {
      return built(Architectures.VGG_BN, like, trained + " is not there");
    }
    LoadedModel model;
    try {
      model = ModelArtifact.load(trained);
    } catch (InvalidModelException | RuntimeException e) {
      return built(Architectures.VGG_BN, like, trained + " could not be loaded: " + e.getMessage());
    }
    ModelMetadata m = model.metadata();
    if (!Architectures.VGG_BN.equals(m.architecture())) {
      return built(Architectures.VGG_BN, like, trained + " is a " + m.architecture() + ", not a vgg-bn");
    }
    if (!m.inputShape().equals(like.inputShape())) {
      return built(Architectures.VGG_BN, like, trained + " takes " + m.inputShape() + ", not " + like.inputShape());
    }
    return new Subject(model, trained + " (trained; " + describe(model) + ")");
  }

  /** {@code architecture} built for the input and classes of {@code like}, untrained; {@code why} not a file. */
  private static Subject built(String architecture, ModelMetadata like, String why) {
    InputShape shape = like.inputShape();
    ModelMetadata metadata = new ModelMetadata("bench-" + architecture, 1, 0, architecture, like.classNames(),
        like.input(), like.preprocessing(), like.output(), null, null, null);
    LoadedModel model = LoadedModel.of(Architectures.build(architecture, shape, like.classNames().size(), SEED, 1e-3),
        metadata);
    return new Subject(model, String.format(Locale.ROOT, "built by the bench (%s, %s, %d classes, seed %d, untrained; "
        + "%s; served in %s)", architecture, shape, like.classNames().size(), SEED, why, model.inputLayout()));
  }

  private static String describe(LoadedModel model) {
    ModelMetadata m = model.metadata();
    return String.format(Locale.ROOT, "%s v%d, %s, %s, served in %s", m.name(), m.version(), m.architecture(),
        m.inputShape(), model.inputLayout());
  }

  /**
   * Both networks alone at {@code batches}, vgg-bn measured here; the tutorial CNN's figures are the default model's
   * rows already in {@code results} ({@code modelKey:batch}) when it is the default model, else measured here too.
   */
  void modelOnly(Benchmark bench, int[] batches, Map<String, Double> results, String modelKey, Consumer<String> log) {
    long start = System.nanoTime();
    for (int batch : batches) {
      Double known = cnnIsDefault ? results.get(modelKey + ":" + batch) : null;
      cnnModelOnly.put(batch, known != null ? known : bench.modelOnly(cnn.model(), batch));
      vggModelOnly.put(batch, bench.modelOnly(vgg.model(), batch));
      log.accept(row("model only, 28x28x1 vgg-bn", "batch " + batch, vggModelOnly.get(batch))
          + String.format(Locale.ROOT, " (vgg-bn / tutorial CNN: %.2f)", ratio(vggModelOnly.get(batch),
              cnnModelOnly.get(batch))));
    }
    nanos += System.nanoTime() - start;
  }

  /**
   * Both networks' micro-batched pipelines on {@code pngs}, vgg-bn measured here, the tutorial CNN's taken from
   * {@code results} ({@code cnnPipelineKey}) when it is the default model. Run after the default model's own pipeline
   * rounds: the JIT has warmed up on the same input, so no warm-up runs here.
   */
  void pipeline(Benchmark bench, String bootstrapServers, byte[][] pngs, Map<String, Double> results,
                String cnnPipelineKey, Consumer<String> log) {
    long start = System.nanoTime();
    Double known = cnnIsDefault ? results.get(cnnPipelineKey) : null;
    double defaultRate = results.getOrDefault(cnnPipelineKey, 0.0);
    cnnPipeline = known != null ? known
        : bench.pipeline(bootstrapServers, cnn.model(), pngs, PIPELINE_BATCH, defaultRate);
    // The backlog is sized by the expected rate: the pipeline outruns neither its network nor the faster CNN's pipeline.
    double expected = Math.min(cnnPipeline, vggModelOnly.getOrDefault(PIPELINE_BATCH, cnnPipeline));
    vggPipeline = bench.pipeline(bootstrapServers, vgg.model(), pngs, PIPELINE_BATCH, expected);
    log.accept(row("pipeline (broker, exactly-once), " + PIPELINE_KIND.label + ", vgg-bn",
        "micro-batch " + PIPELINE_BATCH, vggPipeline)
        + String.format(Locale.ROOT, " (vgg-bn / tutorial CNN: %.2f)", ratio(vggPipeline, cnnPipeline)));
    nanos += System.nanoTime() - start;
  }

  /** Wall time the comparison's own measurements took so far (figures taken from other rows cost nothing). */
  double seconds() {
    return nanos / 1e9;
  }

  Figures figures() {
    return new Figures(cnn.source(), vgg.source(), Map.copyOf(cnnModelOnly), Map.copyOf(vggModelOnly), cnnPipeline,
        vggPipeline);
  }

  static double ratio(double vgg, double cnn) {
    return cnn > 0 ? vgg / cnn : Double.NaN;
  }

  /** The section of benchmarks.md: the two networks side by side, with the ratios; empty without figures. */
  static String markdown(Figures f, int[] batches) {
    if (f == null || f.vggModelOnly().isEmpty()) {
      return "";
    }
    StringBuilder md = new StringBuilder("## vgg-bn beside the tutorial CNN\n\n")
        .append("The same run, input and harness as the rows above: the network alone on ready tensors in its ")
        .append("serving layout (as `classify` serves it, as many concurrent callers as the classifier runs network ")
        .append("calls), and the pipeline on ").append(PIPELINE_KIND.label).append("s (broker, exactly-once, ")
        .append("micro-batch ").append(PIPELINE_BATCH).append(", measured right after the tutorial CNN's rounds ")
        .append("of the same input, without warm-up runs of its own). Speed does not depend on the weights.\n\n")
        .append("- tutorial CNN: ").append(f.cnnSource()).append('\n')
        .append("- vgg-bn: ").append(f.vggSource()).append("\n\n")
        .append("| what | how | tutorial CNN (images/s) | vgg-bn (images/s) | vgg-bn / tutorial CNN |\n")
        .append("|---|---|---|---|---|\n");
    for (int batch : batches) {
      Double vgg = f.vggModelOnly().get(batch);
      if (vgg != null) {
        md.append(sideBySide("model only, 28x28x1", "batch " + batch,
            f.cnnModelOnly().getOrDefault(batch, Double.NaN), vgg));
      }
    }
    if (!Double.isNaN(f.vggPipeline())) {
      md.append(sideBySide("pipeline (broker, exactly-once), " + PIPELINE_KIND.label, "micro-batch " + PIPELINE_BATCH,
          f.cnnPipeline(), f.vggPipeline()));
    }
    return md.append('\n').toString();
  }

  private static String sideBySide(String what, String how, double cnn, double vgg) {
    double ratio = ratio(vgg, cnn);
    return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", what, how, rate(cnn), rate(vgg),
        Double.isNaN(ratio) ? "–" : String.format(Locale.ROOT, "%.2f", ratio));
  }

  private static String rate(double imagesPerSecond) {
    return Double.isNaN(imagesPerSecond) ? "–" : String.format(Locale.ROOT, "%,.0f", imagesPerSecond);
  }
}
