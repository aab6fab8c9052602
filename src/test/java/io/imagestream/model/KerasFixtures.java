package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Keras .h5 fixtures written at test time by the Python scripts in src/test/resources/keras (Debian's python3-h5py
 * and python3-numpy; the tests are skipped without them). The scripts' output goes to {@code python.log} in the
 * test's directory.
 */
public final class KerasFixtures {
  public static final Path PYTHON = Path.of("/usr/bin/python3");

  private KerasFixtures() {}

  /** Skips the tests unless /usr/bin/python3 has h5py and numpy. */
  public static void assumePython(Path dir) throws IOException, InterruptedException {
    Assumptions.assumeTrue(Files.isExecutable(PYTHON) && python(dir, "-c", "import h5py, numpy") == 0,
        "needs /usr/bin/python3 with h5py and numpy (apt-get install python3-h5py python3-numpy)");
  }

  /** The script src/test/resources/keras/{@code name}. */
  public static Path script(String name) throws URISyntaxException {
    return Path.of(KerasFixtures.class.getResource("/keras/" + name).toURI());
  }

  /** Has {@code script} write {@code dir/kind.h5} and {@code dir/kind.json} for each kind; each must succeed. */
  public static void write(Path dir, Path script, List<String> kinds) throws IOException, InterruptedException {
    for (String kind : kinds) {
      assertEquals(0, python(dir, script.toString(), kind, dir.resolve(kind + ".h5").toString(),
          dir.resolve(kind + ".json").toString()), kind + ": " + Files.readString(dir.resolve("python.log")));
    }
  }

  /** Runs /usr/bin/python3 with the arguments, its output appended to {@code dir/python.log}; its exit code. */
  public static int python(Path dir, String... args) throws IOException, InterruptedException {
    String[] command = new String[args.length + 1];
    command[0] = PYTHON.toString();
    System.arraycopy(args, 0, command, 1, args.length);
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("python.log").toFile())).start();
    return process.waitFor();
  }

  /** A fixture script's images ("pixels" in its EXPECTED.json) as our preprocessor's pixel arrays (8-bit, HWC). */
  public static List<byte[]> pixels(JsonNode expected) {
    List<byte[]> images = new ArrayList<>();
    for (JsonNode image : expected.get("pixels")) {
      byte[] bytes = new byte[image.size()];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) image.get(i).asInt();
      }
      images.add(bytes);
    }
    return images;
  }
}
