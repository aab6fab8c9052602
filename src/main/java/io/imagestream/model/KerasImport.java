package io.imagestream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.image.InputShape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration.ListBuilder;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Turns a Keras 2 / tf.keras {@code .h5} model (what {@code model.save('m.h5')} writes) into our model: the
 * configuration is read as one chain of layers ({@link KerasLayers}, nested models such as a VGG16 base expanded),
 * each layer is built as its DL4J counterpart in NCHW (the layout our preprocessing feeds and our trainer uses) by
 * {@link KerasLayerMapping}, and the weights are read from their HDF5 groups by name. Keras' {@code trainable=False}
 * layers are returned as frozen layer indices, which the artifact's metadata keeps.
 */
public final class KerasImport {
  public static final String ARCHITECTURE = "keras-import";
  private static final byte[] HDF5_SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WEIGHTS_ROOT = "model_weights";

  /** A Keras file that cannot be imported; the message says why and, where it helps, what to do. */
  public static final class UnsupportedModelException extends Exception {
    public UnsupportedModelException(String message) {
      super(message);
    }
  }

  /** The rebuilt network and its metadata, ready for {@link ModelArtifact#write}. */
  public record Imported(MultiLayerNetwork network, ModelMetadata metadata) {}

  /**
   * A Keras file's network in NCHW.
   *
   * @param frozenLayers   indices of the DL4J layers Keras marked {@code trainable=False}
   * @param classifier     whether it ends in Dense(1, sigmoid) or Dense(n, softmax) (a base saved on its own does not)
   */
  public record Network(MultiLayerNetwork network, InputShape input, List<Integer> frozenLayers, String kerasVersion,
                        boolean classifier) {}

  private KerasImport() {}

  public static Imported importModel(Path h5, List<String> classNames, String name)
      throws IOException, UnsupportedModelException {
    Network read = readNetwork(h5);
    if (!read.classifier()) {
      throw new UnsupportedModelException(h5 + " ends without a classifier (its last layer is not Dense(1, sigmoid) "
          + "or Dense(n, softmax)); a convolutional base saved on its own is used with: fit DIR --out FILE --base "
          + h5.getFileName());
    }
    MultiLayerNetwork network = read.network();
    long units = network.getOutputLayer().getParam("W").size(1);
    boolean sigmoid = units == 1;
    int expectedClasses = sigmoid ? 2 : (int) units;
    if (classNames.size() != expectedClasses) {
      throw new UnsupportedModelException("--classes names " + classNames.size() + " classes but the model's output "
          + "is " + (sigmoid ? "1 sigmoid unit (2 classes)" : units + " softmax units") + ": give " + expectedClasses
          + " class names, in the order of the model's outputs (Keras: sorted folder names)");
    }
    InputShape shape = read.input();
    ModelMetadata metadata = new ModelMetadata(name, 1, 0, ARCHITECTURE, classNames, ModelMetadata.Input.of(shape),
        new ModelMetadata.Preprocessing(1.0 / 255, "bilinear", shape.channels() == 1 ? "grayscale" : "rgb"),
        sigmoid ? ModelMetadata.SIGMOID : ModelMetadata.SOFTMAX,
        new ModelMetadata.Training("imported from Keras " + read.kerasVersion() + " file " + h5.getFileName(), 0, 0,
            0, 0, Map.of(), 0),
        Instant.now().toString(), null, read.frozenLayers().isEmpty() ? null : read.frozenLayers());
    return new Imported(network, metadata);
  }

  /** Reads the configuration and weights of a Keras file, with or without a classifier at the end. */
  public static Network readNetwork(Path h5) throws IOException, UnsupportedModelException {
    checkFileType(h5);
    NativeBackend.init();
    try (Hdf5Archive archive = new Hdf5Archive(h5.toString())) {
      if (!archive.hasAttribute("model_config")) {
        throw new UnsupportedModelException(h5 + " holds no model_config (weights only, from save_weights?); save "
            + "the whole model with model.save('model.h5')");
      }
      String kerasVersion = archive.hasAttribute("keras_version") ? archive.readAttributeAsString("keras_version")
          : "?";
      if (kerasVersion.startsWith("3.")) {
        throw new UnsupportedModelException(h5 + " was written by Keras " + kerasVersion
            + "; Keras 3 files are not supported; save as .h5 with Keras 2 / tf.keras");
      }
      JsonNode config = JSON.readTree(archive.readAttributeAsJson("model_config"));
      KerasLayers.Chain chain = KerasLayers.flatten(h5.toString(), config);
      return build(h5, archive, chain, kerasVersion);
    } catch (UnsupportedKerasConfigurationException e) {
      throw new UnsupportedModelException(h5 + ": cannot read the Keras model: " + firstLine(e.getMessage()));
    }
  }

