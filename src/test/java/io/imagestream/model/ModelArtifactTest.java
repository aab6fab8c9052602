package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.image.InputShape;
import io.imagestream.image.Layout;
import io.imagestream.testing.TestModels;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The artifact format: what it holds, and every way a bad artifact is refused before it is served. */
class ModelArtifactTest {
  private static final InputShape SHAPE = TestModels.SHAPE;

  // --- round trip ---

  @Test
  void roundTripKeepsMetadataAndPredictions() throws Exception {
    MultiLayerNetwork network = Architectures.build(Architectures.KERAS_TUTORIAL_CNN, SHAPE, 3, 5, 0.001);
    ModelMetadata metadata = TestModels.metadata("three", 4, List.of("a", "b", "c"), SHAPE, ModelMetadata.SOFTMAX);

    byte[] bytes = ModelArtifact.toBytes(network, metadata);
    LoadedModel loaded = ModelArtifact.load(bytes, "round-trip");

    Map<String, byte[]> entries = entries(bytes);
    assertEquals(List.of("metadata.json", "network.zip"), List.copyOf(entries.keySet()));
    String networkSha = ModelArtifact.sha256(entries.get("network.zip"));
    assertEquals(networkSha, loaded.metadata().networkSha256());
    assertEquals(metadata.withNetworkSha256(networkSha), loaded.metadata());
    assertEquals(ModelArtifact.sha256(bytes), loaded.artifactSha256());
    assertEquals(SHAPE, loaded.inputShape());

    INDArray input = randomInput(5, 9);
    float[] expected = network.output(input, false).dup('c').data().asFloat();
    float[][] actual = loaded.predict(input, Layout.NCHW);
    assertEquals(5, actual.length);
    for (int i = 0; i < 5; i++) {
      for (int c = 0; c < 3; c++) {
        assertEquals(expected[i * 3 + c], actual[i][c], 1e-6, "image " + i + " class " + c);
      }
    }
  }

  @Test
  void trainedSigmoidModelSurvivesAReSerialisation() throws Exception {
    LoadedModel first = ModelArtifact.load(TestModels.darkLightArtifact(), "first");
    LoadedModel second = ModelArtifact.load(ModelArtifact.toBytes(first.network(), first.metadata()), "second");
    assertEquals(first.metadata().withNetworkSha256(null), second.metadata().withNetworkSha256(null));
    assertNotNull(second.metadata().networkSha256());
    INDArray input = randomInput(4, 3);
    float[][] a = first.predict(input, Layout.NCHW);
    float[][] b = second.predict(input, Layout.NCHW);
    for (int i = 0; i < a.length; i++) {
      assertArrayEquals(a[i], b[i], 1e-6f);
    }
  }

  @Test
  void writePutsTheArtifactItsMetadataAndItsDigestSideBySide(@TempDir Path dir) throws Exception {
    LoadedModel model = TestModels.darkLight();
    Path file = dir.resolve("sub/model.zip");
    ModelArtifact.write(file, model.network(), model.metadata());

    byte[] bytes = Files.readAllBytes(file);
    assertTrue(Files.isRegularFile(dir.resolve("sub/model.zip.json")));
    assertTrue(Files.isRegularFile(dir.resolve("sub/model.zip.sha256")));
    assertEquals(ModelArtifact.sha256(bytes) + "  model.zip\n",
        Files.readString(dir.resolve("sub/model.zip.sha256")));
    ModelMetadata json = ModelArtifact.JSON.readValue(dir.resolve("sub/model.zip.json").toFile(), ModelMetadata.class);
    assertEquals(ModelArtifact.readMetadata(bytes), json);
    assertEquals(ModelArtifact.sha256(entries(bytes).get("network.zip")), json.networkSha256());
    assertEquals(TestModels.DARK_LIGHT, ModelArtifact.load(file).classNames());
  }

  // --- refusals ---

  @Test
  void randomBytesAreNotAnArtifact() {
    byte[] junk = new byte[4096];
    new Random(1).nextBytes(junk);
    assertRefused(junk, "not a model artifact");
  }

