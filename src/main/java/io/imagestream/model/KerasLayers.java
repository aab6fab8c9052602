package io.imagestream.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.imagestream.image.InputShape;
import io.imagestream.model.KerasImport.UnsupportedModelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A Keras model configuration ({@code model_config} of an {@code .h5}) as one flat chain of layers: a Sequential, or
 * a Functional model that is a chain, with nested models (tf.keras saves {@code Sequential([VGG16(...), ...])} with
 * the base as one layer of class {@code Functional}, {@code Model} before TF 2.4) expanded in place. DL4J's own
 * Keras import does not expand nested models, so this is done here from the JSON.
 */
final class KerasLayers {
  static final Set<String> MODEL_CLASSES = Set.of("Sequential", "Functional", "Model");
  static final Set<String> SUPPORTED = Set.of("InputLayer", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dropout",
      "BatchNormalization", "GlobalAveragePooling2D");
  static final String SUPPORTED_NAMES = "Conv2D, MaxPooling2D, Flatten, Dense, Dropout, BatchNormalization, "
      + "GlobalAveragePooling2D (and nested Sequential/Functional models of them)";

  /**
   * One layer of the flattened chain.
   *
   * @param kind        Keras class name, e.g. {@code Conv2D}
   * @param config      the layer's own config
   * @param weightGroup the group under {@code model_weights} that holds its weights (the outermost layer's name)
   * @param nested      whether it sits inside a nested model (its weights are then under {@code <group>/<name>/})
   * @param trainable   Keras' trainable flag, false also when an enclosing model is not trainable
   */
  record Layer(String kind, JsonNode config, String weightGroup, boolean nested, boolean trainable) {
    String name() {
      return config.path("name").asText();
    }
  }

  /** The chain, and the input shape its first layer (or InputLayer) declares. */
  record Chain(List<Layer> layers, InputShape input) {}

  private KerasLayers() {}

  static Chain flatten(String file, JsonNode modelConfig) throws UnsupportedModelException {
    String modelClass = modelConfig.path("class_name").asText();
    if (!MODEL_CLASSES.contains(modelClass)) {
      throw new UnsupportedModelException(file + " holds a " + modelClass + " model; only Sequential models and "
          + "Functional models that are a chain of layers can be imported");
    }
    List<Layer> layers = new ArrayList<>();
    JsonNode[] inputShape = {null};
    expand(modelClass, modelConfig.path("config"), null, true, layers, inputShape);
    return new Chain(List.copyOf(layers), inputShape(file, inputShape[0]));
  }

  /** Appends a model's layers; {@code group} is the enclosing top-level layer's name, null at the top. */
  private static void expand(String modelClass, JsonNode modelConfig, String group, boolean trainable,
                             List<Layer> out, JsonNode[] inputShape) throws UnsupportedModelException {
    String modelName = modelConfig.path("name").asText();
    JsonNode layers = modelConfig.path("layers");
    if (!"Sequential".equals(modelClass)) {
      checkChain(modelName, modelConfig);
    }
    for (JsonNode layer : layers) {
      String kind = layer.path("class_name").asText();
      JsonNode config = layer.path("config");
      String name = config.path("name").asText(layer.path("name").asText());
      boolean layerTrainable = trainable && config.path("trainable").asBoolean(true);
      JsonNode shape = config.has("batch_input_shape") ? config.get("batch_input_shape") : config.get("batch_shape");
      if (inputShape[0] == null && shape != null && !shape.isNull()) {
        inputShape[0] = shape;
      }
      if (MODEL_CLASSES.contains(kind)) {
        expand(kind, config, group == null ? name : group, layerTrainable, out, inputShape);
        continue;
      }
      if (!SUPPORTED.contains(kind)) {
        throw new UnsupportedModelException("layer '" + name + "' (" + kind + ") is not supported; supported: "
            + SUPPORTED_NAMES);
      }
      if ("channels_first".equals(config.path("data_format").asText())) {
        throw new UnsupportedModelException("layer '" + name + "' (" + kind + ") uses channels_first; only "
            + "channels_last (Keras' default) is supported");
      }
      if (!"InputLayer".equals(kind)) {
        out.add(new Layer(kind, config, group == null ? name : group, group != null, layerTrainable));
      }
    }
  }

  /** A Functional model must be a chain: each layer fed by exactly the one before it. */
  private static void checkChain(String modelName, JsonNode modelConfig) throws UnsupportedModelException {
    String previous = null;
    for (JsonNode layer : modelConfig.path("layers")) {
      String name = layer.path("name").asText(layer.path("config").path("name").asText());
      JsonNode nodes = layer.path("inbound_nodes");
      if (previous != null) {
        String from = nodes.size() == 1 && nodes.get(0).isArray() && nodes.get(0).size() == 1
            && nodes.get(0).get(0).isArray() ? nodes.get(0).get(0).get(0).asText() : null;
        if (!previous.equals(from)) {
          throw new UnsupportedModelException("model '" + modelName + "' is not a chain of layers: layer '" + name
              + "' is fed by " + nodes + ", not only by '" + previous + "'");
        }
      }
      previous = name;
    }
  }

  private static InputShape inputShape(String file, JsonNode shape) throws UnsupportedModelException {
    if (shape == null || shape.size() != 4 || !shape.get(1).canConvertToInt() || !shape.get(2).canConvertToInt()
        || !shape.get(3).canConvertToInt()) {
      throw new UnsupportedModelException(file + ": the model needs a fixed image input (None, height, width, "
          + "channels), found " + shape);
    }
    int channels = shape.get(3).asInt();
    if (channels != 1 && channels != 3) {
      throw new UnsupportedModelException(file + ": input has " + channels + " channels; 1 (grey) or 3 (RGB) can be "
          + "served");
    }
    return new InputShape(shape.get(1).asInt(), shape.get(2).asInt(), channels);
  }
}
