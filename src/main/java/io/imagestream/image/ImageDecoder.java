package io.imagestream.image;

import java.io.IOException;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes one image of a supported format: pixel limit from the header first, then a decode subsampled towards the
 * target size, then 8-bit grey or RGB samples. JPEGs go to libjpeg-turbo when installed, common PNGs to
 * {@link PngDecoder}, the rest to javax.imageio. Immutable; a fresh ImageReader per call, since readers are not
 * thread-safe.
 */
final class ImageDecoder {

  /** The config key the pixel limit comes from, named in messages so operators know what to change. */
  static final String MAX_PIXELS_SETTING = "imagestream.decode.max.pixels";

  /**
   * The longest side decoded (JPEG's and GIF's own limit is about this). ImageIO's PNG and BMP readers spend a few
   * microseconds per row whatever the width, so a valid 16 KB PNG of 1x8,000,000 pixels took 11 s and an RLE BMP of
   * 1x4,000,000 took 15 s (found by DecoderFuzzTest): the pixel limit alone does not bound the time.
   */
  static final int MAX_SIDE = 65_535;

  private static final Map<ImageFormat, ImageReaderSpi> READERS = new EnumMap<>(ImageFormat.class);

  static {
    ImageIO.setUseCache(false); // else ImageIO buffers every stream through a temporary file
    for (ImageFormat format : ImageFormat.values()) {
      Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName());
      if (!readers.hasNext()) {
        throw new ExceptionInInitializerError("this JDK has no ImageIO reader for " + format);
      }
      ImageReader reader = readers.next();
      READERS.put(format, reader.getOriginatingProvider());
      reader.dispose();
    }
  }

  private final long maxPixels;
  private final int targetWidth;
  private final int targetHeight;

  ImageDecoder(long maxPixels, int targetWidth, int targetHeight) {
    this.maxPixels = maxPixels;
    this.targetWidth = targetWidth;
    this.targetHeight = targetHeight;
  }

  /** Whether JPEGs go to libjpeg-turbo when it is installed (the imagestream.decode.jpeg.native setting). */
  private static volatile boolean libjpegTurbo = true;

  /** JVM-wide, like the native backend: set from the configuration when a service starts. */
  static void useLibjpegTurbo(boolean use) {
    libjpegTurbo = use;
  }

  /** Whether common PNGs go to {@link PngDecoder} (the imagestream.decode.png.builtin setting) rather than ImageIO. */
  private static volatile boolean builtinPng = true;

  /** JVM-wide, like the JPEG decoder's choice: set from the configuration when a service starts. */
  static void useBuiltinPng(boolean use) {
    builtinPng = use;
  }

  static boolean decodesPngsBuiltin() {
    return builtinPng;
  }

  /** Whether JPEGs are decoded by libjpeg-turbo now (installed, and not switched off). */
  static boolean decodesWithLibjpegTurbo() {
    return libjpegTurbo && TurboJpeg.available();
  }

  DecodedImage decode(byte[] bytes, ImageFormat format) throws ImageRejectedException {
    if (format == ImageFormat.JPEG && decodesWithLibjpegTurbo()) {
      TurboJpeg.Header header = TurboJpeg.header(bytes);
      if (!header.cmyk()) {
        checkDimensions(format, header.width(), header.height());
        // DCT scaling to at least twice the target, like the subsampling below, but from every source pixel
        int eighths = TurboJpeg.scaleEighths(header.width(), header.height(), 2 * targetWidth, 2 * targetHeight);
        return TurboJpeg.decode(bytes, header, eighths);
      }
    }
    if (format == ImageFormat.PNG) {
      PngHeader.checkIhdr(bytes);
      PngHeader.checkChunkCount(bytes);
      int width = PngDecoder.width(bytes);
      int height = PngDecoder.height(bytes);
      if (builtinPng && width > 0 && height > 0) { // else ImageIO says what is wrong with the size
        checkDimensions(format, width, height);
        DecodedImage image = PngDecoder.decode(bytes, subsamplingFactor(width, height));
        if (image != null) {
          return image;
        }
      }
    }
    ImageReader reader = null;
    try (ImageInputStream input = new ByteArrayImageInputStream(bytes)) {
      // The reader was chosen by the magic bytes already: no need to ask every registered reader to sniff again.
      reader = READERS.get(format).createReaderInstance();
      TruncationWarnings truncation = new TruncationWarnings();
      reader.addIIOReadWarningListener(truncation);
      reader.setInput(input, false, true); // not seek-forward-only: a CMYK JPEG is read again as a raster
      DecodedImage image = read(reader, bytes, format);
      truncation.throwIfAny(format);
      return image;
    } catch (ImageRejectedException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw undecodable(format, e);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Error e) { // e.g. assertion-like errors from a decoder plug-in on hostile input
      throw undecodable(format, e);
    } finally {
      if (reader != null) {
        reader.dispose();
      }
    }
  }

  private DecodedImage read(ImageReader reader, byte[] bytes, ImageFormat format)
      throws IOException, ImageRejectedException {
    // Only the header is parsed here: a 60000x60000 PNG is refused before anything is allocated for its pixels.
    int width = reader.getWidth(0);
    int height = reader.getHeight(0);
    checkDimensions(format, width, height);
    if (format == ImageFormat.BMP) {
      BmpHeader.checkComplete(bytes);
    }
    ImageReadParam param = reader.getDefaultReadParam();
    int factor = subsamplingFactor(width, height);
    if (factor > 1) {
      param.setSourceSubsampling(factor, factor, 0, 0);
    }
    if (format == ImageFormat.JPEG) {
      JpegHeader header = JpegHeader.parse(bytes);
      if (header.components() == 4) {
        return CmykConversion.toRgb(reader.readRaster(0, param), header);
      }
    }
    return ImageSamples.of(reader.read(0, param));
  }

  private void checkDimensions(ImageFormat format, int width, int height) throws ImageRejectedException {
    if (width < 1 || height < 1) {
      throw new ImageRejectedException(
          RejectReason.UNDECODABLE, format + " header gives an empty size: " + width + "x" + height);
    }
    if (width > MAX_SIDE || height > MAX_SIDE) {
      throw new ImageRejectedException(RejectReason.TOO_LARGE, "image is " + width + "x" + height
          + " pixels: sides longer than " + MAX_SIDE + " pixels are refused");
    }
    long pixels = (long) width * height;
    if (pixels > maxPixels) {
      throw new ImageRejectedException(RejectReason.TOO_LARGE, "image is " + width + "x" + height + " = " + pixels
          + " pixels, over " + MAX_PIXELS_SETTING + "=" + maxPixels);
    }
  }

  /**
   * Decode-time subsampling for large sources: the largest whole factor that still leaves the decoded image at
   * least twice the target size in both dimensions, so the final resize has enough pixels to average (quality).
   */
  int subsamplingFactor(int sourceWidth, int sourceHeight) {
    return Math.max(1, Math.min(sourceWidth / (2 * targetWidth), sourceHeight / (2 * targetHeight)));
  }

  private static ImageRejectedException undecodable(ImageFormat format, Throwable e) {
    return new ImageRejectedException(
        RejectReason.UNDECODABLE, "cannot decode " + format + ": " + describe(e), e);
  }

  private static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder(e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
    Throwable cause = e.getCause();
    for (int depth = 0; cause != null && depth < 3; depth++, cause = cause.getCause()) {
      sb.append(" (").append(cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName())
          .append(')');
    }
    return sb.toString();
  }

  /**
   * ImageIO's JPEG reader decodes a truncated file "successfully" (the missing part grey) and only warns. A
   * half-grey photo would get a confident but meaningless prediction, so truncation rejects the image.
   */
  private static final class TruncationWarnings implements IIOReadWarningListener {
    private String first;

    @Override
    public void warningOccurred(ImageReader source, String warning) {
      String lower = warning == null ? "" : warning.toLowerCase(Locale.ROOT);
      if (first == null && (lower.contains("truncated") || lower.contains("premature end"))) {
        first = warning;
        // The image is refused anyway: stop now. Else a few hundred bytes whose header claims 6000x6000 make the
        // JPEG decoder fill 36 M missing pixels (1.7 s of CPU for a progressive one, found by DecoderFuzzTest).
        source.abort();
      }
    }

    void throwIfAny(ImageFormat format) throws ImageRejectedException {
      if (first != null) {
        throw new ImageRejectedException(RejectReason.UNDECODABLE, format + " data is truncated: " + first);
      }
    }
  }
}
