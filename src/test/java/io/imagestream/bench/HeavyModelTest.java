package io.imagestream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
