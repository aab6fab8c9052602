package io.imagestream.image;

import java.util.zip.CRC32;

/**
 * Checks the PNG IHDR chunk's checksum. ImageIO's PNG reader ignores CRCs, and the pixel limit is decided on
 * IHDR's width and height, so a corrupted IHDR must not be trusted (Pillow refuses it too).
 */
final class PngHeader {

  private static final int IHDR_START = 8; // after the signature
  private static final int IHDR_DATA_LENGTH = 13;
  private static final byte[] IHDR = Magic.ascii("IHDR");

  private PngHeader() {}

  static void checkIhdr(byte[] png) throws ImageRejectedException {
    int typeStart = IHDR_START + 4;
    int crcStart = typeStart + 4 + IHDR_DATA_LENGTH;
    if (png.length < crcStart + 4) {
      throw undecodable("PNG ends inside its header (" + png.length + " bytes)");
    }
    if (readInt(png, IHDR_START) != IHDR_DATA_LENGTH || !Magic.startsWith(png, typeStart, IHDR)) {
      throw undecodable("PNG does not start with a valid IHDR chunk");
    }
    CRC32 crc = new CRC32();
    crc.update(png, typeStart, 4 + IHDR_DATA_LENGTH);
    if (crc.getValue() != (readInt(png, crcStart) & 0xFFFFFFFFL)) {
      throw undecodable("PNG header is corrupt (IHDR checksum mismatch)");
    }
  }

  private static int readInt(byte[] b, int at) {
    return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
  }

  private static ImageRejectedException undecodable(String message) {
    return new ImageRejectedException(RejectReason.UNDECODABLE, message);
  }
}
