package io.imagestream.image;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JPEG decoding with the system's libjpeg-turbo (TurboJPEG API, Debian's {@code libturbojpeg0}) through JNA, when it is
 * installed: its SIMD decoder is several times faster than the JDK's libjpeg 6b behind ImageIO, and it scales in the
 * DCT (1/8 steps), so a photo is decoded straight to about twice the model's input instead of in full and then
 * subsampled. Without the library, or with {@code imagestream.decode.libjpeg-turbo=false}, ImageIO decodes as before.
 * CMYK and YCCK JPEGs always go through ImageIO (their Adobe inversion rules live in {@link CmykConversion}).
 */
final class TurboJpeg {
  private static final Logger LOG = LoggerFactory.getLogger(TurboJpeg.class);

  static final int TJPF_RGB = 0;
  static final int TJPF_GRAY = 6;
  static final int TJCS_GRAY = 2;
  static final int TJCS_CMYK = 3;
  static final int TJCS_YCCK = 4;
  static final int TJERR_WARNING = 0;
  /** A warning stops the decode: a truncated file would otherwise be filled in, whatever size its header claims. */
  static final int TJFLAG_STOPONWARNING = 8192;
  /** At most 500 scans in a progressive JPEG: a few KB of scans can otherwise keep a decoder busy for seconds. */
  static final int TJFLAG_LIMITSCANS = 32768;

  private static final boolean AVAILABLE = load();
  /** TurboJPEG handles are not thread-safe: one per decoding thread, kept for the thread's life (a few KB). */
  private static final ThreadLocal<Pointer> HANDLE = ThreadLocal.withInitial(TurboJpeg::tjInitDecompress);

  private TurboJpeg() {}

  private static boolean load() {
    for (String name : new String[] {"turbojpeg", "libturbojpeg.so.0"}) {
      try {
        Native.register(TurboJpeg.class, NativeLibrary.getInstance(name));
        LOG.debug("JPEG decoding with libjpeg-turbo ({})", name);
        return true;
      } catch (UnsatisfiedLinkError | RuntimeException e) {
        // next name, then ImageIO
      }
    }
    return false;
  }

  /** Whether libjpeg-turbo's TurboJPEG library was found and bound. */
  static boolean available() {
    return AVAILABLE;
  }

  /** The header: size and JPEG colourspace. */
  record Header(int width, int height, int colorspace) {
    boolean cmyk() {
      return colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    }
  }

  static Header header(byte[] jpeg) throws ImageRejectedException {
    Pointer handle = handle();
    int[] width = new int[1];
    int[] height = new int[1];
    int[] subsampling = new int[1];
    int[] colorspace = new int[1];
    if (tjDecompressHeader3(handle, jpeg, new NativeLong(jpeg.length), width, height, subsampling, colorspace) != 0) {
      throw new ImageRejectedException(RejectReason.UNDECODABLE, "cannot decode JPEG: " + failed(handle));
    }
    return new Header(width[0], height[0], colorspace[0]);
  }

  /**
   * The smallest of libjpeg-turbo's scales n/8 (n = 1..8) that leaves at least {@code minWidth} x {@code minHeight}
   * pixels, as a numerator over 8 (8: full size).
   */
  static int scaleEighths(int width, int height, int minWidth, int minHeight) {
    for (int n = 1; n < 8; n++) {
      if (scaled(width, n) >= minWidth && scaled(height, n) >= minHeight) {
        return n;
      }
    }
    return 8;
  }

  /** TJSCALED: a dimension at n/8, rounded up. */
  static int scaled(int dimension, int eighths) {
    return (dimension * eighths + 7) / 8;
  }

  /** Decodes at n/8 of the header's size into 8-bit grey (grey JPEGs) or RGB samples. */
  static DecodedImage decode(byte[] jpeg, Header header, int eighths) throws ImageRejectedException {
    Pointer handle = handle();
    int width = scaled(header.width(), eighths);
    int height = scaled(header.height(), eighths);
    int channels = header.colorspace() == TJCS_GRAY ? 1 : 3;
    byte[] samples = new byte[width * height * channels];
    int format = channels == 1 ? TJPF_GRAY : TJPF_RGB;
    NativeLong size = new NativeLong(jpeg.length);
    int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
    if (tjDecompress2(handle, jpeg, size, samples, width, 0, height, format, flags) == 0) {
      return new DecodedImage(width, height, channels, samples);
    }
    boolean warning = tjGetErrorCode(handle) == TJERR_WARNING;
    String error = failed(handle);
    if (!warning) {
      throw new ImageRejectedException(RejectReason.UNDECODABLE, "cannot decode JPEG: " + error);
    }
    handle = handle();
    String lower = error == null ? "" : error.toLowerCase(Locale.ROOT);
    if (lower.contains("premature end") || lower.contains("truncated")) {
      // a half-grey photo would get a confident but meaningless prediction (as on the ImageIO path)
      throw new ImageRejectedException(RejectReason.UNDECODABLE, "JPEG data is truncated: " + error);
    }
    // Other warnings (e.g. stray bytes before a marker) leave a usable image, as with ImageIO: decode it past them.
    if (tjDecompress2(handle, jpeg, size, samples, width, 0, height, format, TJFLAG_LIMITSCANS) != 0) {
      boolean fatal = tjGetErrorCode(handle) != TJERR_WARNING;
      String again = failed(handle);
      if (fatal) {
        throw new ImageRejectedException(RejectReason.UNDECODABLE, "cannot decode JPEG: " + again);
      }
    }
    return new DecodedImage(width, height, channels, samples);
  }

  /**
   * The error of the last call, after which the thread's handle is dropped for a new one: a TurboJPEG 2.1 handle that
   * failed on one file can fail the next valid one too ("SOS before SOF", seen here).
   */
  private static String failed(Pointer handle) {
    String error = tjGetErrorStr2(handle);
    HANDLE.remove();
    tjDestroy(handle);
    return error;
  }

  private static Pointer handle() throws ImageRejectedException {
    Pointer handle = HANDLE.get();
    if (handle == null) {
      HANDLE.remove(); // try again next time
      throw new ImageRejectedException(RejectReason.UNDECODABLE, "cannot decode JPEG: libjpeg-turbo gave no "
          + "decompressor (out of memory?)");
    }
    return handle;
  }

  // The TurboJPEG 2.x API (turbojpeg.h), bound directly (no proxy per call).
  private static native Pointer tjInitDecompress();

  private static native int tjDecompressHeader3(Pointer handle, byte[] jpegBuf, NativeLong jpegSize, int[] width,
                                                int[] height, int[] jpegSubsamp, int[] jpegColorspace);

  private static native int tjDecompress2(Pointer handle, byte[] jpegBuf, NativeLong jpegSize, byte[] dstBuf,
                                          int width, int pitch, int height, int pixelFormat, int flags);

  private static native String tjGetErrorStr2(Pointer handle);

  private static native int tjGetErrorCode(Pointer handle);

  private static native int tjDestroy(Pointer handle);
}
