package io.imagestream.image;

import java.util.Optional;

/** The encoded formats this service decodes, recognised by their leading "magic" bytes. */
public enum ImageFormat {
  JPEG("jpeg", bytes(0xFF, 0xD8, 0xFF)),
  PNG("png", bytes(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)),
  GIF("gif", ascii("GIF87a"), ascii("GIF89a")),
  BMP("bmp", ascii("BM"));

  private final String imageIoName;
  private final byte[][] magics;

  ImageFormat(String imageIoName, byte[]... magics) {
    this.imageIoName = imageIoName;
    this.magics = magics;
  }

  /** The format whose magic bytes start {@code bytes}; empty for anything else (including null). */
  public static Optional<ImageFormat> sniff(byte[] bytes) {
    if (bytes != null) {
      for (ImageFormat format : values()) {
        for (byte[] magic : format.magics) {
          if (Magic.startsWith(bytes, 0, magic)) {
            return Optional.of(format);
          }
        }
      }
    }
    return Optional.empty();
  }

  /** The format name javax.imageio knows the reader by. */
  String imageIoName() {
    return imageIoName;
  }

  private static byte[] bytes(int... values) {
    return Magic.bytes(values);
  }

  private static byte[] ascii(String s) {
    return Magic.ascii(s);
  }
}
