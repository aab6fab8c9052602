package io.imagestream.image;

import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decodes the PNGs that streams carry most (8-bit grey, grey + alpha, RGB and RGBA, not interlaced) with its thread's
 * own zlib inflater and row buffers, kept from one image to the next. ImageIO's PNG reader allocates ~32 KB of fresh
 * buffers for every image, however small (an 8 KiB buffer in each of two image streams, a BufferedInputStream, an
 * Inflater with native memory, metadata, a BufferedImage): at 8,700 28x28 PNGs/s that was half of the classifier's
 * allocation, and so half of its young GC pauses.
 *
 * <p>Everything else returns null, and goes to ImageIO as before: palette, 1/2/4/16-bit and interlaced images, and
 * any PNG this decoder finds malformed (unknown filter, bad zlib data, too few IDAT bytes), so refusals and their
 * messages stay ImageIO's. The samples are ImageIO's (the same rows, filters and subsampled pixels; alpha dropped,
 * as {@link ImageSamples} does), which {@code PngDecoderTest} checks image by image.
 */
final class PngDecoder {
  private static final int IHDR_DATA = 16; // the 8-byte signature, then IHDR's length and type
  private static final int AFTER_IHDR = IHDR_DATA + 13 + 4; // IHDR's data and CRC
  private static final int IDAT = 0x49444154;
  /** Rows wider than this are not kept for the thread's next image: a rare huge PNG must not pin its buffers. */
  private static final int MAX_KEPT_ROW_BYTES = 64 * 1024;

  private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

  /** One thread's inflater and two rows (the one being unfiltered and the one above it), each with its filter byte. */
  private static final class Buffers {
    final Inflater inflater = new Inflater();
    byte[] above = new byte[0];
    byte[] row = new byte[0];
  }

  private PngDecoder() {}

  static int width(byte[] png) {
    return PngHeader.readInt(png, IHDR_DATA);
  }

  static int height(byte[] png) {
    return PngHeader.readInt(png, IHDR_DATA + 4);
  }

  /**
   * The image's samples, taking every {@code subsampling}-th pixel of every {@code subsampling}-th row from the first
   * (as ImageIO's source subsampling does), or null for a PNG this decoder leaves to ImageIO. The IHDR chunk must
   * have been checked ({@link PngHeader#checkIhdr}), and the size against the limits.
   */
  static DecodedImage decode(byte[] png, int subsampling) {
    int width = width(png);
    int height = height(png);
    int bitDepth = png[IHDR_DATA + 8];
    int colourType = png[IHDR_DATA + 9];
    boolean plain = png[IHDR_DATA + 10] == 0 && png[IHDR_DATA + 11] == 0 && png[IHDR_DATA + 12] == 0;
    int bytesPerPixel = switch (colourType) {
      case 0 -> 1; // grey
      case 4 -> 2; // grey, alpha
      case 2 -> 3; // RGB
      case 6 -> 4; // RGBA
      default -> 0; // palette, or not a PNG colour type
    };
    if (bitDepth != 8 || bytesPerPixel == 0 || !plain || width < 1 || height < 1 || subsampling < 1) {
      return null;
    }
    int channels = colourType == 0 || colourType == 4 ? 1 : 3;
    int outWidth = (width + subsampling - 1) / subsampling;
    int outHeight = (height + subsampling - 1) / subsampling;
    long outSize = (long) outWidth * outHeight * channels;
    int idat = nextIdat(png, AFTER_IHDR, false);
    if (outSize > Integer.MAX_VALUE - 16 || idat < 0) {
      return null;
    }
    int rowBytes = width * bytesPerPixel; // sides are at most 65,535 (ImageDecoder.MAX_SIDE)
    Buffers buffers = BUFFERS.get();
    boolean keep = rowBytes <= MAX_KEPT_ROW_BYTES;
    byte[] above = keep ? (buffers.above = grown(buffers.above, rowBytes + 1)) : new byte[rowBytes + 1];
    byte[] row = keep ? (buffers.row = grown(buffers.row, rowBytes + 1)) : new byte[rowBytes + 1];
    Arrays.fill(above, 0, rowBytes + 1, (byte) 0); // the row above the first is all zeros
    Inflater inflater = buffers.inflater;
    inflater.reset();
    byte[] out = new byte[(int) outSize];
    try {
      inflater.setInput(png, idat + 8, PngHeader.readInt(png, idat));
      for (int y = 0, o = 0; y < height; y++) {
        idat = inflate(inflater, png, idat, row, rowBytes + 1);
        if (idat < 0 || !unfilter(row, above, rowBytes, bytesPerPixel)) {
          return null;
        }
        if (y % subsampling == 0) {
          o = copySamples(row, bytesPerPixel, channels, subsampling, outWidth, out, o);
        }
        byte[] done = row;
        row = above;
        above = done;
      }
    } catch (DataFormatException e) {
      return null;
    } finally {
      inflater.reset();
    }
    return new DecodedImage(outWidth, outHeight, channels, out);
  }

