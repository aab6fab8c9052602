package io.imagestream.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageFormatTest {

  @ParameterizedTest
  @CsvSource({"jpeg,JPEG", "png,PNG", "gif,GIF", "bmp,BMP"})
  void sniffsWhatImageIoWrites(String writerFormat, ImageFormat expected) {
    assertEquals(Optional.of(expected), ImageFormat.sniff(TestImages.solid(writerFormat, 3, 3, Color.RED)));
  }

  @Test
  void sniffsBothGifVersions() {
    assertEquals(Optional.of(ImageFormat.GIF), ImageFormat.sniff(ascii("GIF87a....")));
    assertEquals(Optional.of(ImageFormat.GIF), ImageFormat.sniff(ascii("GIF89a....")));
    assertEquals(Optional.empty(), ImageFormat.sniff(ascii("GIF88a....")));
  }

  @Test
  void needsTheWholeMagic() {
    assertEquals(Optional.empty(), ImageFormat.sniff(TestImages.bytes(0xFF, 0xD8)));
    assertEquals(Optional.of(ImageFormat.JPEG), ImageFormat.sniff(TestImages.bytes(0xFF, 0xD8, 0xFF)));
    assertEquals(Optional.empty(), ImageFormat.sniff(TestImages.bytes(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A)));
    assertEquals(Optional.empty(), ImageFormat.sniff(ascii("B")));
    assertEquals(Optional.of(ImageFormat.BMP), ImageFormat.sniff(ascii("BM")));
  }

  @Test
  void nothingForNullEmptyAndOtherBytes() {
    assertEquals(Optional.empty(), ImageFormat.sniff(null));
    assertEquals(Optional.empty(), ImageFormat.sniff(new byte[0]));
    assertEquals(Optional.empty(), ImageFormat.sniff(ascii("{\"json\": true}")));
    assertEquals(Optional.empty(), ImageFormat.sniff(ascii("II*\0 tiff")));
  }

  @Test
  void foreignFormatsAreNamed() {
    assertEquals(Optional.of("WebP"), ForeignFormat.identify(ascii("RIFF\0\0\0\0WEBPVP8 ")));
    assertEquals(Optional.empty(), ForeignFormat.identify(ascii("RIFF\0\0\0\0WAVEfmt "))); // audio, not image
    assertEquals(Optional.of("TIFF"), ForeignFormat.identify(ascii("MM\0*\0\0\0\u0008")));
    assertEquals(Optional.of("HEIF/HEIC"), ForeignFormat.identify(ascii("\0\0\0\u0018ftypmif1")));
    assertEquals(Optional.of("AVIF"), ForeignFormat.identify(ascii("\0\0\0\u0018ftypavif")));
    assertEquals(Optional.empty(), ForeignFormat.identify(ascii("\0\0\0\u0018ftypisom"))); // mp4 video
    assertEquals(Optional.of("JPEG 2000"), ForeignFormat.identify(TestImages.bytes(0xFF, 0x4F, 0xFF, 0x51)));
    assertEquals(Optional.of("PSD"), ForeignFormat.identify(ascii("8BPS\0\u0001")));
    assertEquals(Optional.of("ICO"), ForeignFormat.identify(TestImages.bytes(0, 0, 1, 0, 1, 0)));
    assertEquals(Optional.empty(), ForeignFormat.identify(new byte[0]));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
