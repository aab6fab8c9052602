package io.imagestream.model;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's convolution layer for NHWC inference without its input copy. In 1.0.0-M2.1, {@code ConvolutionLayer}
 * copies every NHWC input to NCHW ({@code input.permute(0,3,1,2).dup()}) before it calls the oneDNN helper, yet
 * reads nothing but the copy's sizes: the helper takes the NHWC input as it is. That copy, a strided one, was ~10 %
 * of the network's time in the pipeline (async-profiler). This layer reads the sizes from the permuted view instead
 * and leaves everything else (training, backprop, no helper, no bias, a failing helper) to DL4J's code.
 */
final class NhwcConvolution extends ConvolutionLayer {

  private NhwcConvolution(ConvolutionLayer original) {
    super(original.conf(), original.getDataType());
    setListeners(original.getListeners());
    setIndex(original.getIndex());
    setParamsViewArray(original.params()); // the same parameters, not a copy
    setParamTable(original.paramTable());
  }

  /**
   * Swaps the network's NHWC convolution layers for this one, in place; their parameters stay where they are.
   * Only for inference copies: a network trained or serialised afterwards would not know this layer.
   */
  static void install(MultiLayerNetwork network) {
    org.deeplearning4j.nn.api.Layer[] layers = network.getLayers().clone();
    for (int i = 0; i < layers.length; i++) {
      if (layers[i].getClass() == ConvolutionLayer.class
          && ((ConvolutionLayer) layers[i]).layerConf().getCnn2dDataFormat() == CNN2DFormat.NHWC) {
        layers[i] = new NhwcConvolution((ConvolutionLayer) layers[i]);
      }
    }
    network.setLayers(layers);
  }

  /** How many of the network's layers are this one (for tests). */
  static long installedIn(MultiLayerNetwork network) {
    return java.util.Arrays.stream(network.getLayers()).filter(NhwcConvolution.class::isInstance).count();
  }

  @Override
  protected Pair<INDArray, INDArray> preOutput(boolean training, boolean forBackprop, LayerWorkspaceMgr workspaceMgr) {
    org.deeplearning4j.nn.conf.layers.ConvolutionLayer conf = layerConf();
    if (training || forBackprop || helper == null || helperCountFail != 0 || !hasBias()
        || conf.getCnn2dDataFormat() != CNN2DFormat.NHWC) {
      return super.preOutput(training, forBackprop, workspaceMgr);
    }
    assertInputSet(false);
    INDArray bias = getParamWithNoise(ConvolutionParamInitializer.BIAS_KEY, false, workspaceMgr);
    INDArray weights = getParamWithNoise(ConvolutionParamInitializer.WEIGHT_KEY, false, workspaceMgr);
    validateInputRank();
    INDArray nhwc = input.castTo(dataType);
    INDArray nchwView = nhwc.permute(0, 3, 1, 2); // what DL4J copies, a view here: only its sizes are read
    validateInputDepth(weights.size(1));
    int[] dilation = conf.getDilation();
    int[] kernel = conf.getKernelSize();
    int[] strides = conf.getStride();
    int[] pad;
    if (convolutionMode == ConvolutionMode.Same) {
      int[] outSize = ConvolutionUtils.getOutputSize(nchwView, kernel, strides, null, convolutionMode, dilation,
          CNN2DFormat.NCHW); // also validates
      pad = ConvolutionUtils.getSameModeTopLeftPadding(outSize,
          new int[] {(int) nchwView.size(2), (int) nchwView.size(3)}, kernel, strides, dilation);
    } else {
      pad = conf.getPadding();
      ConvolutionUtils.getOutputSize(nchwView, kernel, strides, pad, convolutionMode, dilation,
          CNN2DFormat.NCHW); // validates
    }
    INDArray out;
    try {
      out = helper.preOutput(nhwc, weights, bias, kernel, strides, pad, conf.getCudnnAlgoMode(),
          conf.getCudnnFwdAlgo(), convolutionMode, dilation, CNN2DFormat.NHWC, workspaceMgr);
    } catch (RuntimeException e) {
      out = null; // DL4J's own path below retries the helper and handles its failure as it always does
    }
    return out != null ? new Pair<>(out, null) : super.preOutput(training, forBackprop, workspaceMgr);
  }
}
