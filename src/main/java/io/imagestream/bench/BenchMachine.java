package io.imagestream.bench;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.ImagePreprocessor;
import io.imagestream.model.NativeBackend;
import io.imagestream.model.NetworkCalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The machine a run measured: CPU, cores, JVM, ND4J backend, decoders, load. */
final class BenchMachine {
  private BenchMachine() {}

  /** Stream threads of a `classify` child with the product's defaults on this machine. */
  static int childStreamThreads() {
    return io.imagestream.classify.ClassifierStreamsConfig.streamThreads(ImagestreamConfig.defaults());
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /**
   * The first processor of /proc/cpuinfo: its model name, family and model, and its widest vector unit. Hosts that
   * all call themselves "AMD EPYC" ran the CNN at 2,242 and 5,098 images/s (Zen 2 with AVX2, Zen 4 with AVX-512).
   */
  static String cpu(List<String> cpuinfo) {
    Map<String, String> first = new LinkedHashMap<>();
    for (String line : cpuinfo) {
      if (line.isBlank() && !first.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      if (colon > 0) {
        first.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
      }
    }
    String name = first.getOrDefault("model name", "unknown CPU");
    if (!first.containsKey("cpu family") || !first.containsKey("model")) {
      return name;
    }
    List<String> flags = List.of(first.getOrDefault("flags", "").split("\\s+"));
    String vectors = flags.contains("avx512f") ? "AVX-512" : flags.contains("avx2") ? "AVX2, no AVX-512" : "no AVX2";
    return name + " (family " + first.get("cpu family") + ", model " + first.get("model") + "; " + vectors + ")";
  }

  static String machine() throws IOException {
    Path cpuinfo = Path.of("/proc/cpuinfo");
    String cpu = Files.isReadable(cpuinfo) ? cpu(Files.readAllLines(cpuinfo)) : "unknown CPU";
    return String.format("- %s, %d cores visible to the JVM, %d MB max heap%n- Java %s (%s)%n- ND4J native CPU "
            + "backend, oneDNN layer helpers %s, %d thread(s) per network call (OpenBLAS: %d), up to %d calls at once, "
            + "models served in NHWC; DL4J 1.0.0-M2.1; Kafka 4.3.1%n- JPEG decoding: %s%n- PNG decoding: %s%n"
            + "- load average at the start: %s%n", cpu,
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
        System.getProperty("java.version"), System.getProperty("java.vm.name"),
        NativeBackend.oneDnnEnabled() ? "on" : "OFF", NativeBackend.threadsPerCall(), NativeBackend.blasThreads(),
        NetworkCalls.concurrency(), ImagePreprocessor.jpegDecoder(), ImagePreprocessor.pngDecoder(),
        loadAverage());
  }
}
