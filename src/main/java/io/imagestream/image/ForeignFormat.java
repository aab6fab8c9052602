package io.imagestream.image;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Image formats we recognise but do not decode. Telling them apart from garbage lets a producer see
 * "UNSUPPORTED_FORMAT: WebP" instead of a vague "UNDECODABLE".
 */
final class ForeignFormat {

  private record Signature(String name, int offset, byte[] magic) {}

  private static final List<Signature> SIGNATURES = List.of(
      new Signature("TIFF", 0, Magic.bytes('I', 'I', 42, 0)),
      new Signature("TIFF", 0, Magic.bytes('M', 'M', 0, 42)),
      new Signature("BigTIFF", 0, Magic.bytes('I', 'I', 43, 0)),
      new Signature("BigTIFF", 0, Magic.bytes('M', 'M', 0, 43)),
      new Signature("ICO", 0, Magic.bytes(0, 0, 1, 0)),
      new Signature("CUR", 0, Magic.bytes(0, 0, 2, 0)),
      new Signature("JPEG 2000", 0, Magic.bytes(0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A)),
      new Signature("JPEG 2000", 0, Magic.bytes(0xFF, 0x4F, 0xFF, 0x51)),
      new Signature("JPEG XL", 0, Magic.bytes(0, 0, 0, 0x0C, 'J', 'X', 'L', ' ', 0x0D, 0x0A, 0x87, 0x0A)),
      new Signature("JPEG XL", 0, Magic.bytes(0xFF, 0x0A)),
      new Signature("PSD", 0, Magic.ascii("8BPS")));

  /** ISO-BMFF brands of still-image formats (HEIF/HEIC, AVIF); other brands (mp4 video, ...) are not images. */
  private static final Set<String> HEIF_BRANDS =
      Set.of("heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1");
  private static final Set<String> AVIF_BRANDS = Set.of("avif", "avis");

  private ForeignFormat() {}

  /** The name of the known-but-unsupported image format {@code bytes} starts with, if any. */
  static Optional<String> identify(byte[] bytes) {
    if (Magic.startsWith(bytes, 0, Magic.ascii("RIFF")) && Magic.startsWith(bytes, 8, Magic.ascii("WEBP"))) {
      return Optional.of("WebP");
    }
    if (Magic.startsWith(bytes, 4, Magic.ascii("ftyp")) && bytes.length >= 12) {
      String brand = new String(bytes, 8, 4, java.nio.charset.StandardCharsets.US_ASCII);
      if (HEIF_BRANDS.contains(brand)) {
        return Optional.of("HEIF/HEIC");
      }
      if (AVIF_BRANDS.contains(brand)) {
        return Optional.of("AVIF");
      }
    }
    for (Signature signature : SIGNATURES) {
      if (Magic.startsWith(bytes, signature.offset(), signature.magic())) {
        return Optional.of(signature.name());
      }
    }
    return Optional.empty();
  }
}
