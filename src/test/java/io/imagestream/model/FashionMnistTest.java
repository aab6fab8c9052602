package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading Fashion-MNIST's IDX files (the real ones when Debian's dataset-fashion-mnist is installed). */
class FashionMnistTest {

  private static void assumeDataset() {
    Assumptions.assumeTrue(FashionMnist.isPresent(FashionMnist.DEBIAN_DIR),
        "Fashion-MNIST not installed in " + FashionMnist.DEBIAN_DIR + " (apt-get install dataset-fashion-mnist)");
  }

  @Test
  void trainSplitHas60000BalancedImages() throws IOException {
    assumeDataset();
    LabelledDataset train = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Split.TRAIN);
    assertEquals(60_000, train.size());
    assertEquals(FashionMnist.SHAPE, train.shape());
    assertEquals(28 * 28, train.pixels(59_999).length);
    assertEquals(10, train.classNames().size());
    int[] sixThousandEach = new int[10];
    Arrays.fill(sixThousandEach, 6_000);
    assertArrayEquals(sixThousandEach, train.classCounts());
  }

  @Test
  void testSplitHas10000BalancedImagesStartingWithAnAnkleBoot() throws IOException {
    assumeDataset();
    LabelledDataset test = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Split.TEST);
    assertEquals(10_000, test.size());
    assertEquals(FashionMnist.SHAPE, test.shape());
    assertEquals(FashionMnist.CLASS_NAMES, test.classNames());
    int[] thousandEach = new int[10];
    Arrays.fill(thousandEach, 1_000);
    assertArrayEquals(thousandEach, test.classCounts());
    assertEquals(9, test.label(0));
    assertEquals("Ankle boot", test.classNames().get(test.label(0)));
    byte[] first = test.pixels(0);
    assertTrue(countNonZero(first) > 100, "the first image is a boot, not a blank: " + countNonZero(first));
  }

  @Test
  void aFileWithTheWrongMagicNumberIsNamedInTheError(@TempDir Path dir) throws IOException {
    writeIdx(dir.resolve("t10k-images-idx3-ubyte.gz"), 0x00000801, 1, 28, 28); // a labels magic on an images file
    writeIdx(dir.resolve("t10k-labels-idx1-ubyte.gz"), 0x00000801, 1);
    writeIdx(dir.resolve("train-images-idx3-ubyte.gz"), 0x00000803, 1, 28, 28);
    writeIdx(dir.resolve("train-labels-idx1-ubyte.gz"), 0x00000801, 1);
    assertTrue(FashionMnist.isPresent(dir));
    IOException e = assertThrows(IOException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TEST));
    assertTrue(e.getMessage().contains(dir.resolve("t10k-images-idx3-ubyte.gz").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("magic"), e.getMessage());
  }

  @Test
  void isPresentIsFalseForAnEmptyFolderAndLoadSaysWhatIsMissing(@TempDir Path dir) {
    assertFalse(FashionMnist.isPresent(dir));
    IOException e = assertThrows(IOException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TRAIN));
    assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
  }

  /** A gzipped IDX header with the given magic and dimensions, then zero data for them. */
  private static void writeIdx(Path file, int magic, int count, int... dims) throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(raw))) {
      out.writeInt(magic);
      out.writeInt(count);
      int size = count;
      for (int d : dims) {
        out.writeInt(d);
        size *= d;
      }
      out.write(new byte[size]);
    }
    Files.write(file, raw.toByteArray());
  }

  private static int countNonZero(byte[] pixels) {
    int n = 0;
    for (byte b : pixels) {
      if (b != 0) {
        n++;
      }
    }
    return n;
  }
}
