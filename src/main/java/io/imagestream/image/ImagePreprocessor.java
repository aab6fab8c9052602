package io.imagestream.image;

import java.util.Objects;
import java.util.Optional;

/**
 * Turns encoded image bytes (JPEG, PNG, GIF, BMP) into the model's input pixels: limits, format check, decode,
 * colour conversion and resize, the way Keras' load_img (Pillow) prepares images. Immutable and thread-safe.
 */
public final class ImagePreprocessor {

  private static final String SUPPORTED = "supported: JPEG, PNG, GIF, BMP";
  private static final float[] RESCALED = rescaleTable();

  private final InputShape shape;
  private final long maxPixels;
  private final int maxBytes;
  private final Interpolation interpolation;
  private final ImageDecoder decoder;

  /**
   * @param shape the model's input size; every output has exactly {@code shape.pixelCount()} values
   * @param maxPixels the most pixels (width * height, from the header) an image may have
   * @param maxBytes the most encoded bytes an image may have
   * @param interpolation how to resample when the size differs
   */
  public ImagePreprocessor(InputShape shape, long maxPixels, int maxBytes, Interpolation interpolation) {
    this.shape = Objects.requireNonNull(shape, "shape");
    this.interpolation = Objects.requireNonNull(interpolation, "interpolation");
    if (maxPixels < 1) {
      throw new IllegalArgumentException("maxPixels must be at least 1, got " + maxPixels);
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be at least 1, got " + maxBytes);
    }
    this.maxPixels = maxPixels;
    this.maxBytes = maxBytes;
    this.decoder = new ImageDecoder(maxPixels, shape.width(), shape.height());
  }

  public InputShape shape() {
    return shape;
  }

  /**
   * Whether JPEGs go to the system's libjpeg-turbo when it is installed (imagestream.decode.jpeg.native); JVM-wide,
   * set when a service starts. Without the library, ImageIO decodes either way.
   */
  public static void useNativeJpeg(boolean use) {
    ImageDecoder.useLibjpegTurbo(use);
  }

  /**
   * Whether 8-bit, non-interlaced grey and RGB(A) PNGs go to imagestream's own decoder, which reuses each thread's
   * buffers (imagestream.decode.png.builtin), rather than to ImageIO; JVM-wide, set when a service starts.
   */
  public static void useBuiltinPng(boolean use) {
    ImageDecoder.useBuiltinPng(use);
  }

  /** What decodes PNGs in this JVM now, for logs and reports. */
  public static String pngDecoder() {
    return ImageDecoder.decodesPngsBuiltin() ? "imagestream's own for 8-bit grey/RGB(A), ImageIO for the rest"
        : "ImageIO";
  }

  /** What decodes JPEGs in this JVM now, for logs and reports. */
  public static String jpegDecoder() {
    return ImageDecoder.decodesWithLibjpegTurbo() ? "libjpeg-turbo (TurboJPEG, with DCT scaling)"
        : "ImageIO (the JDK's libjpeg)" + (TurboJpeg.available() ? "" : "; libjpeg-turbo not installed");
  }

  /**
   * Header check, decode, colour conversion and resize: returns h*w*c unsigned 8-bit values, row-major, channels
   * interleaved (HWC), RGB order.
   *
   * @throws ImageRejectedException for empty, oversized, unrecognised, unsupported or broken input; no other
   *     exception escapes (except the JVM's own VirtualMachineErrors)
   */
  public byte[] toPixels(byte[] encoded) throws ImageRejectedException {
    ImageFormat format = precheck(encoded);
    DecodedImage image = decoder.decode(encoded, format);
    if (shape.channels() == 1) {
      image = Channels.toGrey(image); // before resizing, as Keras converts to 'L' and then resizes
    }
    image = Resizer.resize(image, shape.width(), shape.height(), interpolation);
    if (shape.channels() == 3) {
      image = Channels.toRgb(image);
    }
    return image.samples();
  }

  /**
   * The checks that need no decoding (empty, too many bytes, not a supported format), for callers that decode later
   * or elsewhere but want plainly bad input refused at once; {@link #toPixels} runs them too.
   */
  public ImageFormat precheck(byte[] encoded) throws ImageRejectedException {
    checkSize(encoded);
    return formatOf(encoded);
  }

  /**
   * Writes pixels (as returned by toPixels) rescaled by 1/255 into dst starting at dstOffset in the given layout
   * (one image's h*w*c floats).
   */
  public static void rescaleInto(byte[] pixels, InputShape shape, Layout layout, float[] dst, int dstOffset) {
    int count = shape.pixelCount();
    if (pixels.length != count) {
      throw new IllegalArgumentException(
          "expected " + count + " pixel values for " + shape + ", got " + pixels.length);
    }
    Objects.checkFromIndexSize(dstOffset, count, dst.length);
    Objects.requireNonNull(layout, "layout");
    if (layout == Layout.NHWC || shape.channels() == 1) { // with one channel both layouts are the same order
      for (int i = 0; i < count; i++) {
        dst[dstOffset + i] = RESCALED[pixels[i] & 0xFF];
      }
      return;
    }
    int channels = shape.channels();
    int plane = shape.height() * shape.width();
    for (int c = 0; c < channels; c++) {
      int out = dstOffset + c * plane;
      for (int p = 0, in = c; p < plane; p++, in += channels) {
        dst[out + p] = RESCALED[pixels[in] & 0xFF];
      }
    }
  }

  private void checkSize(byte[] encoded) throws ImageRejectedException {
    if (encoded == null || encoded.length == 0) {
      throw new ImageRejectedException(RejectReason.EMPTY, "no image bytes (empty value)");
    }
    if (encoded.length > maxBytes) {
      throw new ImageRejectedException(RejectReason.TOO_LARGE,
          "image is " + encoded.length + " bytes, over the limit of " + maxBytes + " bytes");
    }
  }

  private static ImageFormat formatOf(byte[] encoded) throws ImageRejectedException {
    Optional<ImageFormat> format = ImageFormat.sniff(encoded);
    if (format.isPresent()) {
      return format.get();
    }
    Optional<String> foreign = ForeignFormat.identify(encoded);
    if (foreign.isPresent()) {
      throw new ImageRejectedException(RejectReason.UNSUPPORTED_FORMAT,
          foreign.get() + " images are not supported (" + SUPPORTED + ")");
    }
    throw new ImageRejectedException(RejectReason.UNDECODABLE,
        "not a recognised image (" + SUPPORTED + "); it starts with " + Magic.hexPrefix(encoded, 8));
  }

  /** v * (1/255) in float, as Keras' rescale=1./255 computes it on float32 arrays. */
  private static float[] rescaleTable() {
    float[] table = new float[256];
    for (int v = 0; v < 256; v++) {
      table[v] = v * (1f / 255f);
    }
    return table;
  }

  @Override
  public String toString() {
    return "ImagePreprocessor[" + shape + ", maxPixels=" + maxPixels + ", maxBytes=" + maxBytes + ", "
        + interpolation + "]";
  }
}
