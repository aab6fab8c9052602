package io.imagestream.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.Color;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Inputs that must not become pixels, and the limits that protect the service from hostile ones. */
class ImageRejectionTest {

  private static final long MAX_PIXELS = 40_000_000L;
  private static final int MAX_BYTES = 1024 * 1024;

  private final ImagePreprocessor preprocessor =
      new ImagePreprocessor(InputShape.parse("64x64x3"), MAX_PIXELS, MAX_BYTES, Interpolation.BILINEAR);

  private ImageRejectedException reject(byte[] input) {
    return assertThrows(ImageRejectedException.class, () -> preprocessor.toPixels(input));
  }

  private void assertRejected(RejectReason expected, byte[] input) {
    ImageRejectedException e = reject(input);
    assertEquals(expected, e.reason(), e.getMessage());
  }

  @Test
  void nullAndEmptyAreEmpty() {
    assertRejected(RejectReason.EMPTY, null);
    assertRejected(RejectReason.EMPTY, new byte[0]);
  }

  @Test
  void tooManyBytesIsCheckedBeforeAnythingElse() {
    byte[] garbage = new byte[MAX_BYTES + 1]; // would be UNDECODABLE if the content were looked at
    ImageRejectedException e = reject(garbage);
    assertEquals(RejectReason.TOO_LARGE, e.reason());
    assertEquals("image is 1048577 bytes, over the limit of 1048576 bytes", e.getMessage());
  }

  @Test
  void aValidImageOverTheByteLimitIsTooLarge() throws Exception {
    byte[] png = TestImages.noise("png", 100, 100, 1);
    ImagePreprocessor small = new ImagePreprocessor(InputShape.parse("8x8x3"), MAX_PIXELS, png.length - 1,
        Interpolation.BILINEAR);
    assertEquals(RejectReason.TOO_LARGE,
        assertThrows(ImageRejectedException.class, () -> small.toPixels(png)).reason());
    ImagePreprocessor exact = new ImagePreprocessor(InputShape.parse("8x8x3"), MAX_PIXELS, png.length,
        Interpolation.BILINEAR);
    assertEquals(8 * 8 * 3, exact.toPixels(png).length);
  }

  @Test
  void pngBombIsRefusedFromItsHeaderWithAReadableMessage() {
    ImageRejectedException e = reject(TestImages.pngBombHeader(60_000, 60_000));
    assertEquals(RejectReason.TOO_LARGE, e.reason());
    assertEquals("image is 60000x60000 = 3600000000 pixels, over imagestream.decode.max.pixels=40000000",
        e.getMessage());
  }

  @Test
  void pngBombsAreRefusedFastAndWithoutAllocatingThePixels() {
    byte[] bomb = TestImages.pngBombHeader(60_000, 60_000);
    reject(bomb); // warm up
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
    long start = System.nanoTime();
    for (int i = 0; i < 1000; i++) {
      assertEquals(RejectReason.TOO_LARGE, reject(bomb).reason());
    }
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    long allocatedPerCheck = (threads.getCurrentThreadAllocatedBytes() - allocatedBefore) / 1000;
    assertTrue(elapsedMs < 2000, "1000 bomb checks took " + elapsedMs + " ms");
    // Decoding would need 60000 * 60000 * 3 bytes = 10.8 GB; the header check needs a few kilobytes.
    assertTrue(allocatedPerCheck < 256 * 1024, "allocated " + allocatedPerCheck + " bytes per check");
  }

  @Test
  void pixelLimitIsInclusive() throws Exception {
    ImagePreprocessor limited =
        new ImagePreprocessor(InputShape.parse("8x8x3"), 100 * 50, MAX_BYTES, Interpolation.BILINEAR);
    assertEquals(8 * 8 * 3, limited.toPixels(TestImages.solid("png", 100, 50, Color.RED)).length);
    ImageRejectedException e = assertThrows(ImageRejectedException.class,
        () -> limited.toPixels(TestImages.solid("png", 101, 50, Color.RED)));
    assertEquals(RejectReason.TOO_LARGE, e.reason());
    assertEquals("image is 101x50 = 5050 pixels, over imagestream.decode.max.pixels=5000", e.getMessage());
  }

  @Test
  void pixelLimitAppliesToEveryFormat() {
    ImagePreprocessor limited =
        new ImagePreprocessor(InputShape.parse("8x8x3"), 999, MAX_BYTES, Interpolation.BILINEAR);
    for (String format : List.of("jpeg", "png", "gif", "bmp")) {
      ImageRejectedException e = assertThrows(ImageRejectedException.class,
          () -> limited.toPixels(TestImages.solid(format, 40, 25, Color.GREEN)), format);
      assertEquals(RejectReason.TOO_LARGE, e.reason(), format);
      assertTrue(e.getMessage().startsWith("image is 40x25 = 1000 pixels"), e.getMessage());
    }
  }

  @Test
  void truncatedPngIsUndecodable() {
    byte[] png = TestImages.noise("png", 64, 64, 3);
    assertRejected(RejectReason.UNDECODABLE, Arrays.copyOf(png, png.length / 2));
  }

