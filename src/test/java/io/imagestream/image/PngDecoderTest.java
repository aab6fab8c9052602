package io.imagestream.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The built-in PNG decoder against ImageIO's on the same bytes, and what it leaves to ImageIO. */
class PngDecoderTest {
  private static final int GREY = 0;
  private static final int RGB = 2;
  private static final int GREY_ALPHA = 4;
  private static final int RGBA = 6;
  private static final int[] COLOUR_TYPES = {GREY, RGB, GREY_ALPHA, RGBA};
  /** -1: a filter chosen at random for each row. */
  private static final int[] FILTERS = {0, 1, 2, 3, 4, -1};

  @AfterEach
  void backToTheDefault() {
    ImagePreprocessor.useBuiltinPng(true);
  }

  @Test
  void everyColourTypeAndFilterGivesImageIosSamples() throws Exception {
    Random random = new Random(42);
    int images = 0;
    for (int colourType : COLOUR_TYPES) {
      for (int filter : FILTERS) {
        for (int round = 0; round < 4; round++) {
          int width = 1 + random.nextInt(70);
          int height = 1 + random.nextInt(70);
          int idatChunk = round % 2 == 0 ? Integer.MAX_VALUE : 1 + random.nextInt(40); // one IDAT, or many small
          byte[] png = png(width, height, colourType, smoothNoise(width, height, colourType, random), filter,
              idatChunk, random);
          for (int step = 1; step <= 4; step++) {
            String what = "colour type " + colourType + ", filter " + filter + ", " + width + "x" + height
                + ", IDAT chunks of " + idatChunk + ", every " + step + "th pixel";
            DecodedImage builtin = PngDecoder.decode(png, step);
            assertNotNull(builtin, what);
            DecodedImage imageIo = viaImageIo(png, step);
            assertEquals(imageIo.width(), builtin.width(), what);
            assertEquals(imageIo.height(), builtin.height(), what);
            assertEquals(imageIo.channels(), builtin.channels(), what);
            assertArrayEquals(imageIo.samples(), builtin.samples(), what);
          }
          images++;
        }
      }
    }
    assertEquals(COLOUR_TYPES.length * FILTERS.length * 4, images);
  }

  @Test
  void pngsWrittenByImageIoDecodeToTheSameSamples() throws Exception {
    for (int type : new int[] {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_3BYTE_BGR,
        BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_INT_RGB}) {
      BufferedImage image = new BufferedImage(45, 31, type);
      Random random = new Random(type);
      for (int y = 0; y < image.getHeight(); y++) {
        for (int x = 0; x < image.getWidth(); x++) {
          image.setRGB(x, y, (random.nextInt(64) << 24) | ((x * 5) << 16) | ((y * 7) << 8) | random.nextInt(256));
        }
      }
      byte[] png = TestImages.encode(image, "png");
      DecodedImage builtin = PngDecoder.decode(png, 1);
      assertNotNull(builtin, "image type " + type);
      assertArrayEquals(viaImageIo(png, 1).samples(), builtin.samples(), "image type " + type);
    }
  }

  @Test
  void thePreprocessorGivesTheSamePixelsEitherWay() throws Exception {
    Random random = new Random(7);
    byte[] grey = png(28, 28, GREY, smoothNoise(28, 28, GREY, random), -1, Integer.MAX_VALUE, random);
    byte[] photo = png(300, 200, RGBA, smoothNoise(300, 200, RGBA, random), -1, 8192, random);
    for (InputShape shape : new InputShape[] {new InputShape(28, 28, 1), new InputShape(64, 64, 3)}) {
      for (byte[] png : new byte[][] {grey, photo}) {
        ImagePreprocessor preprocessor = new ImagePreprocessor(shape, 40_000_000L, 1 << 24, Interpolation.BILINEAR);
        ImagePreprocessor.useBuiltinPng(false);
        byte[] viaImageIo = preprocessor.toPixels(png);
        ImagePreprocessor.useBuiltinPng(true);
        assertArrayEquals(viaImageIo, preprocessor.toPixels(png), shape + ", " + png.length + " bytes");
      }
    }
  }

