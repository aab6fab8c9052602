package io.imagestream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The benchmark's peer: {@code bench/peer/peer.py}, a plain Python consumer (Debian's python3-confluent-kafka,
 * python3-torch, python3-pil, python3-numpy) doing the classifier's job on the same topics with the same network and
 * weights, at-least-once. This class exports a model's weights for it, starts it as a child process and measures it
 * the way {@code Benchmark} measures the Java pipeline: the steady rate of predictions seen on the output topic by a
 * read_committed consumer, between the 10 % and the 90 % arrival ({@link ArrivalClock}).
 *
 * <p>Usage: {@code PythonPeer.check()} (skip the peer when it is not ok), then
 * {@code PythonPeer.run(bootstrap, inTopic, outTopic, model, 32, 20, n, Duration.ofMinutes(10))} once the input
 * topic holds {@code n} images (the output topic must exist; records already on it are not counted).
 */
public final class PythonPeer {
  /** Debian's interpreter: the one the python3-* packages install into (a pyenv python3 on PATH lacks them). */
  public static final String DEFAULT_PYTHON = "/usr/bin/python3";
  /** Environment variable naming another interpreter. */
  public static final String PYTHON_ENV = "IMAGESTREAM_PEER_PYTHON";
  public static final String SCRIPT = "bench/peer/peer.py";
  public static final String DEBIAN_PACKAGES = "python3-confluent-kafka python3-torch python3-pil python3-numpy";

  static final String MODEL_JSON = "model.json";
  static final String WEIGHTS = "weights.f32";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static volatile Availability availability;

  private PythonPeer() {}

  /** Whether the peer can run here; when not, why. */
  public record Availability(boolean ok, String reason) {}

  /**
   * What one run did.
   *
   * @param images         predictions the peer produced
   * @param skipped        input records it could not decode (skipped, counted)
   * @param imagesPerSecond measured outside the peer like the Java pipeline: the steady rate of predictions arriving on the
   *                       output topic (read_committed), (n - 1) / seconds
   * @param outputsSeen    predictions that measurement saw
   * @param peerImagesPerSecond the peer's own measurement: first to last delivery acknowledgement, (n - 1) / seconds
   * @param peerSeconds    the peer's wall time from its first input record to its exit
   * @param summary        the peer's summary line as it printed it
   */
  public record Result(int images, int skipped, double imagesPerSecond, int outputsSeen, double peerImagesPerSecond,
                       double peerSeconds, String summary) {}

  public static String python() {
    String python = System.getenv(PYTHON_ENV);
    return python == null || python.isBlank() ? DEFAULT_PYTHON : python;
  }

  /** Checks (once per JVM) that the interpreter exists and imports confluent_kafka, torch, PIL and numpy. */
  public static Availability check() {
    Availability known = availability;
    if (known == null) {
      known = probe();
      availability = known;
    }
    return known;
  }

