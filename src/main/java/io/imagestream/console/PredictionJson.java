package io.imagestream.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A prediction as the contract's JSON carries it, read without the classifier's classes (the console is a service of
 * its own). Tolerant: a missing field reads as empty or -1, anything but a JSON object is refused.
 */
record PredictionJson(String id, String label, double probability, List<Guess> probabilities, String modelName,
                      long modelVersion, String sourceTopic, int sourcePartition, long sourceOffset, long produced,
                      long classified) {

  /** One class and the probability the model gave it. */
  record Guess(String label, double probability) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  static PredictionJson parse(byte[] json) {
    JsonNode root;
    try {
      root = json == null ? null : JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a prediction (not JSON): " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("not a prediction (not a JSON object)");
    }
    List<Guess> guesses = new ArrayList<>();
    root.path("probabilities").fields().forEachRemaining(e ->
        guesses.add(new Guess(e.getKey(), e.getValue().asDouble())));
    JsonNode model = root.path("model");
    JsonNode source = root.path("source");
    JsonNode timestamps = root.path("timestamps");
    return new PredictionJson(root.path("id").asText(""), root.path("label").asText(""),
        root.path("probability").asDouble(), List.copyOf(guesses), model.path("name").asText(""),
        model.path("version").asLong(-1), source.path("topic").asText(""), source.path("partition").asInt(-1),
        source.path("offset").asLong(-1), timestamps.path("produced").asLong(0),
        timestamps.path("classified").asLong(0));
  }

  /** The classes in the model's output order (the order of the JSON object). */
  List<String> classNames() {
    return probabilities.stream().map(Guess::label).toList();
  }

  /** The {@code n} most probable classes, most probable first (ties in class order). */
  List<Guess> top(int n) {
    return probabilities.stream().sorted(Comparator.comparingDouble(Guess::probability).reversed()).limit(n).toList();
  }
}