  private static Network build(Path h5, Hdf5Archive archive, KerasLayers.Chain chain, String kerasVersion)
      throws UnsupportedModelException, UnsupportedKerasConfigurationException {
    List<KerasLayerMapping.Mapped> mapped = KerasLayerMapping.map(chain);
    if (mapped.isEmpty()) {
      throw new UnsupportedModelException(h5 + " has no layers to import");
    }
    ListBuilder builder = new NeuralNetConfiguration.Builder()
        .weightInit(WeightInit.XAVIER_UNIFORM)
        .updater(new Adam(0.001))
        .list();
    for (KerasLayerMapping.Mapped layer : mapped) {
      builder.layer(layer.layer());
    }
    InputShape shape = chain.input();
    builder.setInputType(InputType.convolutional(shape.height(), shape.width(), shape.channels(), CNN2DFormat.NCHW));
    MultiLayerNetwork network = new MultiLayerNetwork(builder.build());
    network.init();

    Weights weights = new Weights(archive);
    List<Integer> frozen = new ArrayList<>();
    for (int i = 0; i < mapped.size(); i++) {
      KerasLayerMapping.Mapped layer = mapped.get(i);
      for (KerasLayerMapping.Param param : layer.params()) {
        INDArray keras = weights.read(layer.keras(), param.kerasName());
        INDArray value = param.convert().apply(keras);
        INDArray target = network.getLayer(i).getParam(param.dl4jName());
        if (target == null || target.length() != value.length()) {
          throw new UnsupportedModelException("layer '" + layer.keras().name() + "': weight " + param.kerasName()
              + " has shape " + Arrays.toString(keras.shape()) + ", expected " + (target == null ? "none"
              : target.length() + " values"));
        }
        target.assign(value.reshape(target.ordering(), target.shape()));
      }
      if (!layer.keras().trainable()) {
        frozen.add(i);
      }
    }
    return new Network(network, shape, List.copyOf(frozen), kerasVersion, KerasLayerMapping.isClassifier(mapped));
  }

  /** The datasets under {@code model_weights}, found by their path: {@code <group>/[<layer>/]<weight>}. */
  private static final class Weights {
    private final Hdf5Archive archive;
    private final java.util.Map<String, List<String[]>> byGroup = new java.util.HashMap<>();

    Weights(Hdf5Archive archive) {
      this.archive = archive;
    }

    INDArray read(KerasLayers.Layer layer, String weight)
        throws UnsupportedModelException, UnsupportedKerasConfigurationException {
      List<String[]> paths = byGroup.computeIfAbsent(layer.weightGroup(), g -> list(new String[] {WEIGHTS_ROOT, g}));
      String[] found = null;
      for (String[] path : paths) {
        int n = path.length;
        boolean sameWeight = path[n - 1].equals(weight);
        boolean sameLayer = n >= 2 && path[n - 2].equals(layer.name());
        if (sameWeight && (sameLayer || (!layer.nested() && paths.stream()
            .filter(p -> p[p.length - 1].equals(weight)).count() == 1))) {
          found = path;
          break;
        }
      }
      if (found == null) {
        throw new UnsupportedModelException("layer '" + layer.name() + "': no weight " + weight + " under "
            + WEIGHTS_ROOT + "/" + layer.weightGroup() + " in the file");
      }
      String[] groups = Arrays.copyOf(found, found.length - 1);
      return archive.readDataSet(found[found.length - 1], groups).castTo(DataType.FLOAT);
    }

    /** Every dataset below a group, as group path + dataset name. */
    private List<String[]> list(String[] group) {
      List<String[]> out = new ArrayList<>();
      for (String dataset : archive.getDataSets(group)) {
        String[] path = Arrays.copyOf(group, group.length + 1);
        path[group.length] = dataset;
        out.add(path);
      }
      for (String child : archive.getGroups(group)) {
        String[] path = Arrays.copyOf(group, group.length + 1);
        path[group.length] = child;
        out.addAll(list(path));
      }
      return out;
    }
  }

  /** Keras 3's {@code .keras} files are zips; anything else that is not HDF5 is not a Keras 2 model either. */
  private static void checkFileType(Path file) throws IOException, UnsupportedModelException {
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(8);
    }
    if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
      throw new UnsupportedModelException(file + " is a zip: Keras 3 .keras files are not supported; save as .h5 "
          + "with Keras 2 / tf.keras");
    }
    if (!Arrays.equals(head, HDF5_SIGNATURE)) {
      throw new UnsupportedModelException(file + " is not an HDF5 file (a Keras 2 / tf.keras model.save('model.h5'))");
    }
  }

  /** Dense weights [h*w*c, out] with rows in (h, w, c) order, reordered to (c, h, w) order. */
  static INDArray hwcRowsToChw(INDArray weights, int height, int width, int channels) {
    long out = weights.size(1);
    return weights.reshape('c', height, width, channels, out).permute(2, 0, 1, 3).dup('c')
        .reshape('c', (long) channels * height * width, out);
  }

  static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }
}
