package io.imagestream.model;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.InputShape;
import io.imagestream.image.Layout;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A verified network ready to serve, with its metadata. Immutable from the outside: a new model is a new instance,
 * swapped in whole (DL4J's {@code output()} is synchronised but {@code setParams()} is not).
 */
public final class LoadedModel {
  private final MultiLayerNetwork network;
  private final ModelMetadata metadata;
  private final String artifactSha256;
  private final InputShape shape;
  private final int classCount;

  private LoadedModel(MultiLayerNetwork network, ModelMetadata metadata, String artifactSha256) {
    this.network = network;
    this.metadata = metadata;
    this.artifactSha256 = artifactSha256;
    this.shape = metadata.inputShape();
    this.classCount = metadata.classNames().size();
  }

  /** Checks that the network takes the declared input and gives the declared outputs, by running it once. */
  static LoadedModel verified(MultiLayerNetwork network, ModelMetadata metadata, String artifactSha256, String origin)
      throws InvalidModelException {
    LoadedModel model = new LoadedModel(network, metadata, artifactSha256);
    int expectedOutputs = model.classCount == 2 && ModelMetadata.SIGMOID.equals(metadata.output()) ? 1
        : model.classCount;
    long outputs;
    try {
      outputs = network.output(Nd4j.zeros(1, model.shape.channels(), model.shape.height(), model.shape.width()))
          .size(1);
    } catch (RuntimeException e) {
      throw new InvalidModelException(origin + ": the network does not accept its declared input " + model.shape
          + ": " + e.getMessage(), e);
    }
    if (outputs != expectedOutputs) {
      throw new InvalidModelException(origin + ": the network has " + outputs + " outputs but the metadata names "
          + model.classCount + " classes (" + metadata.output() + ")");
    }
    return model;
  }

  /** Wraps a network just trained in this process (no artifact yet). */
  public static LoadedModel of(MultiLayerNetwork network, ModelMetadata metadata) {
    return new LoadedModel(network, metadata, null);
  }

  public ModelMetadata metadata() {
    return metadata;
  }

  public MultiLayerNetwork network() {
    return network;
  }

  public InputShape inputShape() {
    return shape;
  }

  public List<String> classNames() {
    return metadata.classNames();
  }

  /** sha256 of the artifact this model was loaded from, or null when it was built in this process. */
  public String artifactSha256() {
    return artifactSha256;
  }

  /** Builds the network's input for a batch of pixel arrays as returned by {@link ImagePreprocessor#toPixels}. */
  public INDArray toInput(List<byte[]> pixels) {
    int perImage = shape.pixelCount();
    float[] data = new float[pixels.size() * perImage];
    for (int i = 0; i < pixels.size(); i++) {
      ImagePreprocessor.rescaleInto(pixels.get(i), shape, Layout.NCHW, data, i * perImage);
    }
    return Nd4j.create(data, new long[] {pixels.size(), shape.channels(), shape.height(), shape.width()}, 'c');
  }

  /** Class probabilities, one row per input image, one column per class name. */
  public float[][] predict(INDArray input) {
    INDArray out = network.output(input, false);
    int n = (int) out.size(0);
    float[][] probabilities = new float[n][classCount];
    if (out.size(1) == 1) { // sigmoid: the unit is the probability of class 1, as in Keras' binary mode
      for (int i = 0; i < n; i++) {
        float p = out.getFloat(i, 0);
        probabilities[i][0] = 1f - p;
        probabilities[i][1] = p;
      }
    } else {
      float[] flat = out.dup('c').data().asFloat();
      for (int i = 0; i < n; i++) {
        System.arraycopy(flat, i * classCount, probabilities[i], 0, classCount);
      }
    }
    return probabilities;
  }

  public float[][] predictPixels(List<byte[]> pixels) {
    return predict(toInput(pixels));
  }

  public static int argMax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }
}