  private static Availability probe() {
    String python = python();
    if (!Files.isExecutable(Path.of(python))) {
      return new Availability(false, python + " not found (apt-get install " + DEBIAN_PACKAGES + ")");
    }
    try {
      Process process = new ProcessBuilder(python, "-c", "import confluent_kafka, torch, PIL, numpy")
          .redirectErrorStream(true).start();
      byte[] output = process.getInputStream().readAllBytes();
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return new Availability(false, python + " did not import the peer's modules within 120 s");
      }
      if (process.exitValue() != 0) {
        String text = new String(output, StandardCharsets.UTF_8).strip();
        String last = text.substring(text.lastIndexOf('\n') + 1);
        return new Availability(false, python + ": " + last + " (apt-get install " + DEBIAN_PACKAGES + ")");
      }
      return new Availability(true, "ok");
    } catch (IOException e) {
      return new Availability(false, "cannot run " + python + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Availability(false, "interrupted while checking " + python);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Weights export

  /**
   * Writes the model for peer.py into {@code dir}: {@code model.json} (the layers in order, classes, input shape,
   * preprocessing, and per tensor its name, shape and offset) and {@code weights.f32} (every tensor, little-endian
   * float32, already in PyTorch's layout: conv kernels [out, in, kh, kw] as in DL4J, dense weights transposed from
   * DL4J's [in, out] to [out, in], biases as vectors).
   *
   * @throws IllegalArgumentException for a network peer.py cannot rebuild (only NCHW conv / max or average pooling /
   *     dense / dropout / output layers with relu, sigmoid, tanh, softmax or identity)
   */
  public static void exportWeights(LoadedModel model, Path dir) throws IOException {
    MultiLayerNetwork network = model.network();
    ModelMetadata metadata = model.metadata();
    ObjectNode root = JSON.createObjectNode();
    root.put("format", "imagestream-peer-weights/1");
    root.put("name", metadata.name());
    root.put("version", metadata.version());
    root.put("architecture", metadata.architecture());
    ArrayNode classes = root.putArray("classes");
    model.classNames().forEach(classes::add);
    boolean sigmoidOutput = false;
    ObjectNode input = root.putObject("input");
    input.put("height", model.inputShape().height());
    input.put("width", model.inputShape().width());
    input.put("channels", model.inputShape().channels());
    input.put("layout", "NCHW");
    ObjectNode preprocessing = root.putObject("preprocessing");
    ModelMetadata.Preprocessing pre = metadata.preprocessing();
    preprocessing.put("rescale", pre == null ? 1.0 / 255 : pre.rescale());
    preprocessing.put("interpolation", pre == null || pre.interpolation() == null ? "bilinear" : pre.interpolation());
    preprocessing.put("colorMode", pre == null || pre.colorMode() == null
        ? (model.inputShape().channels() == 1 ? "grayscale" : "rgb") : pre.colorMode());

    ArrayNode layers = root.putArray("layers");
    ObjectNode tensors = JSON.createObjectNode();
    List<float[]> data = new ArrayList<>();
    long offset = 0;
    boolean flattened = false;
    int count = network.getnLayers();
    for (int i = 0; i < count; i++) {
      Layer conf = network.getLayer(i).conf().getLayer();
      ObjectNode layer = layers.addObject();
      String where = "layer " + i + " (" + conf.getClass().getSimpleName() + ")";
      if (conf instanceof ConvolutionLayer conv && conv.getClass() == ConvolutionLayer.class) {
        if (flattened) {
          throw new IllegalArgumentException(where + ": a convolution after a dense layer is not supported");
        }
        if (conv.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
          throw new IllegalArgumentException(where + ": only NCHW networks can be exported, found "
              + conv.getCnn2dDataFormat());
        }
        if (conv.getDilation()[0] != 1 || conv.getDilation()[1] != 1) {
          throw new IllegalArgumentException(where + ": dilation is not supported");
        }
        layer.put("type", "conv");
        putWindow(layer, where, conv.getKernelSize(), conv.getStride(), conv.getPadding(), conv.getConvolutionMode());
        layer.put("activation", activation(where, conv.getActivationFn()));
      } else if (conf instanceof SubsamplingLayer pool && pool.getClass() == SubsamplingLayer.class) {
        if (pool.getPoolingType() != PoolingType.MAX && pool.getPoolingType() != PoolingType.AVG) {
          throw new IllegalArgumentException(where + ": pooling " + pool.getPoolingType() + " is not supported");
        }
        layer.put("type", pool.getPoolingType() == PoolingType.MAX ? "maxpool" : "avgpool");
        putWindow(layer, where, pool.getKernelSize(), pool.getStride(), pool.getPadding(), pool.getConvolutionMode());
      } else if (conf instanceof DenseLayer || conf instanceof BaseOutputLayer) {
        InputPreProcessor flatten = network.getLayerWiseConfigurations().getInputPreProcess(i);
        if (flatten instanceof CnnToFeedForwardPreProcessor cnnToDense && cnnToDense.getFormat() != CNN2DFormat.NCHW) {
          throw new IllegalArgumentException(where + ": only NCHW flattening is supported, found "
              + cnnToDense.getFormat());
        }
        flattened = true;
        layer.put("type", "dense");
        IActivation fn = ((BaseLayer) conf).getActivationFn();
        layer.put("activation", activation(where, fn));
        if (conf instanceof BaseOutputLayer) {
          if (i != count - 1) {
            throw new IllegalArgumentException(where + ": an output layer must be the last layer");
          }
          sigmoidOutput = fn instanceof ActivationSigmoid;
        }
      } else if (conf instanceof DropoutLayer) {
        layer.put("type", "dropout");
        continue;
      } else {
        throw new IllegalArgumentException(where + ": not supported by the Python peer");
      }
      boolean dense = "dense".equals(layer.get("type").asText());
      INDArray w = network.getLayer(i).getParam("W");
      if (w != null) {
        INDArray torchW = dense ? w.transpose() : w; // DL4J dense [in, out] -> torch Linear [out, in]
        offset = addTensor(tensors, data, "layer" + i + ".weight", torchW, offset);
        layer.put("weight", "layer" + i + ".weight");
      }
      INDArray b = network.getLayer(i).getParam("b");
      if (b != null) {
        offset = addTensor(tensors, data, "layer" + i + ".bias", b.reshape(b.length()), offset);
        layer.put("bias", "layer" + i + ".bias");
      }
    }
    if (!"dense".equals(layers.get(layers.size() - 1).path("type").asText())) {
      throw new IllegalArgumentException("the network must end with a dense/output layer");
    }
    root.put("output", sigmoidOutput ? ModelMetadata.SIGMOID : ModelMetadata.SOFTMAX);
    root.set("tensors", tensors);

    Files.createDirectories(dir);
    try (OutputStream out = Files.newOutputStream(dir.resolve(WEIGHTS))) {
      for (float[] values : data) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        out.write(buffer.array());
      }
    }
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(MODEL_JSON).toFile(), root);
  }

