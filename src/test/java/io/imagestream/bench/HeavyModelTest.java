package io.imagestream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;

/** The heavy bench model is the Keras tutorials' VGG16-64 transfer model in size and arithmetic. */
class HeavyModelTest {

  @Test
  void vgg16BaseOn64x64HasKerasParameterCountAndArithmetic() {
    MultiLayerNetwork network = HeavyModel.network(1);
    long head = 2 * 2 * 512 * 256 + 256 + 256 + 1;
    assertEquals(14_714_688 + head, network.numParams(), "VGG16's base as Keras counts it, plus the head");
    // 1.25 G multiply-adds: the convolutions at 64x64 are (64/224)^2 of VGG16's 15.3 G at 224x224
    assertEquals(1.2533e9, HeavyModel.flopsPerImage() / 2, 0.0005e9);
  }

  @Test
  void theReportGivesBothRetrainingsWithWhatTheyReused() {
    HeavyRetrain.Result retrain = new HeavyRetrain.Result(2_000,
        new HeavyRetrain.Timing(95.2, "gate: held-out accuracy 1.0000 vs live 0.5000 on 400 images", 0, 1_600), 200,
        new HeavyRetrain.Timing(31.4, "gate: held-out accuracy 1.0000 vs live 0.5000 on 440 images", 1_600, 160));
    String md = HeavyBench.markdown(new HeavyBench.Figures("- test machine", 2.5, 56_000_000, 59, "NHWC", 30, 28,
        null, 2L << 30, 400L << 20, 1L << 30, 200, 200, retrain));
    assertTrue(md.contains("| pipeline / network alone | 0.93 | >= 0.9 | yes |"), md);
    assertTrue(md.contains("| trainer retraining on 2,000 labels (base outputs, 3 head epochs, gate, shadow scoring) "
        + "| 95.2 s wall (base outputs: 0 reused, 1,600 computed; gate: held-out accuracy 1.0000 vs live 0.5000 on "
        + "400 images) |"), md);
    assertTrue(md.contains("after 200 more labels (unchanged images' base outputs reused) | 31.4 s wall (base "
        + "outputs: 1,600 reused, 160 computed;"), md);
  }
}
