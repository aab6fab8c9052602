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

  /**
   * ImageIO's PNG reader allocates an 8 KB buffer for every IDAT chunk, so a 1 MB file of 100,000 empty chunks made
   * it churn 850 MB (found by DecoderFuzzTest). Encoders write chunks of 8 KB or more: a PNG within the byte limit
   * has a few thousand at most.
   */
  static final int MAX_CHUNKS = 20_000;
  private static final byte[] IEND = Magic.ascii("IEND");

  private PngHeader() {}

  /** Walks the chunk lengths only (no CRCs) and refuses a PNG made of absurdly many chunks. */
  static void checkChunkCount(byte[] png) throws ImageRejectedException {
    long pos = IHDR_START;
    for (int count = 1; pos + 8 <= png.length; count++) {
      if (count > MAX_CHUNKS) {
        throw undecodable("PNG has more than " + MAX_CHUNKS + " chunks; refused to bound the decoding work");
      }
      if (Magic.startsWith(png, (int) pos + 4, IEND)) {
        return;
      }
      pos += 12 + (readInt(png, (int) pos) & 0xFFFFFFFFL);
    }
  }

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

  /** A big-endian 32-bit value, as PNG stores lengths, sizes and chunk types. */
  static int readInt(byte[] b, int at) {
    return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
  }

  private static ImageRejectedException undecodable(String message) {
    return new ImageRejectedException(RejectReason.UNDECODABLE, message);
  }
}
