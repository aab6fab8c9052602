package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.cli.CliTest.Run;
import io.imagestream.model.KerasImport;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import io.imagestream.model.TransferModel;
import io.imagestream.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fit DIR --base MODEL}: a new head on a frozen base from an imagestream model or a Keras .h5. */
class FitBaseCommandTest {
  @TempDir
  static Path dir;
  static Path baseZip;

  @BeforeAll
  static void data() throws Exception {
    CliTest.writeDarkLightFolder(dir.resolve("data/train"), 40, 1);
    CliTest.writeDarkLightFolder(dir.resolve("data/validation"), 10, 2);
    baseZip = dir.resolve("base.zip");
    Files.write(baseZip, TestModels.darkLightArtifact()); // tutorial CNN: conv, pool, conv, pool, dense, output
  }

  private static Run fit(Path base, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("fit", dir.resolve("data").toString(), "--out", out.toString(),
        "--base", base.toString(), "--batch-size", "16", "--learning-rate", "0.01", "--head-units", "16"));
    args.addAll(List.of(more));
    return CliTest.run(args.toArray(String[]::new));
  }

  private static float[] params(MultiLayerNetwork network, int layer) {
    return network.getLayer(layer).params().dup().data().asFloat();
  }

  @Test
  void aNewHeadOnTheFrozenBaseOfAnImagestreamModel() throws Exception {
    Path out = dir.resolve("transfer.zip");
    Run run = fit(baseZip, out, "--epochs", "3");
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("on the frozen base of model dark-light v1"), run.toString());
    assertTrue(run.out().contains("4 layers"), run.toString());
    assertTrue(run.out().contains("base outputs computed once per image"), run.toString());

    LoadedModel model = ModelArtifact.load(out);
    ModelMetadata metadata = model.metadata();
    assertEquals(TransferModel.ARCHITECTURE, metadata.architecture());
    assertEquals(List.of(0, 1, 2, 3), metadata.frozenLayers());
    assertEquals(TestModels.SHAPE, model.inputShape(), "the input shape comes from the base");
    assertEquals(ModelMetadata.SIGMOID, metadata.output());
    assertEquals(7, model.network().getnLayers(), "base 4, Dense, Dropout, output");
    MultiLayerNetwork base = TestModels.darkLight().network();
    assertArrayEquals(params(base, 0), params(model.network(), 0));
    assertArrayEquals(params(base, 2), params(model.network(), 2));
    assertEquals(3, metadata.training().epochs());
    assertTrue(metadata.training().metrics().get("val_accuracy") >= 0.9, metadata.training().toString());
  }

  @Test
  void fineTuningTrainsTheBasesLastLayersInASecondStep() throws Exception {
    Path out = dir.resolve("fine.zip");
    Run run = fit(baseZip, out, "--epochs", "2", "--fine-tune-layers", "2", "--fine-tune-epochs", "1",
        "--head-dropout", "0");
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("fine-tuning the base's last 2 layers with the head, learning rate 0.001"),
        run.toString());
    assertTrue(run.out().contains("Epoch 1/1"), run.toString());
    LoadedModel model = ModelArtifact.load(out);
    assertEquals(List.of(0, 1), model.metadata().frozenLayers(), "the fine-tuned layers train from now on");
    assertEquals(3, model.metadata().training().epochs());
    assertEquals(6, model.network().getnLayers(), "no Dropout layer with --head-dropout 0");
    MultiLayerNetwork base = TestModels.darkLight().network();
    assertArrayEquals(params(base, 0), params(model.network(), 0));
    assertFalse(java.util.Arrays.equals(params(base, 2), params(model.network(), 2)), "conv 2 was fine-tuned");
  }

  @Test
  void aKerasBaseSavedOnItsOwnGivesTheInputShapeAndStaysFrozen() throws Exception {
    Path python = Path.of("/usr/bin/python3");
    Path script = Path.of(FitBaseCommandTest.class.getResource("/keras/make_keras_transfer_h5.py").toURI());
    Assumptions.assumeTrue(Files.isExecutable(python) && new ProcessBuilder(python.toString(), "-c",
        "import h5py, numpy").start().waitFor() == 0, "needs /usr/bin/python3 with h5py and numpy");
    Path h5 = dir.resolve("vgg-base.h5");
    assertEquals(0, new ProcessBuilder(python.toString(), script.toString(), "vgg-base", h5.toString(),
        dir.resolve("vgg-base.json").toString()).inheritIO().start().waitFor());

    Path out = dir.resolve("vgg.zip");
    Run run = fit(h5, out, "--epochs", "1");
    assertEquals(0, run.exitCode(), run.toString());
    LoadedModel model = ModelArtifact.load(out);
    assertEquals(new io.imagestream.image.InputShape(64, 64, 3), model.inputShape());
    assertEquals("rgb", model.metadata().preprocessing().colorMode());
    assertEquals(IntStream.range(0, 18).boxed().toList(), model.metadata().frozenLayers());
    MultiLayerNetwork keras = KerasImport.readNetwork(h5).network();
    for (int layer : List.of(0, 1, 16)) {
      assertArrayEquals(params(keras, layer), params(model.network(), layer), "layer " + layer);
    }
  }

  @Test
  void optionsThatDoNotFitAreRefusedInOneLine() {
    Run tooMany = fit(baseZip, dir.resolve("x.zip"), "--fine-tune-layers", "5");
    assertEquals(2, tooMany.exitCode(), tooMany.toString());
    assertEquals(List.of("imagestream fit: --fine-tune-layers must be between 0 and the base's 4 layers, got 5"),
        tooMany.errLines());

    Run size = fit(baseZip, dir.resolve("x.zip"), "--image-size", "32x32");
    assertEquals(2, size.exitCode(), size.toString());
    assertTrue(size.err().contains("come from the base with --base"), size.toString());

    Run noBase = CliTest.run("fit", dir.resolve("data").toString(), "--out", dir.resolve("x.zip").toString(),
        "--head-units", "8");
    assertEquals(2, noBase.exitCode(), noBase.toString());
    assertEquals(List.of("imagestream fit: --head-units needs --base MODEL"), noBase.errLines());
    assertFalse(Files.exists(dir.resolve("x.zip")));
  }
}
