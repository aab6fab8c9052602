package io.imagestream.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Regressions for what {@link DecoderFuzzTest} found. */
class DecoderRegressionTest {
  private final ImagePreprocessor preprocessor = new ImagePreprocessor(InputShape.parse("64x64x3"), 40_000_000L,
      16 << 20, Interpolation.BILINEAR);

  /**
   * A 776-byte progressive JPEG whose frame header claims 65500x610 (40 M pixels, just under the limit): the decoder
   * used to fill every missing pixel after the data ran out (about 1.7 s of CPU each); now it stops at the first
   * truncation warning. Measured in thread CPU time, which a busy machine does not inflate.
   */
  @Test
  void aTruncatedJpegLyingAboutItsSizeIsRefusedWithoutDecodingTheLie() {
    byte[] jpeg = TestImages.withJpegSize(FuzzSeeds.load().get("progressive.jpg"), 65_500, 610);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    preprocessorRejects(jpeg); // warm-up: class loading and JIT are not what is measured
    long cpuBefore = threads.getCurrentThreadCpuTime();
    ImageRejectedException e = preprocessorRejects(jpeg);
    long cpuNanos = threads.getCurrentThreadCpuTime() - cpuBefore;
    assertEquals(RejectReason.UNDECODABLE, e.reason());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    assertTrue(cpuNanos < 800_000_000L, "took " + cpuNanos / 1_000_000 + " ms of CPU");
  }

  @Test
  void aPngOfTooManyChunksIsRefusedBeforeDecoding() throws Exception {
    Map<String, byte[]> seeds = FuzzSeeds.load();
    byte[] png = seeds.get("rgb.png");
    byte[] empty = TestImages.pngChunk("IDAT", new byte[0]);
    byte[] many = DecoderFuzzTest.Mutations.splice(png, 33, 0, repeat(empty, PngHeader.MAX_CHUNKS));
    ImageRejectedException e = preprocessorRejects(many);
    assertEquals(RejectReason.UNDECODABLE, e.reason());
    assertTrue(e.getMessage().contains("chunks"), e.getMessage());

    // Within the limit, empty chunks are legal PNG and the image decodes.
    byte[] some = DecoderFuzzTest.Mutations.splice(png, 33, 0, repeat(empty, 1000));
    assertEquals(preprocessor.shape().pixelCount(), preprocessor.toPixels(some).length);
  }

  /**
   * ImageIO's PNG and BMP readers cost a few microseconds per row: a valid 16 KB PNG of 1x8,000,000 took 11 s and a
   * 1.2 KB RLE BMP claiming 1x4,000,000 took 15 s. A side over 65535 is now refused from the header.
   */
  @Test
  void tallImagesAreRefusedFromTheHeader() throws Exception {
    java.awt.image.BufferedImage tall = new java.awt.image.BufferedImage(1, 100_000,
        java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    byte[] png = TestImages.encode(tall, "png");
    assertTrue(png.length < 16_384, "a tiny file: " + png.length);
    ImageRejectedException e = preprocessorRejects(png);
    assertEquals(RejectReason.TOO_LARGE, e.reason());
    assertTrue(e.getMessage().contains("1x100000") && e.getMessage().contains("65535"), e.getMessage());

    byte[] rle = FuzzSeeds.load().get("rle8.bmp").clone();
    java.nio.ByteBuffer.wrap(rle).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(18, 1).putInt(22, 4_000_000);
    assertEquals(RejectReason.TOO_LARGE, preprocessorRejects(rle).reason());

    // At the limit an image still decodes, quickly: 65535 rows.
    byte[] atLimit = TestImages.encode(new java.awt.image.BufferedImage(1, ImageDecoder.MAX_SIDE,
        java.awt.image.BufferedImage.TYPE_BYTE_GRAY), "png");
    assertEquals(preprocessor.shape().pixelCount(), preprocessor.toPixels(atLimit).length);
  }

  private ImageRejectedException preprocessorRejects(byte[] bytes) {
    return assertThrows(ImageRejectedException.class, () -> preprocessor.toPixels(bytes));
  }

  private static byte[] repeat(byte[] bytes, int times) {
    byte[][] parts = new byte[times][];
    java.util.Arrays.fill(parts, bytes);
    return TestImages.concat(parts);
  }
}
