package io.imagestream.console;

import io.imagestream.image.ImageFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * Encoded image bytes the console may hand to a browser: a format the image package recognises by its magic bytes
 * (the content type comes from there, never from a header or a name) and no more bytes than the decode limit.
 */
record ImageBytes(byte[] bytes, String contentType) {

  /** The bytes as a servable image, or empty when they are too large or not a recognised image format. */
  static Optional<ImageBytes> of(byte[] bytes, long maxBytes) {
    if (bytes == null || bytes.length == 0 || bytes.length > maxBytes) {
      return Optional.empty();
    }
    return ImageFormat.sniff(bytes).map(f -> new ImageBytes(bytes, "image/" + f.name().toLowerCase(Locale.ROOT)));
  }

  int size() {
    return bytes.length;
  }
}