  @Test
  void anUnexpectedEntryIsRefused() throws Exception {
    Map<String, byte[]> entries = entries(TestModels.darkLightArtifact());
    entries.put("../evil", "boo".getBytes(StandardCharsets.UTF_8));
    assertRefused(zip(entries), "unexpected entry '../evil'");
  }

  @Test
  void aMissingNetworkIsRefused() throws Exception {
    Map<String, byte[]> entries = entries(TestModels.darkLightArtifact());
    entries.remove("network.zip");
    assertRefused(zip(entries), "network.zip");
  }

  @Test
  void tamperedNetworkBytesAreRefusedByTheirDigest() throws Exception {
    Map<String, byte[]> entries = entries(TestModels.darkLightArtifact());
    byte[] network = entries.get("network.zip").clone();
    network[network.length / 2] ^= 0x01;
    entries.put("network.zip", network);
    InvalidModelException e = assertRefused(zip(entries), "does not match");
    assertTrue(e.getMessage().contains(ModelArtifact.sha256(network)), e.getMessage());
  }

  @Test
  void metadataWithoutANetworkDigestIsRefused() throws Exception {
    Map<String, byte[]> entries = entries(TestModels.darkLightArtifact());
    ModelMetadata metadata = ModelArtifact.JSON.readValue(entries.get("metadata.json"), ModelMetadata.class);
    entries.put("metadata.json", ModelArtifact.JSON.writeValueAsBytes(metadata.withNetworkSha256(null)));
    assertRefused(zip(entries), "networkSha256");
  }

  @Test
  void oneClassIsRefused() throws Exception {
    assertRefused(withMetadata(m -> withClasses(m, List.of("only"))), "at least two class names");
  }

  @Test
  void anInputShapeTheNetworkDoesNotTakeIsRefused() throws Exception {
    byte[] artifact = withMetadata(m -> new ModelMetadata(m.name(), m.version(), m.parentVersion(), m.architecture(),
        m.classNames(), ModelMetadata.Input.of(new InputShape(20, 20, 1)), m.preprocessing(), m.output(),
        m.training(), m.createdAt(), m.networkSha256()));
    assertRefused(artifact, "does not accept its declared input 20x20x1");
  }

  @Test
  void threeClassesForASigmoidNetworkAreRefused() throws Exception {
    assertRefused(withMetadata(m -> withClasses(m, List.of("a", "b", "c"))), "1 outputs but the metadata names 3");
  }

  // --- helpers ---

  private static InvalidModelException assertRefused(byte[] artifact, String expectedMessagePart) {
    InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelArtifact.load(artifact, "suspect"));
    assertTrue(e.getMessage().startsWith("suspect: "), e.getMessage());
    assertTrue(e.getMessage().contains(expectedMessagePart), e.getMessage());
    return e;
  }

  private static ModelMetadata withClasses(ModelMetadata m, List<String> classes) {
    return new ModelMetadata(m.name(), m.version(), m.parentVersion(), m.architecture(), classes, m.input(),
        m.preprocessing(), m.output(), m.training(), m.createdAt(), m.networkSha256());
  }

  /** The dark/light artifact with its metadata changed (the network and its digest left as they are). */
  private static byte[] withMetadata(java.util.function.UnaryOperator<ModelMetadata> change) throws IOException {
    Map<String, byte[]> entries = entries(TestModels.darkLightArtifact());
    ModelMetadata metadata = ModelArtifact.JSON.readValue(entries.get("metadata.json"), ModelMetadata.class);
    entries.put("metadata.json", ModelArtifact.JSON.writeValueAsBytes(change.apply(metadata)));
    return zip(entries);
  }

  static Map<String, byte[]> entries(byte[] zip) throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      ZipEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        entries.put(entry.getName(), in.readAllBytes());
      }
    }
    return entries;
  }

  static byte[] zip(Map<String, byte[]> entries) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }

  private static INDArray randomInput(int n, long seed) {
    Random random = new Random(seed);
    float[] data = new float[n * SHAPE.pixelCount()];
    for (int i = 0; i < data.length; i++) {
      data[i] = random.nextFloat();
    }
    return Nd4j.create(data, new long[] {n, SHAPE.channels(), SHAPE.height(), SHAPE.width()}, 'c');
  }
}