  private static void putWindow(ObjectNode layer, String where, int[] kernel, int[] stride, int[] padding,
                                ConvolutionMode mode) {
    int[] pad = padding.clone();
    if (mode == ConvolutionMode.Same) {
      // DL4J's Same with stride 1 and an odd kernel pads k/2 on each side: the same as explicit padding
      if (stride[0] != 1 || stride[1] != 1 || kernel[0] % 2 == 0 || kernel[1] % 2 == 0) {
        throw new IllegalArgumentException(where + ": 'Same' mode is supported only with stride 1 and odd kernels");
      }
      pad = new int[] {kernel[0] / 2, kernel[1] / 2};
    } else if (mode != ConvolutionMode.Truncate && mode != ConvolutionMode.Strict) {
      throw new IllegalArgumentException(where + ": convolution mode " + mode + " is not supported");
    }
    layer.putArray("kernel").add(kernel[0]).add(kernel[1]);
    layer.putArray("stride").add(stride[0]).add(stride[1]);
    layer.putArray("padding").add(pad[0]).add(pad[1]);
  }

  private static String activation(String where, IActivation fn) {
    if (fn instanceof ActivationReLU) {
      return "relu";
    }
    if (fn instanceof ActivationSigmoid) {
      return "sigmoid";
    }
    if (fn instanceof ActivationSoftmax) {
      return "softmax";
    }
    if (fn instanceof ActivationTanH) {
      return "tanh";
    }
    if (fn == null || fn instanceof ActivationIdentity) {
      return "identity";
    }
    throw new IllegalArgumentException(where + ": activation " + fn + " is not supported by the Python peer");
  }

