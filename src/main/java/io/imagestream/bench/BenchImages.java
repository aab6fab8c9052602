package io.imagestream.bench;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import javax.imageio.ImageIO;

/** Synthetic but photo-like inputs of the benchmark's three kinds (gradients, shapes and noise, so JPEG works). */
final class BenchImages {
  enum Kind {
    JPEG_64("64x64 RGB JPEG", 64, 64, "jpeg", false),
    JPEG_PHOTO("500x375 RGB JPEG", 500, 375, "jpeg", false),
    PNG_GREY_28("28x28 grey PNG", 28, 28, "png", true);

    final String label;
    final int width;
    final int height;
    final String format;
    final boolean grey;

    Kind(String label, int width, int height, String format, boolean grey) {
      this.label = label;
      this.width = width;
      this.height = height;
      this.format = format;
      this.grey = grey;
    }
  }

  private BenchImages() {}

  static byte[][] make(Kind kind, int count, long seed) {
    Random random = new Random(seed);
    byte[][] images = new byte[count][];
    for (int i = 0; i < count; i++) {
      BufferedImage image = new BufferedImage(kind.width, kind.height,
          kind.grey ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
      Graphics2D g = image.createGraphics();
      g.setPaint(new GradientPaint(0, 0, new Color(random.nextInt(0xFFFFFF)), kind.width, kind.height,
          new Color(random.nextInt(0xFFFFFF))));
      g.fillRect(0, 0, kind.width, kind.height);
      for (int s = 0; s < 6; s++) {
        g.setColor(new Color(random.nextInt(0xFFFFFF)));
        g.fillOval(random.nextInt(kind.width), random.nextInt(kind.height), kind.width / 3, kind.height / 3);
      }
      g.dispose();
      for (int n = 0; n < kind.width * kind.height / 20; n++) { // a little sensor noise
        int x = random.nextInt(kind.width);
        int y = random.nextInt(kind.height);
        image.setRGB(x, y, image.getRGB(x, y) ^ (random.nextInt(0x1F1F1F)));
      }
      images[i] = encode(image, kind.format);
    }
    return images;
  }

  private static byte[] encode(BufferedImage image, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, format, out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
