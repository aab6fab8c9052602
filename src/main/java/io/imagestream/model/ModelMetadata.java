package io.imagestream.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.imagestream.image.InputShape;
import java.util.List;
import java.util.Map;

/**
 * What a model artifact says about its network: enough to feed it and to read its output.
 *
 * @param name           model name (the key on the models topic)
 * @param version        monotonic version, 1 for a model that was never published
 * @param parentVersion  the version it was trained from, or 0
 * @param architecture   e.g. {@code keras-tutorial-cnn}
 * @param classNames     class names in output order (Keras: alphabetical folder names)
 * @param input          input height, width and channels
 * @param preprocessing  how pixels become inputs
 * @param output         {@code softmax} (one unit per class) or {@code sigmoid} (one unit: probability of class 1)
 * @param training       how it was trained and what it reached
 * @param createdAt      ISO-8601 instant
 * @param networkSha256  sha256 of the serialised network inside the artifact
 * @param frozenLayers   indices of the network's layers that training leaves as they are (a transfer model's base,
 *                       Keras' {@code trainable=False}); null or empty: every layer trains
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelMetadata(
    String name,
    long version,
    long parentVersion,
    String architecture,
    List<String> classNames,
    Input input,
    Preprocessing preprocessing,
    String output,
    Training training,
    String createdAt,
    String networkSha256,
    List<Integer> frozenLayers) {

  /** A model whose layers all train. */
  public ModelMetadata(String name, long version, long parentVersion, String architecture, List<String> classNames,
                       Input input, Preprocessing preprocessing, String output, Training training, String createdAt,
                       String networkSha256) {
    this(name, version, parentVersion, architecture, classNames, input, preprocessing, output, training, createdAt,
        networkSha256, null);
  }

  /** The frozen layer indices, empty when every layer trains. */
  public List<Integer> frozen() {
    return frozenLayers == null ? List.of() : frozenLayers;
  }

  public static final String SOFTMAX = "softmax";
  public static final String SIGMOID = "sigmoid";

  public record Input(int height, int width, int channels, String layout) {
    public InputShape shape() {
      return new InputShape(height, width, channels);
    }

    public static Input of(InputShape shape) {
      return new Input(shape.height(), shape.width(), shape.channels(), "NCHW");
    }
  }

  /** rescale is applied to 0..255 pixel values (Keras' {@code rescale=1./255}). */
  public record Preprocessing(double rescale, String interpolation, String colorMode) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  /**
   * @param labelledOffsets for models trained from the labelled-images topic: per partition, the offset up to which
   *                        records were read, so a restarted trainer counts only later records as new labels
   */
  public record Training(String dataset, int epochs, int batchSize, long trainingExamples, long validationExamples,
                         Map<String, Double> metrics, double seconds, Map<String, Long> labelledOffsets) {
    public Training(String dataset, int epochs, int batchSize, long trainingExamples, long validationExamples,
                    Map<String, Double> metrics, double seconds) {
      this(dataset, epochs, batchSize, trainingExamples, validationExamples, metrics, seconds, null);
    }
  }

  public InputShape inputShape() {
    return input.shape();
  }

  public ModelMetadata withVersion(long newVersion, long newParent) {
    return new ModelMetadata(name, newVersion, newParent, architecture, classNames, input, preprocessing, output,
        training, createdAt, networkSha256, frozenLayers);
  }

  public ModelMetadata withNetworkSha256(String sha256) {
    return new ModelMetadata(name, version, parentVersion, architecture, classNames, input, preprocessing, output,
        training, createdAt, sha256, frozenLayers);
  }

  public ModelMetadata withName(String newName) {
    return new ModelMetadata(newName, version, parentVersion, architecture, classNames, input, preprocessing, output,
        training, createdAt, networkSha256, frozenLayers);
  }
}
