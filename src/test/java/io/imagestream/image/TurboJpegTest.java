package io.imagestream.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.Color;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The libjpeg-turbo path against ImageIO's on the same bytes. Skipped where libturbojpeg is not installed (.ci/run
 * installs it); {@link #withoutTheLibraryImageIoDecodesAsBefore} runs everywhere.
 */
class TurboJpegTest {
  private static final InputShape RGB_64 = new InputShape(64, 64, 3);

  @AfterEach
  void backToTheDefault() {
    ImagePreprocessor.useNativeJpeg(true);
  }

  private static byte[] pixels(byte[] jpeg, InputShape shape, boolean nativeJpeg) throws ImageRejectedException {
    ImagePreprocessor.useNativeJpeg(nativeJpeg);
    return new ImagePreprocessor(shape, 40_000_000L, 1 << 24, Interpolation.BILINEAR).toPixels(jpeg);
  }

  @Test
  void scalesToTheSmallestEighthThatKeepsTwiceTheTarget() {
    assertEquals(8, TurboJpeg.scaleEighths(64, 64, 128, 128)); // smaller than twice the target: full size
    assertEquals(3, TurboJpeg.scaleEighths(500, 375, 128, 128)); // 188x141 (1/4 would be 125x94)
    assertEquals(1, TurboJpeg.scaleEighths(4000, 3000, 128, 128)); // 500x375
    assertEquals(141, TurboJpeg.scaled(375, 3)); // rounded up, as TJSCALED
  }

  @Test
  void aFullSizeJpegDecodesToTheSamePixelsAsImageIo() throws Exception {
    assumeTrue(TurboJpeg.available(), "libturbojpeg not installed");
    for (long seed = 1; seed <= 5; seed++) {
      byte[] jpeg = TestImages.noise("jpeg", 64, 64, seed);
      byte[] viaImageIo = pixels(jpeg, RGB_64, false);
      byte[] viaTurbo = pixels(jpeg, RGB_64, true);
      // both are libjpeg's accurate integer IDCT with fancy upsampling: libjpeg-turbo matches libjpeg 6b
      assertTrue(maxDifference(viaImageIo, viaTurbo) <= 1, "seed " + seed + ": max difference "
          + maxDifference(viaImageIo, viaTurbo));
    }
  }

  @Test
  void aGreyJpegStaysOneChannelUntilTheShapeSaysOtherwise() throws Exception {
    assumeTrue(TurboJpeg.available(), "libturbojpeg not installed");
    byte[] grey = new byte[32 * 32];
    Arrays.fill(grey, (byte) 200);
    byte[] jpeg = TestImages.grey("jpeg", grey, 32, 32);
    TurboJpeg.Header header = TurboJpeg.header(jpeg);
    assertEquals(TurboJpeg.TJCS_GRAY, header.colorspace());
    DecodedImage image = TurboJpeg.decode(jpeg, header, 8);
    assertEquals(1, image.channels());
    assertEquals(32 * 32, image.samples().length);
    assertArrayEquals(pixels(jpeg, new InputShape(32, 32, 3), false), pixels(jpeg, new InputShape(32, 32, 3), true));
  }

  @Test
  void aPhotoScaledWhileDecodingGivesNearlyTheSameInputAsImageIosSubsampling() throws Exception {
    assumeTrue(TurboJpeg.available(), "libturbojpeg not installed");
    byte[] jpeg = TestImages.quadrants("jpeg", 500, 375);
    byte[] viaImageIo = pixels(jpeg, RGB_64, false);
    byte[] viaTurbo = pixels(jpeg, RGB_64, true);
    // the same picture: four flat quadrants; only the edges between them differ (DCT scaling averages every pixel,
    // subsampling drops some)
    assertTrue(meanDifference(viaImageIo, viaTurbo) < 2.0, "mean difference " + meanDifference(viaImageIo, viaTurbo));
  }

  @Test
  void aTruncatedJpegIsRefusedAsOnTheImageIoPath() throws Exception {
    assumeTrue(TurboJpeg.available(), "libturbojpeg not installed");
    byte[] jpeg = TestImages.noise("jpeg", 256, 256, 7);
    byte[] truncated = Arrays.copyOf(jpeg, jpeg.length / 2);
    ImageRejectedException e = assertThrows(ImageRejectedException.class, () -> pixels(truncated, RGB_64, true));
    assertEquals(RejectReason.UNDECODABLE, e.reason());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    ImageRejectedException garbage = assertThrows(ImageRejectedException.class,
        () -> pixels(TestImages.concat(Arrays.copyOf(jpeg, 200), new byte[300]), RGB_64, true));
    assertEquals(RejectReason.UNDECODABLE, garbage.reason());
    // the thread's decompressor is replaced after a failure: the next valid image decodes
    assertEquals(64 * 64 * 3, pixels(TestImages.noise("jpeg", 64, 64, 8), RGB_64, true).length);
  }

  @Test
  void cmykJpegsStillGoThroughImageIosConversion() throws Exception {
    assumeTrue(TurboJpeg.available(), "libturbojpeg not installed");
    byte[] cmyk = TestImages.cmykJpeg(16, 16, new int[] {0, 255, 255, 0}, 2);
    assertTrue(TurboJpeg.header(cmyk).cmyk());
    assertArrayEquals(pixels(cmyk, new InputShape(16, 16, 3), false), pixels(cmyk, new InputShape(16, 16, 3), true));
  }

  @Test
  void withoutTheLibraryImageIoDecodesAsBefore() throws Exception {
    byte[] jpeg = TestImages.solid("jpeg", 64, 64, new Color(10, 200, 30));
    ImagePreprocessor.useNativeJpeg(false);
    assertTrue(ImagePreprocessor.jpegDecoder().startsWith("ImageIO"), ImagePreprocessor.jpegDecoder());
    byte[] out = pixels(jpeg, RGB_64, false);
    assertEquals(64 * 64 * 3, out.length);
    assertTrue(Math.abs((out[1] & 0xFF) - 200) <= 3, "green " + (out[1] & 0xFF));
  }

  private static int maxDifference(byte[] a, byte[] b) {
    assertEquals(a.length, b.length);
    int max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs((a[i] & 0xFF) - (b[i] & 0xFF)));
    }
    return max;
  }

  private static double meanDifference(byte[] a, byte[] b) {
    assertEquals(a.length, b.length);
    long sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += Math.abs((a[i] & 0xFF) - (b[i] & 0xFF));
    }
    return sum / (double) a.length;
  }
}
