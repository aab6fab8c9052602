package io.imagestream.image;

/**
 * Checks that an uncompressed BMP holds all the pixel rows its header declares. ImageIO's BMP reader fills what is
 * missing silently when it subsamples, so a truncated file would otherwise be classified as if it were whole.
 */
final class BmpHeader {
  private static final int INFO_HEADER_END = 34; // through biCompression
  private static final int BI_RGB = 0;
  private static final int BI_BITFIELDS = 3;

  private BmpHeader() {}

  static void checkComplete(byte[] bmp) throws ImageRejectedException {
    if (bmp.length < INFO_HEADER_END) {
      throw undecodable("BMP ends inside its header (" + bmp.length + " bytes)");
    }
    long pixelOffset = readIntLe(bmp, 10) & 0xFFFFFFFFL;
    int headerSize = readIntLe(bmp, 14);
    if (headerSize < 40) {
      return; // an old OS/2 header: let the decoder judge
    }
    long width = Math.abs((long) readIntLe(bmp, 18));
    long height = Math.abs((long) readIntLe(bmp, 22));
    int bitsPerPixel = (bmp[28] & 0xFF) | ((bmp[29] & 0xFF) << 8);
    int compression = readIntLe(bmp, 30);
    if (compression != BI_RGB && compression != BI_BITFIELDS) {
      return; // run-length encoded: its size says nothing about the row count
    }
    long stride = (bitsPerPixel * width + 31) / 32 * 4;
    long needed = pixelOffset + stride * height;
    if (bmp.length < needed) {
      throw undecodable("BMP data is truncated: " + bmp.length + " bytes, the header needs " + needed);
    }
  }

  private static int readIntLe(byte[] b, int at) {
    return (b[at] & 0xFF) | ((b[at + 1] & 0xFF) << 8) | ((b[at + 2] & 0xFF) << 16) | ((b[at + 3] & 0xFF) << 24);
  }

  private static ImageRejectedException undecodable(String message) {
    return new ImageRejectedException(RejectReason.UNDECODABLE, message);
  }
}