  private static long addTensor(ObjectNode tensors, List<float[]> data, String name, INDArray array, long offset) {
    // a fresh c-order buffer: params are views into the network's flat parameter vector
    INDArray copy = Nd4j.createUninitialized(DataType.FLOAT, array.shape(), 'c').assign(array);
    float[] values = copy.data().asFloat();
    if (values.length != array.length()) {
      throw new IllegalStateException(name + ": copied " + values.length + " values of " + array.length());
    }
    ObjectNode tensor = tensors.putObject(name);
    ArrayNode shape = tensor.putArray("shape");
    for (long d : array.shape()) {
      shape.add(d);
    }
    tensor.put("offset", offset);
    data.add(values);
    return offset + values.length;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Running the peer

  /**
   * Runs peer.py on {@code inTopic} (from its beginning, with a new consumer group) until it has read
   * {@code expectedImages} records, and measures it. The output topic must exist; the measurement counts only
   * records that arrive after this call starts.
   *
   * @throws IllegalStateException when the peer is not available, fails, or does not finish within {@code timeout}
   */
  public static Result run(String bootstrap, String inTopic, String outTopic, LoadedModel model, int batchSize,
                           int maxWaitMs, int expectedImages, Duration timeout) throws IOException {
    Availability available = check();
    if (!available.ok()) {
      throw new IllegalStateException("the Python peer cannot run: " + available.reason());
    }
    Path work = Files.createTempDirectory("imagestream-peer-");
    try {
      Path modelDir = work.resolve("model");
      exportWeights(model, modelDir);
      Path script = script(work);
      Path stdout = work.resolve("stdout.txt");
      Path stderr = work.resolve("stderr.txt");
      List<String> command = List.of(python(), script.toString(),
          "--bootstrap", bootstrap, "--input", inTopic, "--output", outTopic,
          "--group", "imagestream-peer-" + UUID.randomUUID().toString().substring(0, 8),
          "--batch-size", Integer.toString(batchSize), "--max-wait-ms", Integer.toString(maxWaitMs),
          "--model", modelDir.toString(), "--max-images", Integer.toString(expectedImages),
          "--threads", Integer.toString(Runtime.getRuntime().availableProcessors()));
      try (OutputClock clock = new OutputClock(bootstrap, outTopic, expectedImages)) {
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
            .start();
        boolean finished;
        try {
          finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          process.destroyForcibly();
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while the Python peer was running", e);
        }
        if (!finished) {
          process.destroyForcibly();
          throw new IllegalStateException("the Python peer did not finish within " + timeout + "; its log ends:\n"
              + tail(stderr));
        }
        if (process.exitValue() != 0) {
          throw new IllegalStateException("the Python peer failed (exit " + process.exitValue() + "); its log ends:\n"
              + tail(stderr));
        }
        String summary = lastLine(stdout);
        JsonNode json;
        try {
          json = JSON.readTree(summary);
        } catch (IOException e) {
          throw new IllegalStateException("the Python peer printed no summary ('" + summary + "'); its log ends:\n"
              + tail(stderr), e);
        }
        int images = json.path("images").asInt();
        clock.expect(images);
        double measured = clock.await(Duration.ofSeconds(30));
        return new Result(images, json.path("skipped").asInt(), measured, clock.seen(),
            json.path("images_per_s").asDouble(), json.path("seconds").asDouble(), summary);
      }
    } finally {
      deleteTree(work);
    }
  }

  /** peer.py from the working directory's bench/peer/, else extracted from the jar (or classes) into {@code dir}. */
  static Path script(Path dir) throws IOException {
    Path onDisk = Path.of(SCRIPT);
    if (Files.isRegularFile(onDisk)) {
      return onDisk.toAbsolutePath();
    }
    try (InputStream in = PythonPeer.class.getResourceAsStream("/" + SCRIPT)) {
      if (in == null) {
        throw new IllegalStateException(SCRIPT + " is neither in the working directory nor on the class path");
      }
      Path extracted = dir.resolve("peer.py");
      Files.copy(in, extracted, StandardCopyOption.REPLACE_EXISTING);
      return extracted;
    }
  }

  private static String lastLine(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (!lines.get(i).isBlank()) {
        return lines.get(i).strip();
      }
    }
    return "";
  }

  private static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind
    }
  }

  /**
   * Counts the records arriving on the output topic (read_committed, from its end offsets at creation), noting the
   * arrival times (ArrivalClock): Benchmark's measurement of the Java pipeline, for the peer.
   */
  static final class OutputClock implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final AtomicInteger expected;
    private volatile boolean stop;
    private volatile int seen;
    private final ArrivalClock clock;
    private volatile RuntimeException failure;

    OutputClock(String bootstrap, String topic, int expected) {
      this.expected = new AtomicInteger(expected);
      this.clock = new ArrivalClock(expected);
      Map<String, Object> props = new HashMap<>();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position); // fix the starting point now, before the peer produces
      thread = new Thread(this::count, "python-peer-output-clock");
      thread.setDaemon(true);
      thread.start();
    }

    private void count() {
      try {
        while (!stop && seen < expected.get()) {
          ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
          long now = System.nanoTime();
          for (int i = 0; i < records.count(); i++) {
            clock.arrived(now);
            seen++;
          }
        }
      } catch (RuntimeException e) {
        failure = e;
      }
    }

    void expect(int count) {
      expected.set(count);
    }

    int seen() {
      return seen;
    }

    /** Waits for the expected count, then returns the steady rate (ArrivalClock) in records per second. */
    double await(Duration timeout) {
      try {
        thread.join(timeout.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (failure != null) {
        throw new IllegalStateException("reading the peer's predictions failed: " + failure, failure);
      }
      if (thread.isAlive() || seen < expected.get()) {
        throw new IllegalStateException("only " + seen + " of " + expected.get() + " peer predictions arrived");
      }
      return clock.steadyRate();
    }

    @Override
    public void close() {
      stop = true;
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
