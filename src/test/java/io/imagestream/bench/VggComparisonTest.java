package io.imagestream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.image.InputShape;
import io.imagestream.image.Layout;
import io.imagestream.model.Architectures;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which vgg-bn the bench measures, and its section of benchmarks.md on made-up figures. */
class VggComparisonTest {
  private static final InputShape GREY = new InputShape(28, 28, 1);

  private static VggComparison.Figures figures() {
    Map<Integer, Double> cnn = new LinkedHashMap<>();
    Map<Integer, Double> vgg = new LinkedHashMap<>();
    for (int batch : BenchmarkReport.BATCHES) {
      cnn.put(batch, 1000.0 * batch);
      vgg.put(batch, 250.0 * batch);
    }
    return new VggComparison.Figures("the default model (default v1)", "built by the bench (vgg-bn)", cnn, vgg,
        20_000, 5_000);
  }

  @Test
  void theSectionPutsEachVggFigureBesideTheTutorialCnnsWithTheRatio() {
    String md = VggComparison.markdown(figures(), BenchmarkReport.BATCHES);
    assertTrue(md.contains("| what | how | tutorial CNN (images/s) | vgg-bn (images/s) | vgg-bn / tutorial CNN |"), md);
    assertTrue(md.contains("| model only, 28x28x1 | batch 1 | 1,000 | 250 | 0.25 |"), md);
    assertTrue(md.contains("| model only, 28x28x1 | batch 256 | 256,000 | 64,000 | 0.25 |"), md);
    assertTrue(md.contains("| pipeline (broker, exactly-once), 28x28 grey PNG | micro-batch 32 | 20,000 | 5,000 | "
        + "0.25 |"), md);
    assertTrue(md.contains("- vgg-bn: built by the bench (vgg-bn)"), md);
    assertTrue(md.contains("- tutorial CNN: the default model (default v1)"), md);
    assertEquals(BenchmarkReport.BATCHES.length + 1, md.lines().filter(l -> l.startsWith("| ") && !l.startsWith(
        "| what")).count(), "one row per batch size and the pipeline");
  }

  @Test
  void aFigureNotMeasuredShowsAsADashAndNoSectionWithoutFigures() {
    VggComparison.Figures f = figures();
    Map<Integer, Double> cnn = new HashMap<>(f.cnnModelOnly());
    cnn.remove(8);
    String md = VggComparison.markdown(new VggComparison.Figures(f.cnnSource(), f.vggSource(), cnn, f.vggModelOnly(),
        f.cnnPipeline(), Double.NaN), BenchmarkReport.BATCHES);
    assertTrue(md.contains("| model only, 28x28x1 | batch 8 | – | 2,000 | – |"), md);
    assertFalse(md.contains("pipeline (broker"), "no pipeline row when the pipeline was not measured");
    assertEquals("", VggComparison.markdown(null, BenchmarkReport.BATCHES));
  }

  @Test
  void theReportHasTheSectionWhenTheRunMeasuredIt() throws Exception {
    Map<String, Double> r = BenchmarkReportTest.figures();
    String with = BenchmarkMarkdown.markdown(List.of(), r, BenchmarkReport.Measured.NONE, figures(), 1, true);
    assertTrue(with.contains("## vgg-bn beside the tutorial CNN"), with);
    assertTrue(with.indexOf("## vgg-bn beside") < with.indexOf("## Ratios and targets"), "before the targets");
    String without = BenchmarkMarkdown.markdown(List.of(), r, BenchmarkReport.Measured.NONE, 1, true);
    assertFalse(without.contains("vgg-bn"), without);
  }

  @Test
  void aTrainedVggBnForTheSameInputIsPreferredToABuiltOne(@TempDir Path dir) throws Exception {
    ModelMetadata like = metadata("default", Architectures.KERAS_TUTORIAL_CNN, GREY);
    Path missing = dir.resolve("fashion-vgg.zip");
    VggComparison.Subject built = VggComparison.vgg(missing, like);
    assertEquals(Architectures.VGG_BN, built.model().metadata().architecture());
    assertEquals(GREY, built.model().inputShape());
    assertEquals(Layout.NHWC, built.model().inputLayout(), "served as classify serves it");
    assertTrue(built.source().contains("built by the bench (vgg-bn, " + GREY + ", 10 classes, seed 42"),
        built.source());
    assertTrue(built.source().contains(missing + " is not there"), built.source());

    Path trained = dir.resolve("trained.zip");
    write(trained, Architectures.VGG_BN, GREY, "fashion-vgg");
    VggComparison.Subject file = VggComparison.vgg(trained, like);
    assertEquals("fashion-vgg", file.model().metadata().name());
    assertTrue(file.source().startsWith(trained + " (trained; fashion-vgg v1, vgg-bn"), file.source());
  }

