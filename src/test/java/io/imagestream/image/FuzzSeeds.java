package io.imagestream.image;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * The fuzzer's seed corpus: tiny valid files of every format and the variants the decoders treat differently
 * (progressive/interlaced, grey, palette, 16-bit, CMYK, RLE). Kept in src/test/resources/fuzz-seeds/ so that the
 * corpus does not change with the JDK's encoders; {@link #main} regenerates it.
 */
public final class FuzzSeeds {
  static final String RESOURCE_DIR = "/fuzz-seeds/";
  static final List<String> NAMES = List.of(
      "baseline.jpg", "grey.jpg", "progressive.jpg", "cmyk-adobe.jpg",
      "rgb.png", "grey.png", "palette-trns.png", "rgba.png", "grey16.png", "interlaced.png",
      "basic.gif", "interlaced.gif",
      "rgb24.bmp", "palette8.bmp", "rle8.bmp", "mono1.bmp");

  private FuzzSeeds() {}

  /** The corpus as committed, by file name. */
  static Map<String, byte[]> load() {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    for (String name : NAMES) {
      try (InputStream in = FuzzSeeds.class.getResourceAsStream(RESOURCE_DIR + name)) {
        if (in == null) {
          throw new IllegalStateException("missing seed " + RESOURCE_DIR + name + "; run FuzzSeeds.main");
        }
        seeds.put(name, in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return seeds;
  }

  /** Writes the corpus into the folder given (src/test/resources/fuzz-seeds). */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "src/test/resources/fuzz-seeds");
    Files.createDirectories(dir);
    for (Map.Entry<String, byte[]> seed : generate().entrySet()) {
      Files.write(dir.resolve(seed.getKey()), seed.getValue());
    }
  }

  static Map<String, byte[]> generate() throws IOException {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    BufferedImage rgb = TestImages.rgbImage(randomBytes(20 * 14 * 3, 1), 20, 14);
    BufferedImage grey = new BufferedImage(16, 12, BufferedImage.TYPE_BYTE_GRAY);
    grey.getRaster().setDataElements(0, 0, 16, 12, randomBytes(16 * 12, 2));
    seeds.put("baseline.jpg", TestImages.encode(rgb, "jpeg"));
    seeds.put("grey.jpg", TestImages.encode(grey, "jpeg"));
    seeds.put("progressive.jpg", progressive(rgb, "jpeg"));
    seeds.put("cmyk-adobe.jpg", TestImages.cmykJpeg(12, 10, new int[] {10, 200, 30, 40}, 2));
    seeds.put("rgb.png", TestImages.encode(rgb, "png"));
    seeds.put("grey.png", TestImages.encode(grey, "png"));
    seeds.put("palette-trns.png", TestImages.encode(palette(12, 10, true), "png"));
    BufferedImage rgba = new BufferedImage(10, 10, BufferedImage.TYPE_INT_ARGB);
    Random random = new Random(3);
    for (int y = 0; y < 10; y++) {
      for (int x = 0; x < 10; x++) {
        rgba.setRGB(x, y, random.nextInt());
      }
    }
    seeds.put("rgba.png", TestImages.encode(rgba, "png"));
    BufferedImage grey16 = new BufferedImage(8, 8, BufferedImage.TYPE_USHORT_GRAY);
    for (int i = 0; i < 64; i++) {
      grey16.getRaster().setSample(i % 8, i / 8, 0, i * 1000);
    }
    seeds.put("grey16.png", TestImages.encode(grey16, "png"));
    seeds.put("interlaced.png", progressive(rgb, "png"));
    seeds.put("basic.gif", TestImages.encode(palette(16, 12, false), "gif"));
    seeds.put("interlaced.gif", progressive(palette(16, 12, false), "gif"));
    seeds.put("rgb24.bmp", TestImages.encode(TestImages.rgbImage(randomBytes(9 * 7 * 3, 4), 9, 7), "bmp"));
    seeds.put("palette8.bmp", TestImages.encode(palette(12, 10, false), "bmp"));
    seeds.put("rle8.bmp", rle(palette(12, 10, 256), "BI_RLE8")); // 256 colours: 8 bits per pixel
    BufferedImage mono = new BufferedImage(17, 9, BufferedImage.TYPE_BYTE_BINARY);
    mono.getRaster().setDataElements(0, 0, 17, 9, randomBits(17 * 9, 5));
    seeds.put("mono1.bmp", TestImages.encode(mono, "bmp"));
    return seeds;
  }

  private static BufferedImage palette(int w, int h, boolean transparent) {
    return palette(w, h, 16, transparent);
  }

  private static BufferedImage palette(int w, int h, int colours) {
    return palette(w, h, colours, false);
  }

  private static BufferedImage palette(int w, int h, int colours, boolean transparent) {
    byte[] r = new byte[colours];
    byte[] g = new byte[colours];
    byte[] b = new byte[colours];
    byte[] a = new byte[colours];
    for (int i = 0; i < colours; i++) {
      r[i] = (byte) (i * 16);
      g[i] = (byte) (255 - i * 16);
      b[i] = (byte) (i * 7);
      a[i] = (byte) (transparent && i == 0 ? 0 : 255);
    }
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED,
        new IndexColorModel(8, colours, r, g, b, a));
    Random random = new Random(w * 31L + h);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.getRaster().setSample(x, y, 0, random.nextInt(16));
      }
    }
    return image;
  }

  private static byte[] progressive(BufferedImage image, String format) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName(format).next();
    ImageWriteParam param = writer.getDefaultWriteParam();
    param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
    return write(writer, image, param);
  }

  private static byte[] rle(BufferedImage image, String compression) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("bmp").next();
    ImageWriteParam param = writer.getDefaultWriteParam();
    param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    param.setCompressionType(compression);
    return write(writer, image, param);
  }

  private static byte[] write(ImageWriter writer, BufferedImage image, ImageWriteParam param) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] bytes = new byte[n];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static byte[] randomBits(int pixels, long seed) {
    Random random = new Random(seed);
    byte[] bits = new byte[pixels];
    for (int i = 0; i < pixels; i++) {
      bits[i] = (byte) random.nextInt(2);
    }
    return bits;
  }
}
