package io.imagestream.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link ModelTrainer#fitHistory} did: every epoch's figures, and which epoch's weights the network holds at the
 * end (the last one, or the best one when early stopping restored it).
 *
 * @param epochs        one entry per epoch run
 * @param keptEpoch     the epoch whose weights the network ended with
 * @param stoppedEarly  whether early stopping ended training before the epoch limit
 */
public record TrainingHistory(List<ModelTrainer.EpochResult> epochs, int keptEpoch, boolean stoppedEarly) {

  /** The figures of the epoch whose weights the network holds. */
  public ModelTrainer.EpochResult kept() {
    return epochs.get(keptEpoch - 1);
  }

  /** Keras' {@code History.history}: metric name to one value per epoch. */
  public Map<String, List<Double>> asKerasHistory() {
    Map<String, List<Double>> history = new LinkedHashMap<>();
    for (ModelTrainer.EpochResult epoch : epochs) {
      epoch.asMap().forEach((name, value) -> history.computeIfAbsent(name, n -> new ArrayList<>()).add(value));
    }
    return history;
  }

  /** Writes the Keras-layout history as JSON ({@code {"loss":[...],"accuracy":[...],...}}). */
  public void writeJson(Path file) throws IOException {
    ModelArtifact.JSON.writeValue(file.toFile(), asKerasHistory());
  }
}
