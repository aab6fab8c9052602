package io.imagestream.cli;

import io.imagestream.model.FashionMnist;
import io.imagestream.model.LabelledDataset;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Sample images for the demo: Fashion-MNIST's test split encoded as PNG files when Debian's dataset-fashion-mnist is
 * installed, else the small sample bundled in the jar (samples/fashion-mnist).
 */
final class DemoImages {
  record Sample(String id, String label, byte[] png) {}

  private DemoImages() {}

  /** Images to classify: the first half of the test split (or the bundled sample). */
  static List<Sample> load(int limit) {
    return load(0, limit);
  }

  /**
   * Labelled images for the trainer: the second half of the test split, which the default model never saw (it was
   * trained on the training split), so the validation gate judges on images new to both models.
   */
  static List<Sample> labelled(int limit) {
    return load(5_000, limit);
  }

  private static List<Sample> load(int first, int limit) {
    try {
      if (FashionMnist.isPresent(FashionMnist.DEBIAN_DIR)) {
        LabelledDataset test = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Split.TEST);
        List<Sample> samples = new ArrayList<>();
        for (int i = first; i < Math.min(first + limit, test.size()); i++) {
          samples.add(new Sample(String.format("fashion-mnist/test/%05d", i),
              test.classNames().get(test.label(i)), greyPng(test.pixels(i), 28, 28)));
        }
        return samples;
      }
      return bundled(limit);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the demo's sample images", e);
    }
  }

  /** The bundled sample: samples/fashion-mnist/index.txt lists "file<TAB>label" lines. */
  static List<Sample> bundled(int limit) throws IOException {
    List<Sample> samples = new ArrayList<>();
    try (InputStream index = DemoImages.class.getResourceAsStream("/samples/fashion-mnist/index.txt")) {
      if (index == null) {
        throw new IOException("the jar bundles no sample images and Fashion-MNIST is not installed "
            + "(apt-get install dataset-fashion-mnist)");
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(index, StandardCharsets.UTF_8));
      String line;
      while ((line = reader.readLine()) != null && samples.size() < limit) {
        String[] parts = line.split("\t");
        try (InputStream png = DemoImages.class.getResourceAsStream("/samples/fashion-mnist/" + parts[0])) {
          samples.add(new Sample("samples/" + parts[0], parts[1], png.readAllBytes()));
        }
      }
    }
    return samples;
  }

  static byte[] greyPng(byte[] pixels, int width, int height) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setDataElements(0, 0, width, height, pixels);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
