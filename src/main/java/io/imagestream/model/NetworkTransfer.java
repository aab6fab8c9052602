package io.imagestream.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Starting a new network from an existing one, so retraining does not start from scratch. */
public final class NetworkTransfer {
  private NetworkTransfer() {}

  /** An independent copy to train further (same classes, same input): a warm start. */
  public static MultiLayerNetwork warmStart(MultiLayerNetwork live) {
    return live.clone();
  }

  /**
   * Copies the parameters of every layer but the output layer wherever the shapes match (new classes change only the
   * output layer): the learned features carry over, the new output layer starts fresh. Returns how many layers were
   * copied.
   */
  public static int copyFeatureLayers(MultiLayerNetwork from, MultiLayerNetwork to) {
    int layers = Math.min(from.getnLayers(), to.getnLayers()) - 1;
    int copied = 0;
    for (int i = 0; i < layers; i++) {
      Layer source = from.getLayer(i);
      Layer target = to.getLayer(i);
      INDArray sourceParams = source.params();
      INDArray targetParams = target.params();
      if (sourceParams == null || targetParams == null || sourceParams.length() == 0) {
        continue; // pooling layers have no parameters
      }
      if (!java.util.Arrays.equals(sourceParams.shape(), targetParams.shape())) {
        break; // from here on the shapes differ
      }
      target.setParams(sourceParams.dup());
      copied++;
    }
    return copied;
  }
}
