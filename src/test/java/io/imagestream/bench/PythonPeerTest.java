package io.imagestream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.image.InputShape;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelMetadata;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** The weights file the Python peer reads: layers, shapes, PyTorch layouts, values. */
class PythonPeerTest {
  @TempDir
  Path dir;

  @Test
  void exportsTheTutorialCnnInPyTorchLayout() throws Exception {
    LoadedModel model = Benchmark.untrained(new InputShape(64, 64, 3));
    PeerWeights.exportWeights(model, dir);
    JsonNode spec = new ObjectMapper().readTree(dir.resolve(PeerWeights.MODEL_JSON).toFile());

    assertEquals(List.of("conv", "maxpool", "conv", "maxpool", "dense", "dense"),
        spec.path("layers").findValuesAsText("type"));
    assertEquals("softmax", spec.path("output").asText());
    assertEquals("[32,3,3,3]", spec.at("/tensors/layer0.weight/shape").toString());
    assertEquals("[32,32,3,3]", spec.at("/tensors/layer2.weight/shape").toString());
    assertEquals("[128,6272]", spec.at("/tensors/layer4.weight/shape").toString(), "dense: [out, in]");
    assertEquals("[10,128]", spec.at("/tensors/layer5.weight/shape").toString());
    assertEquals("[10]", spec.at("/tensors/layer5.bias/shape").toString());
    assertEquals("[0,0]", spec.at("/layers/0/padding").toString());
    assertEquals("[2,2]", spec.at("/layers/1/stride").toString());

    FloatBuffer weights = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(PeerWeights.WEIGHTS)))
        .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    assertEquals(model.network().numParams(), weights.remaining(), "every parameter once");

    INDArray conv = model.network().getLayer(0).getParam("W"); // [out, in, kh, kw] as torch
    int convOffset = spec.at("/tensors/layer0.weight/offset").asInt();
    assertEquals(conv.getFloat(5, 2, 1, 0), weights.get(convOffset + ((5 * 3 + 2) * 3 + 1) * 3));
    INDArray dense = model.network().getLayer(4).getParam("W"); // DL4J [in, out]; torch reads [out, in]
    int denseOffset = spec.at("/tensors/layer4.weight/offset").asInt();
    assertEquals(dense.getFloat(1000, 7), weights.get(denseOffset + 7 * 6272 + 1000));
    INDArray bias = model.network().getLayer(5).getParam("b");
    assertEquals(bias.getFloat(0, 9), weights.get(spec.at("/tensors/layer5.bias/offset").asInt() + 9));
  }

  @Test
  void refusesLayersThePeerCannotBuild() {
    MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
        .layer(new BatchNormalization.Builder().build())
        .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(8, 8, 1))
        .build());
    network.init();
    InputShape shape = new InputShape(8, 8, 1);
    LoadedModel model = LoadedModel.of(network, new ModelMetadata("x", 1, 0, "custom", List.of("a", "b"),
        ModelMetadata.Input.of(shape), null, ModelMetadata.SOFTMAX, null, null, null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PeerWeights.exportWeights(model, dir));
    assertEquals("layer 0 (BatchNormalization): not supported by the Python peer", e.getMessage());
  }

  @Test
  void thePeerScriptTravelsOnTheClassPath() {
    assertNotNull(PythonPeer.class.getResource("/" + PythonPeer.SCRIPT), "bench/peer/peer.py as a resource");
  }
}
