package io.imagestream.model;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.InputShape;
import io.imagestream.image.Layout;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.bytedeco.javacpp.FloatPointer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.adapters.OutputAdapter;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A verified network ready to serve, with its metadata. Immutable from the outside: a new model is a new instance,
 * swapped in whole (DL4J's {@code output()} is synchronised but {@code setParams()} is not).
 *
 * <p>Two networks: {@link #network()} is the NCHW network as trained and saved (training must stay NCHW in DL4J
 * 1.0.0-M2.1), and inference runs on an NHWC copy of it (about 2x faster with oneDNN), built and checked against the
 * original when the model is created. When the copy cannot be built or does not match, inference runs on the NCHW
 * network itself; {@link #inputLayout()} says which layout {@link #toInput} builds and {@link #predict} takes.
 */
public final class LoadedModel {
  private static final Logger LOG = LoggerFactory.getLogger(LoadedModel.class);

  private final MultiLayerNetwork network;
  private final MultiLayerNetwork serving;
  /**
   * A copy of the serving network per calling thread: DL4J's output() is synchronised per network, so stream threads
   * sharing one network would take turns; with a copy per concurrent call (a few MB each) they classify at the same
   * time. Made here, when the model loads (off the serving path), not at a stream thread's first batch.
   */
  private final BlockingQueue<MultiLayerNetwork> replicas;
  private final Layout layout;
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
    NhwcConversion.Result nhwc = network == null ? null : NhwcConversion.convert(network, shape);
    if (nhwc != null && nhwc.network() != null) {
      this.serving = nhwc.network();
      this.layout = Layout.NHWC;
    } else {
      this.serving = network;
      this.layout = Layout.NCHW;
      if (nhwc != null) {
        LOG.info("model {} v{} is served in NCHW (no NHWC copy): {}", metadata.name(), metadata.version(),
            nhwc.whyNot());
      }
    }
    int copies = serving == null ? 1 : NetworkCalls.concurrency();
    this.replicas = new ArrayBlockingQueue<>(copies);
    for (int i = 0; serving != null && i < copies; i++) {
      replicas.add(i == 0 ? serving : servingCopy(serving));
    }
  }

  /** The serving network's copies, for tests: only meaningful while no call is running. */
  List<MultiLayerNetwork> servingCopies() {
    return List.copyOf(replicas);
  }

  /** Another copy of the serving network (a clone rebuilds DL4J's own layers: put the NHWC convolutions back). */
  private static MultiLayerNetwork servingCopy(MultiLayerNetwork serving) {
    MultiLayerNetwork copy = serving.clone();
    NhwcConvolution.install(copy);
    return copy;
  }

  /** Checks that the network takes the declared input and gives the declared outputs, by running it once. */
  static LoadedModel verified(MultiLayerNetwork network, ModelMetadata metadata, String artifactSha256, String origin)
      throws InvalidModelException {
    InputShape shape = metadata.inputShape();
    int classCount = metadata.classNames().size();
    int expectedOutputs = classCount == 2 && ModelMetadata.SIGMOID.equals(metadata.output()) ? 1 : classCount;
    long outputs;
    try {
      outputs = NetworkCalls.aside(() -> network.output(Nd4j.zeros(1, shape.channels(), shape.height(), shape.width())))
          .size(1);
    } catch (RuntimeException e) {
      throw new InvalidModelException(origin + ": the network does not accept its declared input " + shape
          + ": " + e.getMessage(), e);
    }
    if (outputs != expectedOutputs) {
      throw new InvalidModelException(origin + ": the network has " + outputs + " outputs but the metadata names "
          + classCount + " classes (" + metadata.output() + ")");
    }
    return new LoadedModel(network, metadata, artifactSha256); // builds and checks the NHWC serving copy
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

  /** The layout {@link #toInput} builds and {@link #predict(INDArray)} takes: NHWC when the copy could be built. */
  public Layout inputLayout() {
    return layout;
  }

  /** The network inference runs on: the NHWC copy, or {@link #network()} itself when there is none. */
  MultiLayerNetwork servingNetwork() {
    return serving;
  }

  /** The shape of a batch of {@code batch} images in {@link #inputLayout()}. */
  public long[] batchShape(int batch) {
    return layout == Layout.NHWC
        ? new long[] {batch, shape.height(), shape.width(), shape.channels()}
        : new long[] {batch, shape.channels(), shape.height(), shape.width()};
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

  /**
   * Builds the serving network's input, in {@link #inputLayout()}, for a batch of pixel arrays as returned by
   * {@link ImagePreprocessor#toPixels}.
   */
  public INDArray toInput(List<byte[]> pixels) {
    int perImage = shape.pixelCount();
    float[] data = inputBuffer(pixels.size() * perImage);
    for (int i = 0; i < pixels.size(); i++) {
      ImagePreprocessor.rescaleInto(pixels.get(i), shape, layout, data, i * perImage);
    }
    // One bulk copy into the off-heap buffer: Nd4j.create(float[], ...) copies element by element, ~6x slower
    // (1.2 ms against 0.2 ms for a batch of 32 64x64x3 images, measured here).
    INDArray input = Nd4j.create(DataType.FLOAT, batchShape(pixels.size()), 'c');
    ((FloatPointer) input.data().addressPointer()).put(data, 0, pixels.size() * perImage);
    return input;
  }

  /**
   * A float buffer of at least {@code length}, one per thread and kept: it is copied off-heap before toInput returns,
   * and a fresh one per batch (48 KB per 64x64x3 image) was a seventh of the classifier's garbage.
   */
  private static float[] inputBuffer(int length) {
    float[] buffer = INPUT_BUFFER.get();
    if (buffer.length < length) {
      buffer = new float[length];
      INPUT_BUFFER.set(buffer);
    }
    return buffer;
  }

  private static final ThreadLocal<float[]> INPUT_BUFFER = ThreadLocal.withInitial(() -> new float[0]);

  /**
   * Class probabilities for input in the given layout ([n, c, h, w] or [n, h, w, c]), converted to
   * {@link #inputLayout()} first when it differs (e.g. {@link LabelledDataset#features}, which are NCHW).
   */
  public float[][] predict(INDArray input, Layout inputLayout) {
    if (inputLayout == layout) {
      return predict(input);
    }
    INDArray converted = inputLayout == Layout.NCHW ? input.permute(0, 2, 3, 1) : input.permute(0, 3, 1, 2);
    return predict(converted.dup('c'));
  }

  /** Class probabilities, one row per input image, one column per class name; input in {@link #inputLayout()}. */
  public float[][] predict(INDArray input) {
    return predict(input, false);
  }

  /** @param aside a load-time call ({@link NetworkCalls#aside}), not a serving one */
  private float[][] predict(INDArray input, boolean aside) {
    // The adapter reads the output where the network wrote it (its output workspace), so the output is neither
    // detached into a fresh off-heap array nor duplicated before reaching the Java heap.
    java.util.function.Supplier<float[]> call = () -> {
      // NetworkCalls admits at most as many serving calls as there are copies, so one is always free to them. Calls
      // aside (warm-up) run before a model serves, so they never take a copy a serving call needs.
      MultiLayerNetwork network = replicas.poll();
      MultiLayerNetwork use = network != null ? network : serving;
      try {
        return use.output(input, null, null, TO_FLOATS);
      } finally {
        if (network != null) {
          replicas.offer(network);
        }
      }
    };
    float[] flat = aside ? NetworkCalls.aside(call) : NetworkCalls.run(call);
    int n = (int) input.size(0);
    float[][] probabilities = new float[n][classCount];
    if (flat.length == n && classCount == 2) { // sigmoid: the unit is the probability of class 1, as in Keras
      for (int i = 0; i < n; i++) {
        probabilities[i][0] = 1f - flat[i];
        probabilities[i][1] = flat[i];
      }
    } else {
      if (flat.length != (long) n * classCount) {
        throw new IllegalStateException("the network gave " + flat.length + " outputs for " + n + " images of "
            + classCount + " classes");
      }
      for (int i = 0; i < n; i++) {
        System.arraycopy(flat, i * classCount, probabilities[i], 0, classCount);
      }
    }
    return probabilities;
  }

  /** The output rows, c-order, copied to the heap straight from the network's output workspace. */
  private static final OutputAdapter<float[]> TO_FLOATS = outputs -> {
    INDArray out = outputs[0];
    boolean plain = !out.isView() && out.ordering() == 'c' && out.data().length() == out.length();
    return (plain ? out : out.dup('c')).data().asFloat();
  };

  /**
   * Runs the serving network once on a blank batch of {@code batch} images in its serving layout: oneDNN builds its
   * primitives at the first call per input shape, and the JIT and the workspaces warm up, so the first real batch of
   * that size is not slow.
   */
  public void warmUp(int batch) {
    INDArray blank = Nd4j.zeros(serving.getLayerWiseConfigurations().getDataType(), batchShape(batch));
    for (int i = 0; i < replicas.size(); i++) { // the copies take turns (first out, last back in): each runs once
      predict(blank, true);
    }
  }

  /**
   * Class probabilities for a batch of pixel arrays. The batch's off-heap input is released as soon as the network is
   * done with it: left to the garbage collector, the inputs of every batch between two collections piled up (~1.5 MB
   * per batch of 32 64x64x3 images; the classifier child JVM peaked at 772 MB of ND4J off-heap over 40,000 images).
   */
  public float[][] predictPixels(List<byte[]> pixels) {
    INDArray input = toInput(pixels);
    try {
      return predict(input);
    } finally {
      input.close();
    }
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