  @Test
  void jpegHeaderOnlyIsUndecodable() {
    assertRejected(RejectReason.UNDECODABLE, Arrays.copyOf(TestImages.noise("jpeg", 64, 64, 3), 20));
  }

  @Test
  void jpegCutInsideItsImageDataIsUndecodable() {
    // ImageIO would return the image with the missing part grey, and only warn.
    byte[] jpeg = TestImages.noise("jpeg", 64, 64, 3);
    ImageRejectedException e = reject(Arrays.copyOf(jpeg, jpeg.length * 3 / 4));
    assertEquals(RejectReason.UNDECODABLE, e.reason());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void pngWithCorruptHeaderChecksumIsUndecodable() {
    byte[] png = TestImages.solid("png", 10, 10, Color.RED);
    png[30] ^= 1; // inside IHDR's CRC
    ImageRejectedException e = reject(png);
    assertEquals(RejectReason.UNDECODABLE, e.reason());
    assertTrue(e.getMessage().contains("IHDR"), e.getMessage());
  }

  @Test
  void randomBytesAreUndecodable() {
    Random random = new Random(1234);
    for (int length : new int[] {1, 2, 3, 8, 100, 10_000}) {
      byte[] bytes = new byte[length];
      random.nextBytes(bytes);
      bytes[0] = 0x11; // no magic starts with 0x11
      assertRejected(RejectReason.UNDECODABLE, bytes);
    }
  }

  @Test
  void textIsUndecodableAndTheMessageShowsItsFirstBytes() {
    ImageRejectedException e = reject("hello world".getBytes(StandardCharsets.US_ASCII));
    assertEquals(RejectReason.UNDECODABLE, e.reason());
    assertEquals("not a recognised image (supported: JPEG, PNG, GIF, BMP); it starts with"
        + " 68 65 6c 6c 6f 20 77 6f ...", e.getMessage());
  }

  @Test
  void webpIsUnsupportedAndSaysSo() {
    byte[] webp = TestImages.concat("RIFF".getBytes(StandardCharsets.US_ASCII), new byte[] {0x24, 0, 0, 0},
        "WEBPVP8L".getBytes(StandardCharsets.US_ASCII), new byte[30]);
    ImageRejectedException e = reject(webp);
    assertEquals(RejectReason.UNSUPPORTED_FORMAT, e.reason());
    assertEquals("WebP images are not supported (supported: JPEG, PNG, GIF, BMP)", e.getMessage());
  }

  @Test
  void tiffIsUnsupportedEvenThoughTheJdkCouldReadIt() {
    // The JDK has a TIFF reader, but the service's contract is JPEG, PNG, GIF and BMP.
    byte[] tiff = TestImages.encode(
        new java.awt.image.BufferedImage(4, 4, java.awt.image.BufferedImage.TYPE_INT_RGB), "tiff");
    ImageRejectedException e = reject(tiff);
    assertEquals(RejectReason.UNSUPPORTED_FORMAT, e.reason());
    assertTrue(e.getMessage().startsWith("TIFF"), e.getMessage());
  }

  @Test
  void rejectionsCarryTheDecodersExceptionAsCause() {
    byte[] png = TestImages.noise("png", 64, 64, 3);
    ImageRejectedException e = reject(Arrays.copyOf(png, png.length / 2));
    assertTrue(e.getMessage().startsWith("cannot decode PNG: "), e.getMessage());
    assertTrue(e.getCause() != null);
  }

  /**
   * Seeded fuzzing: valid images of every format with a few bytes changed or cut off must give pixels of the
   * right length or an ImageRejectedException, and nothing else (no ImageIO runtime exception escapes).
   */
  @Test
  void corruptedImagesNeverThrowAnythingElse() {
    Random random = new Random(20261122);
    List<byte[]> seeds = List.of(TestImages.noise("jpeg", 40, 30, 1), TestImages.noise("png", 40, 30, 2),
        TestImages.noise("gif", 40, 30, 3), TestImages.noise("bmp", 40, 30, 4),
        TestImages.solid("png", 30, 40, new Color(1, 2, 3, 4)), TestImages.halves("gif", 33, 17),
        TestImages.cmykJpeg(24, 24, new int[] {10, 20, 30, 40}, 2));
    int rejected = 0;
    for (int i = 0; i < 2000; i++) {
      byte[] input = seeds.get(i % seeds.size()).clone();
      int changes = 1 + random.nextInt(8);
      for (int c = 0; c < changes; c++) {
        int at = 2 + random.nextInt(input.length - 2); // keep the magic, so the decoder really runs
        input[at] = (byte) random.nextInt(256);
      }
      if (random.nextInt(4) == 0) {
        input = Arrays.copyOf(input, 2 + random.nextInt(input.length - 2));
      }
      try {
        assertEquals(64 * 64 * 3, preprocessor.toPixels(input).length);
      } catch (ImageRejectedException e) {
        rejected++;
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
      } catch (RuntimeException e) {
        fail("input " + i + " threw " + e, e);
      }
    }
    assertTrue(rejected > 100, "only " + rejected + " of 2000 corrupted inputs were rejected");
  }
}