  @Test
  void leavesToImageIoWhatItDoesNotHandle() throws Exception {
    Random random = new Random(3);
    byte[] good = png(16, 16, RGB, smoothNoise(16, 16, RGB, random), 0, Integer.MAX_VALUE, random);
    assertNotNull(PngDecoder.decode(good, 1));
    assertNull(PngDecoder.decode(withIhdrByte(good, 8, 16), 1), "16-bit");
    assertNull(PngDecoder.decode(withIhdrByte(good, 9, 3), 1), "palette");
    assertNull(PngDecoder.decode(withIhdrByte(good, 12, 1), 1), "interlaced");
    BufferedImage palette = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_INDEXED);
    assertNull(PngDecoder.decode(TestImages.encode(palette, "png"), 1), "ImageIO's own palette PNG");

    byte[] unknownFilter = png(16, 16, RGB, smoothNoise(16, 16, RGB, random), 5, Integer.MAX_VALUE, random);
    assertNull(PngDecoder.decode(unknownFilter, 1), "filter type 5");
    byte[] truncated = Arrays.copyOf(good, good.length - 12 - 4 - 20); // IEND, the IDAT's CRC and 20 data bytes
    assertNull(PngDecoder.decode(truncated, 1), "truncated inside IDAT");
    byte[] garbage = good.clone();
    int idatData = indexOf(good, "IDAT") + 4;
    for (int i = idatData; i < idatData + 8; i++) {
      garbage[i] = (byte) 0xFF;
    }
    assertNull(PngDecoder.decode(garbage, 1), "not zlib data");
  }

  @Test
  void whatItLeavesToImageIoIsRefusedAsBefore() {
    Random random = new Random(5);
    byte[] good = png(16, 16, RGB, smoothNoise(16, 16, RGB, random), 0, Integer.MAX_VALUE, random);
    byte[] truncated = Arrays.copyOf(good, good.length - 12 - 4 - 20);
    ImagePreprocessor preprocessor =
        new ImagePreprocessor(new InputShape(16, 16, 3), 40_000_000L, 1 << 24, Interpolation.BILINEAR);
    ImageRejectedException builtin = assertThrows(ImageRejectedException.class, () -> preprocessor.toPixels(truncated));
    ImagePreprocessor.useBuiltinPng(false);
    ImageRejectedException imageIo = assertThrows(ImageRejectedException.class, () -> preprocessor.toPixels(truncated));
    assertEquals(imageIo.reason(), builtin.reason());
    assertEquals(imageIo.getMessage(), builtin.getMessage());
  }

  @Test
  void aSmallPngCostsLittleMoreThanItsSamples() throws Exception {
    Random random = new Random(11);
    byte[] png = png(28, 28, GREY, smoothNoise(28, 28, GREY, random), -1, Integer.MAX_VALUE, random);
    ImageDecoder decoder = new ImageDecoder(40_000_000L, 28, 28);
    for (int i = 0; i < 2_000; i++) { // the thread's buffers, and the JIT
      decoder.decode(png, ImageFormat.PNG);
    }
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    int count = 1_000;
    long before = threads.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < count; i++) {
      decoder.decode(png, ImageFormat.PNG);
    }
    long perImage = (threads.getCurrentThreadAllocatedBytes() - before) / count;
    // the 784 samples and their record; ImageIO's reader allocated ~32 KB per image here
    assertTrue(perImage < 2_048, perImage + " bytes allocated per 28x28 PNG");
  }

  /** ImageIO's samples, subsampled as ImageDecoder asks it to. */
  private static DecodedImage viaImageIo(byte[] png, int step) throws Exception {
    ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
    try (ImageInputStream input = new ByteArrayImageInputStream(png)) {
      reader.setInput(input);
      ImageReadParam param = reader.getDefaultReadParam();
      if (step > 1) {
        param.setSourceSubsampling(step, step, 0, 0);
      }
      return ImageSamples.of(reader.read(0, param));
    } finally {
      reader.dispose();
    }
  }

  /** Gradients plus noise: rows whose filters all have something to predict. */
  private static byte[] smoothNoise(int width, int height, int colourType, Random random) {
    int bpp = bytesPerPixel(colourType);
    byte[] samples = new byte[width * height * bpp];
    for (int y = 0, i = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        for (int c = 0; c < bpp; c++, i++) {
          samples[i] = (byte) (x * 3 + y * 5 + c * 40 + random.nextInt(24));
        }
      }
    }
    return samples;
  }

  private static int bytesPerPixel(int colourType) {
    return switch (colourType) {
      case GREY -> 1;
      case GREY_ALPHA -> 2;
      case RGB -> 3;
      default -> 4;
    };
  }

  /**
   * An 8-bit PNG of the given samples, each row filtered with {@code filter} (-1: one at random per row; 5: an
   * invalid one), its zlib data split into IDAT chunks of at most {@code idatChunk} bytes.
   */
  static byte[] png(int width, int height, int colourType, byte[] samples, int filter, int idatChunk,
                    Random random) {
    int bpp = bytesPerPixel(colourType);
    int rowBytes = width * bpp;
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    byte[] above = new byte[rowBytes];
    for (int y = 0; y < height; y++) {
      byte[] row = Arrays.copyOfRange(samples, y * rowBytes, (y + 1) * rowBytes);
      int type = filter >= 0 ? filter : random.nextInt(5);
      raw.write(type);
      for (int i = 0; i < rowBytes; i++) {
        int left = i >= bpp ? row[i - bpp] & 0xFF : 0;
        int up = above[i] & 0xFF;
        int upLeft = i >= bpp ? above[i - bpp] & 0xFF : 0;
        int predicted = switch (type) {
          case 1 -> left;
          case 2 -> up;
          case 3 -> (left + up) >>> 1;
          case 4 -> paeth(left, up, upLeft);
          default -> 0;
        };
        raw.write((row[i] & 0xFF) - predicted);
      }
      above = row;
    }
    Deflater deflater = new Deflater();
    deflater.setInput(raw.toByteArray());
    deflater.finish();
    ByteArrayOutputStream zlib = new ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    while (!deflater.finished()) {
      zlib.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    byte[] data = zlib.toByteArray();

    ByteArrayOutputStream png = new ByteArrayOutputStream();
    png.writeBytes(TestImages.PNG_SIGNATURE);
    png.writeBytes(TestImages.pngChunk("IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height)
        .put((byte) 8).put((byte) colourType).put((byte) 0).put((byte) 0).put((byte) 0).array()));
    png.writeBytes(TestImages.pngChunk("tEXt", "Comment\0before the data".getBytes(StandardCharsets.ISO_8859_1)));
    for (int at = 0; at < data.length; at += idatChunk) {
      int end = (int) Math.min(data.length, (long) at + idatChunk);
      png.writeBytes(TestImages.pngChunk("IDAT", Arrays.copyOfRange(data, at, end)));
    }
    png.writeBytes(TestImages.pngChunk("IEND", new byte[0]));
    return png.toByteArray();
  }

  private static int paeth(int left, int up, int upLeft) {
    int p = left + up - upLeft;
    int pa = Math.abs(p - left);
    int pb = Math.abs(p - up);
    int pc = Math.abs(p - upLeft);
    return pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
  }

  private static int indexOf(byte[] png, String type) {
    byte[] wanted = type.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i + wanted.length <= png.length; i++) {
      if (Arrays.equals(png, i, i + wanted.length, wanted, 0, wanted.length)) {
        return i;
      }
    }
    throw new AssertionError("no " + type + " chunk");
  }

  /** The PNG with one IHDR data byte changed, and IHDR's CRC made right again. */
  private static byte[] withIhdrByte(byte[] png, int index, int value) {
    byte[] changed = png.clone();
    changed[16 + index] = (byte) value;
    CRC32 crc = new CRC32();
    crc.update(changed, 12, 17);
    ByteBuffer.wrap(changed).putInt(29, (int) crc.getValue());
    return changed;
  }
}
