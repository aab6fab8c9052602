package io.imagestream.model;

import io.imagestream.image.InputShape;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads Zalando's Fashion-MNIST in its original IDX files (as Debian's {@code dataset-fashion-mnist} installs them,
 * gzipped or not): 28x28 grey images, 10 classes.
 */
public final class FashionMnist {
  public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
  public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
  public static final InputShape SHAPE = new InputShape(28, 28, 1);

  public enum Split {
    TRAIN("train"), TEST("t10k");

    private final String prefix;

    Split(String prefix) {
      this.prefix = prefix;
    }
  }

  private FashionMnist() {}

  /** True when {@code dir} holds the IDX files of both splits. */
  public static boolean isPresent(Path dir) {
    for (Split split : Split.values()) {
      if (find(dir, split.prefix + "-images-idx3-ubyte") == null || find(dir, split.prefix + "-labels-idx1-ubyte") == null) {
        return false;
      }
    }
    return true;
  }

  public static LabelledDataset load(Path dir, Split split) throws IOException {
    Path images = require(dir, split.prefix + "-images-idx3-ubyte");
    Path labels = require(dir, split.prefix + "-labels-idx1-ubyte");
    byte[] pixels;
    int count;
    try (DataInputStream in = open(images)) {
      expectMagic(in, 0x00000803, images);
      count = in.readInt();
      int rows = in.readInt();
      int cols = in.readInt();
      if (rows != 28 || cols != 28) {
        throw new IOException(images + ": expected 28x28 images, found " + rows + "x" + cols);
      }
      pixels = in.readNBytes(count * rows * cols);
      if (pixels.length != count * rows * cols) {
        throw new IOException(images + ": truncated, " + pixels.length + " of " + count * rows * cols + " bytes");
      }
    }
    int[] labelArray = new int[count];
    try (DataInputStream in = open(labels)) {
      expectMagic(in, 0x00000801, labels);
      int labelCount = in.readInt();
      if (labelCount != count) {
        throw new IOException(labels + ": " + labelCount + " labels for " + count + " images");
      }
      byte[] raw = in.readNBytes(count);
      if (raw.length != count) {
        throw new IOException(labels + ": truncated");
      }
      for (int i = 0; i < count; i++) {
        labelArray[i] = raw[i];
        if (labelArray[i] < 0 || labelArray[i] >= CLASS_NAMES.size()) {
          throw new IOException(labels + ": label " + labelArray[i] + " at index " + i + " is out of range");
        }
      }
    }
    return new LabelledDataset(SHAPE, CLASS_NAMES, pixels, labelArray);
  }

  private static void expectMagic(DataInputStream in, int magic, Path file) throws IOException {
    int found = in.readInt();
    if (found != magic) {
      throw new IOException(file + ": not an IDX file of the expected kind (magic " + Integer.toHexString(found) + ")");
    }
  }

  private static DataInputStream open(Path file) throws IOException {
    InputStream in = Files.newInputStream(file);
    if (file.getFileName().toString().endsWith(".gz")) {
      in = new GZIPInputStream(in, 1 << 16);
    }
    return new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16));
  }

  private static Path require(Path dir, String base) throws IOException {
    Path found = find(dir, base);
    if (found == null) {
      throw new IOException("Fashion-MNIST file " + base + "[.gz] not found in " + dir
          + " (install Debian's dataset-fashion-mnist package: apt-get install dataset-fashion-mnist)");
    }
    return found;
  }

  private static Path find(Path dir, String base) {
    for (String name : List.of(base + ".gz", base)) {
      Path candidate = dir.resolve(name);
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
