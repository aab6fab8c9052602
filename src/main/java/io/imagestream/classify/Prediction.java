package io.imagestream.classify;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelMetadata;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The value of a record on the predictions topic (see the contract), serialised as UTF-8 JSON. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"id", "label", "probability", "probabilities", "model", "source", "timestamps"})
public record Prediction(String id, String label, double probability, Map<String, Double> probabilities,
                         Model model, Source source, Timestamps timestamps) {

  public record Model(String name, long version) {}

  public record Source(String topic, int partition, long offset) {}

  /**
   * Wall-clock milliseconds: the input record's timestamp ({@code produced}), when the classifier read it
   * ({@code received}), and when its batch left the network ({@code classified}). received - produced is the time the
   * image spent before the classifier (the producer, the broker, a lagging consumer); classified - received is the
   * classifier's own (decoding, waiting for its micro-batch, the network). Predictions written before 0.6.0 have no
   * {@code received} (read as 0).
   */
  @JsonPropertyOrder({"produced", "received", "classified"})
  public record Timestamps(long produced, long received, long classified) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Builds a prediction from one row of class probabilities (rounded to 6 decimals: float precision). */
  public static Prediction of(String id, float[] probabilities, ModelMetadata model, Source source,
                              Timestamps timestamps) {
    List<String> classes = model.classNames();
    Map<String, Double> byClass = new LinkedHashMap<>();
    for (int i = 0; i < classes.size(); i++) {
      byClass.put(classes.get(i), round(probabilities[i]));
    }
    int best = LoadedModel.argMax(probabilities);
    return new Prediction(id, classes.get(best), round(probabilities[best]), byClass,
        new Model(model.name(), model.version()), source, timestamps);
  }

  private static double round(float p) {
    return Math.round(p * 1e6) / 1e6;
  }

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise prediction " + id, e);
    }
  }

  /** Writes predictions as their JSON value (the partitioner reads the object before it is serialised). */
  public static org.apache.kafka.common.serialization.Serializer<Prediction> serializer() {
    return (topic, prediction) -> prediction == null ? null : prediction.toJson();
  }

  public String toJsonString() {
    return new String(toJson(), StandardCharsets.UTF_8);
  }

  public static Prediction fromJson(byte[] json) {
    try {
      return JSON.readValue(json, Prediction.class);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("not a prediction: " + e.getMessage(), e);
    }
  }
}
