package io.imagestream.model;

import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * A frozen base's outputs kept from one training to the next (the trainer retrains every few minutes on mostly the
 * same images): by the sha256 of an image's pixels, valid while the base's parameters are the same (their sha256;
 * a retrained transfer model keeps its base bit-identical, so its next version still matches). Holds the images of
 * the last training only. Not thread-safe: one trainer uses it.
 */
public final class BaseOutputCache {
  private String baseDigest;
  private Map<String, float[]> outputs = new HashMap<>();
  private int hits;
  private int misses;

  /** Starts a training on {@code base}: forgets everything if the base differs from the last one. */
  void begin(MultiLayerNetwork base) {
    String digest = ModelArtifact.sha256(base.params().dup().data().asBytes());
    if (!digest.equals(baseDigest)) {
      outputs = new HashMap<>();
      baseDigest = digest;
    }
    hits = 0;
    misses = 0;
  }

  float[] get(String pixelDigest) {
    float[] row = outputs.get(pixelDigest);
    if (row == null) {
      misses++;
    } else {
      hits++;
    }
    return row;
  }

  /** Keeps exactly the given outputs: those of the training just done. */
  void keep(Map<String, float[]> current) {
    outputs = current;
  }

  /** Images of the last training whose base outputs came from the cache. */
  public int hits() {
    return hits;
  }

  /** Images of the last training whose base outputs had to be computed. */
  public int misses() {
    return misses;
  }
}
