package io.imagestream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagestream.model.LoadedModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

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
      PeerWeights.exportWeights(model, modelDir);
      Path script = script(work);
      Path stdout = work.resolve("stdout.txt");
      Path stderr = work.resolve("stderr.txt");
      List<String> command = List.of(python(), script.toString(),
          "--bootstrap", bootstrap, "--input", inTopic, "--output", outTopic,
          "--group", "imagestream-peer-" + UUID.randomUUID().toString().substring(0, 8),
          "--batch-size", Integer.toString(batchSize), "--max-wait-ms", Integer.toString(maxWaitMs),
          "--model", modelDir.toString(), "--max-images", Integer.toString(expectedImages),
          "--threads", Integer.toString(Runtime.getRuntime().availableProcessors()));
      try (PeerOutputClock clock = new PeerOutputClock(bootstrap, outTopic, expectedImages)) {
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

}