  /**
   * Fills {@code length} bytes of {@code into}, feeding the inflater the following IDAT chunks as it needs them.
   * Returns the IDAT chunk now being read, or -1 when the data ends first.
   */
  private static int inflate(Inflater inflater, byte[] png, int idat, byte[] into, int length)
      throws DataFormatException {
    for (int filled = 0; filled < length; ) {
      int n = inflater.inflate(into, filled, length - filled);
      filled += n;
      if (n == 0) {
        if (!inflater.needsInput()) {
          return -1; // the zlib stream ended, or wants a preset dictionary (PNG has none)
        }
        idat = nextIdat(png, idat, true);
        if (idat < 0) {
          return -1;
        }
        inflater.setInput(png, idat + 8, PngHeader.readInt(png, idat));
      }
    }
    return idat;
  }

  /**
   * The next IDAT chunk: from {@code chunk} on, skipping other chunks; or, when {@code following}, the one right
   * after {@code chunk}, which must be an IDAT (the image data is consecutive IDAT chunks). -1 when there is none, or
   * the file ends inside its data.
   */
  private static int nextIdat(byte[] png, int chunk, boolean following) {
    int at = following ? next(png, chunk) : chunk;
    while (at >= 0 && at + 8 <= png.length) {
      long length = PngHeader.readInt(png, at) & 0xFFFFFFFFL;
      if (at + 8 + length > png.length) {
        return -1;
      }
      if (PngHeader.readInt(png, at + 4) == IDAT) {
        return at;
      }
      if (following) {
        return -1;
      }
      at = next(png, at);
    }
    return -1;
  }

  /** Where the chunk after {@code chunk} starts (its length, type, data and CRC skipped), or -1 past the end. */
  private static int next(byte[] png, int chunk) {
    long at = chunk + 12L + (PngHeader.readInt(png, chunk) & 0xFFFFFFFFL);
    return at > png.length ? -1 : (int) at;
  }

  /** Undoes the row's filter (its first byte) against the row above, in place; false for an unknown filter. */
  private static boolean unfilter(byte[] row, byte[] above, int rowBytes, int bpp) {
    switch (row[0]) {
      case 0 -> { }
      case 1 -> { // Sub
        for (int i = 1 + bpp; i <= rowBytes; i++) {
          row[i] += row[i - bpp];
        }
      }
      case 2 -> { // Up
        for (int i = 1; i <= rowBytes; i++) {
          row[i] += above[i];
        }
      }
      case 3 -> { // Average
        for (int i = 1; i <= bpp; i++) {
          row[i] += (above[i] & 0xFF) >>> 1;
        }
        for (int i = 1 + bpp; i <= rowBytes; i++) {
          row[i] += ((row[i - bpp] & 0xFF) + (above[i] & 0xFF)) >>> 1;
        }
      }
      case 4 -> { // Paeth: with nothing to the left it predicts the byte above
        for (int i = 1; i <= bpp; i++) {
          row[i] += above[i];
        }
        for (int i = 1 + bpp; i <= rowBytes; i++) {
          row[i] += paeth(row[i - bpp] & 0xFF, above[i] & 0xFF, above[i - bpp] & 0xFF);
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  private static int paeth(int left, int up, int upLeft) {
    int estimate = left + up - upLeft;
    int toLeft = Math.abs(estimate - left);
    int toUp = Math.abs(estimate - up);
    int toUpLeft = Math.abs(estimate - upLeft);
    if (toLeft <= toUp && toLeft <= toUpLeft) {
      return left;
    }
    return toUp <= toUpLeft ? up : upLeft;
  }

  /** Copies a row's grey or RGB samples (every {@code step}-th pixel, alpha dropped) to {@code out} at {@code o}. */
  private static int copySamples(byte[] row, int bpp, int channels, int step, int outWidth, byte[] out, int o) {
    if (step == 1 && bpp == channels) {
      System.arraycopy(row, 1, out, o, outWidth * channels);
      return o + outWidth * channels;
    }
    int stride = step * bpp;
    if (channels == 1) {
      for (int x = 0, i = 1; x < outWidth; x++, i += stride) {
        out[o++] = row[i];
      }
    } else {
      for (int x = 0, i = 1; x < outWidth; x++, i += stride) {
        out[o++] = row[i];
        out[o++] = row[i + 1];
        out[o++] = row[i + 2];
      }
    }
    return o;
  }

  private static byte[] grown(byte[] buffer, int size) {
    return buffer.length >= size ? buffer : new byte[Math.max(size, 2 * buffer.length)];
  }
}