  @Test
  void aFileOfAnotherArchitectureOrInputIsNotUsedAndTheReportSaysWhy(@TempDir Path dir) throws Exception {
    ModelMetadata like = metadata("default", Architectures.KERAS_TUTORIAL_CNN, GREY);
    Path cnn = dir.resolve("cnn.zip");
    write(cnn, Architectures.KERAS_TUTORIAL_CNN, GREY, "not-vgg");
    VggComparison.Subject a = VggComparison.vgg(cnn, like);
    assertEquals("bench-vgg-bn", a.model().metadata().name());
    assertTrue(a.source().contains(cnn + " is a keras-tutorial-cnn, not a vgg-bn"), a.source());

    Path rgb = dir.resolve("rgb.zip");
    write(rgb, Architectures.VGG_BN, new InputShape(32, 32, 3), "vgg-rgb");
    VggComparison.Subject b = VggComparison.vgg(rgb, like);
    assertEquals("bench-vgg-bn", b.model().metadata().name());
    assertTrue(b.source().contains(rgb + " takes 32x32x3, not 28x28x1"), b.source());

    Path broken = dir.resolve("broken.zip");
    Files.writeString(broken, "not a zip");
    VggComparison.Subject c = VggComparison.vgg(broken, like);
    assertTrue(c.source().contains(broken + " could not be loaded"), c.source());
  }

  @Test
  void theTutorialCnnsFiguresAreTheDefaultModelsRowsWhenItIsOne(@TempDir Path dir) {
    LoadedModel defaultModel = Benchmark.untrained(GREY);
    VggComparison comparison = VggComparison.prepare(defaultModel, dir.resolve("absent.zip"));
    Benchmark bench = new Benchmark(new Benchmark.Settings(Duration.ofMillis(200), 100, 1, 1, 0), line -> { });
    Map<String, Double> results = new HashMap<>(Map.of("model28:2", 12_345.0));
    comparison.modelOnly(bench, new int[] {2}, results, "model28", line -> { });
    VggComparison.Figures f = comparison.figures();
    assertEquals(12_345.0, f.cnnModelOnly().get(2), "taken from the default model's row, not measured again");
    assertTrue(f.vggModelOnly().get(2) > 0, "vgg-bn measured: " + f.vggModelOnly());
    assertTrue(f.cnnSource().startsWith("the default model (bench v1, keras-tutorial-cnn"), f.cnnSource());
    assertTrue(Double.isNaN(f.vggPipeline()), "the pipeline not measured yet");
  }

  @Test
  void aDefaultModelThatIsNoTutorialCnnGetsOneBuiltBesideIt(@TempDir Path dir) {
    ModelMetadata vggMetadata = metadata("default", Architectures.VGG_BN, GREY);
    LoadedModel defaultVgg = LoadedModel.of(Architectures.build(Architectures.VGG_BN, GREY, 10, 1, 1e-3), vggMetadata);
    VggComparison comparison = VggComparison.prepare(defaultVgg, dir.resolve("absent.zip"));
    assertTrue(comparison.figures().cnnSource().contains("keras-tutorial-cnn")
        && comparison.figures().cnnSource().contains("the default model is vgg-bn"), comparison.figures().cnnSource());
    assertTrue(comparison.figures().vggModelOnly().isEmpty(), "nothing measured yet");
  }

  private static ModelMetadata metadata(String name, String architecture, InputShape shape) {
    List<String> classes = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    return new ModelMetadata(name, 1, 0, architecture, classes, ModelMetadata.Input.of(shape),
        new ModelMetadata.Preprocessing(1.0 / 255, "bilinear", "grayscale"), ModelMetadata.SOFTMAX, null, null, null);
  }

  private static void write(Path file, String architecture, InputShape shape, String name) throws Exception {
    ModelArtifact.write(file, Architectures.build(architecture, shape, 10, 7, 1e-3), metadata(name, architecture, shape));
  }
}
