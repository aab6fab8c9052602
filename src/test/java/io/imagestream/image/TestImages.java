package io.imagestream.image;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.RenderedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/** Encoded test images made on the fly with ImageIO, and hand-made headers and broken inputs. */
public final class TestImages {

  /** One kind of bad input and the reason {@link ImagePreprocessor#toPixels} gives for it. */
  public record BadInput(byte[] bytes, RejectReason expected) {}

  /** The pixel limit {@link #badInputs} assumes (the default); its byte inputs are all under 64 KiB. */
  public static final long BAD_INPUTS_MAX_PIXELS = 40_000_000L;

  private TestImages() {}

  /** A w x h image of one colour; alpha below 255 gives an RGBA image (PNG only). Formats: jpeg, png, gif, bmp. */
  public static byte[] solid(String format, int w, int h, Color c) {
    BufferedImage image =
        new BufferedImage(w, h, c.getAlpha() < 255 ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
    int[] argb = new int[w * h];
    Arrays.fill(argb, c.getRGB()); // setRGB on INT_(A)RGB stores the values as they are, no colour conversion
    image.setRGB(0, 0, w, h, argb, 0, w);
    return encode(image, format);
  }

  /** A grey image from raw 8-bit values, row-major; png, bmp and gif keep the values exactly. */
  public static byte[] grey(String format, byte[] pixels, int w, int h) {
    if (pixels.length != w * h) {
      throw new IllegalArgumentException("need " + w * h + " pixels, got " + pixels.length);
    }
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setDataElements(0, 0, w, h, pixels);
    return encode(image, format);
  }

  /** An RGB image from raw interleaved R, G, B bytes, row-major. */
  public static BufferedImage rgbImage(byte[] rgb, int w, int h) {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    WritableRaster raster = image.getRaster();
    int[] samples = new int[rgb.length];
    for (int i = 0; i < rgb.length; i++) {
      samples[i] = rgb[i] & 0xFF;
    }
    raster.setPixels(0, 0, w, h, samples); // bands are R, G, B whatever the byte order in the buffer
    return image;
  }

  /** Left half black, right half white. */
  public static byte[] halves(String format, int w, int h) {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.BLACK);
    g.fillRect(0, 0, w / 2, h);
    g.setColor(Color.WHITE);
    g.fillRect(w / 2, 0, w - w / 2, h);
    g.dispose();
    return encode(image, format);
  }

  /** Four solid quadrants: red top-left, green top-right, blue bottom-left, white bottom-right. */
  public static byte[] quadrants(String format, int w, int h) {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.RED);
    g.fillRect(0, 0, w / 2, h / 2);
    g.setColor(Color.GREEN);
    g.fillRect(w / 2, 0, w - w / 2, h / 2);
    g.setColor(Color.BLUE);
    g.fillRect(0, h / 2, w / 2, h - h / 2);
    g.setColor(Color.WHITE);
    g.fillRect(w / 2, h / 2, w - w / 2, h - h / 2);
    g.dispose();
    return encode(image, format);
  }

  /** Seeded random RGB noise: compresses badly, so its encodings are long and cut mid-data when truncated. */
  public static byte[] noise(String format, int w, int h, long seed) {
    byte[] rgb = new byte[w * h * 3];
    new Random(seed).nextBytes(rgb);
    return encode(rgbImage(rgb, w, h), format);
  }

  public static byte[] encode(RenderedImage image, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalArgumentException("no ImageIO writer for " + format + " and this image type");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * A 4-component JPEG of one ink colour (C, M, Y, K, 0 = no ink), encoded as the given Adobe APP14 transform
   * says: -1 = no Adobe marker, plain CMYK; 0 = Adobe CMYK, stored inverted as Photoshop does; 2 = Adobe YCCK.
   * The JDK's writer stores a raster's samples as they are, so the encoding is done here.
   */
  public static byte[] cmykJpeg(int w, int h, int[] ink, int adobeTransform) {
    int[] stored = switch (adobeTransform) {
      case -1 -> ink.clone();
      case 0 -> new int[] {255 - ink[0], 255 - ink[1], 255 - ink[2], 255 - ink[3]};
      // YCCK of inverted CMYK: the YCbCr of (255 - stored C, M, Y) = YCbCr of the ink itself; K stored inverted.
      case 2 -> {
        int[] ycc = yCbCr(ink[0], ink[1], ink[2]);
        yield new int[] {ycc[0], ycc[1], ycc[2], 255 - ink[3]};
      }
      default -> throw new IllegalArgumentException("adobeTransform must be -1, 0 or 2");
    };
    WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        raster.setPixel(x, y, stored);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(ios);
      writer.write(null, new IIOImage(raster, null, null), writer.getDefaultWriteParam());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    byte[] jpeg = out.toByteArray();
    return adobeTransform < 0 ? jpeg : withAdobeMarker(jpeg, adobeTransform);
  }

  private static int[] yCbCr(int r, int g, int b) {
    return new int[] {
      clamp(0.299 * r + 0.587 * g + 0.114 * b),
      clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b),
      clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)
    };
  }

  private static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }

  /** Inserts an APP14 "Adobe" segment right after SOI. */
  private static byte[] withAdobeMarker(byte[] jpeg, int transform) {
    byte[] segment = {
      (byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) transform
    };
    return concat(Arrays.copyOf(jpeg, 2), segment, Arrays.copyOfRange(jpeg, 2, jpeg.length));
  }

  /** A well-formed PNG header (valid CRCs) claiming w x h RGB pixels, with a tiny IDAT: a decompression bomb. */
  public static byte[] pngBombHeader(int w, int h) {
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0)
        .put((byte) 0).put((byte) 0);
    Deflater deflater = new Deflater();
    deflater.setInput(new byte[64]);
    deflater.finish();
    byte[] idat = new byte[128];
    idat = Arrays.copyOf(idat, deflater.deflate(idat));
    deflater.end();
    return concat(PNG_SIGNATURE, pngChunk("IHDR", ihdr.array()), pngChunk("IDAT", idat),
        pngChunk("IEND", new byte[0]));
  }

  static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

  /** One PNG chunk: length, type, data and CRC. */
  static byte[] pngChunk(String type, byte[] data) {
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    return ByteBuffer.allocate(12 + data.length).putInt(data.length).put(typeBytes).put(data)
        .putInt((int) crc.getValue()).array();
  }

  /**
   * A BMP header (24 bits per pixel) claiming w x h pixels and a file size to match, followed by only a few bytes
   * of pixel data.
   */
  public static byte[] bmpHeader(int w, int h) {
    int dataOffset = 14 + 40;
    long claimedFileSize = dataOffset + 3L * w * h; // ImageIO checks the claimed size against w * h
    ByteBuffer bmp = ByteBuffer.allocate(dataOffset + 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    bmp.put((byte) 'B').put((byte) 'M').putInt((int) claimedFileSize).putInt(0).putInt(dataOffset);
    bmp.putInt(40).putInt(w).putInt(h).putShort((short) 1).putShort((short) 24).putInt(0).putInt(0)
        .putInt(2835).putInt(2835).putInt(0).putInt(0);
    return bmp.array();
  }

  /** A GIF header and first image descriptor claiming w x h pixels, with 1 pixel of image data. */
  public static byte[] gifHeader(int w, int h) {
    ByteBuffer gif = ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    gif.put("GIF89a".getBytes(StandardCharsets.US_ASCII)).putShort((short) w).putShort((short) h)
        .put((byte) 0x80).put((byte) 0).put((byte) 0) // global colour table of 2 entries
        .put(new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255})
        .put((byte) 0x2C).putShort((short) 0).putShort((short) 0).putShort((short) w).putShort((short) h)
        .put((byte) 0)
        .put(new byte[] {2, 2, 0x44, 0x01, 0}) // LZW minimum code size 2, one sub-block, terminator
        .put((byte) 0x3B);
    return Arrays.copyOf(gif.array(), gif.position());
  }

  /**
   * About thirty named kinds of bad input, each with the reason toPixels gives for it (with a pixel limit of
   * {@link #BAD_INPUTS_MAX_PIXELS} and a byte limit of at least 64 KiB). Deterministic for a given seed.
   */
  public static Map<String, BadInput> badInputs(long seed) {
    Random random = new Random(seed);
    Map<String, BadInput> bad = new LinkedHashMap<>();
    byte[] jpeg = noise("jpeg", 64, 64, seed);
    byte[] png = noise("png", 64, 64, seed);
    byte[] gif = noise("gif", 64, 64, seed);
    byte[] bmp = noise("bmp", 64, 64, seed);

    bad.put("empty", new BadInput(new byte[0], RejectReason.EMPTY));
    bad.put("single byte", undecodable(new byte[] {0x42}));
    bad.put("random 100 bytes", undecodable(randomBytes(random, 100)));
    bad.put("random 10k bytes", undecodable(randomBytes(random, 10_000)));
    bad.put("text", undecodable(ascii("hello, this is not an image\n")));
    bad.put("json", undecodable(ascii("{\"id\": \"cat.1.jpg\", \"pixels\": [0, 1, 2]}")));
    bad.put("html", undecodable(ascii("<!DOCTYPE html><html><body><img src=\"cat.jpg\"></body></html>")));
    bad.put("jpeg header only (20 bytes)", undecodable(Arrays.copyOf(jpeg, 20)));
    bad.put("jpeg truncated to half", undecodable(Arrays.copyOf(jpeg, jpeg.length / 2)));
    bad.put("jpeg with scan before frame", undecodable(concat(bytes(0xFF, 0xD8, 0xFF, 0xDA),
        Arrays.copyOfRange(jpeg, 4, jpeg.length)))); // APP0 marker replaced by SOS
    bad.put("jpeg SOI then EOI", undecodable(bytes(0xFF, 0xD8, 0xFF, 0xD9)));
    bad.put("jpeg SOI only", undecodable(bytes(0xFF, 0xD8, 0xFF)));
    bad.put("jpeg claiming 65500x65500", tooLarge(withJpegSize(jpeg, 65_500, 65_500)));
    bad.put("png signature only", undecodable(Arrays.copyOf(png, 8)));
    bad.put("png truncated to half", undecodable(Arrays.copyOf(png, png.length / 2)));
    bad.put("png with corrupt IHDR crc", undecodable(flipByte(png, 29)));
    bad.put("png with corrupt image data", undecodable(flipByte(png, png.length / 2)));
    bad.put("png bomb header 60000x60000", tooLarge(pngBombHeader(60_000, 60_000)));
    bad.put("png with zero width", undecodable(pngBombHeader(0, 10)));
    bad.put("gif header only", undecodable(Arrays.copyOf(gif, 13)));
    bad.put("gif truncated to half", undecodable(Arrays.copyOf(gif, gif.length / 2)));
    bad.put("gif claiming 65535x65535", tooLarge(gifHeader(65_535, 65_535)));
    bad.put("bmp truncated to half", undecodable(Arrays.copyOf(bmp, bmp.length / 2)));
    bad.put("bmp claiming 20000x20000", tooLarge(bmpHeader(20_000, 20_000)));
    bad.put("BM then random bytes", undecodable(concat(ascii("BM"), randomBytes(random, 200))));
    bad.put("webp", unsupported(concat(ascii("RIFF"), bytes(0x24, 0, 0, 0), ascii("WEBPVP8 "), new byte[24])));
    bad.put("tiff little-endian", unsupported(concat(bytes('I', 'I', 42, 0, 8, 0, 0, 0), new byte[32])));
    bad.put("tiff big-endian", unsupported(concat(bytes('M', 'M', 0, 42, 0, 0, 0, 8), new byte[32])));
    bad.put("ico", unsupported(concat(bytes(0, 0, 1, 0, 1, 0, 16, 16), new byte[32])));
    bad.put("heic", unsupported(concat(bytes(0, 0, 0, 0x18), ascii("ftypheic"), new byte[16])));
    bad.put("avif", unsupported(concat(bytes(0, 0, 0, 0x1C), ascii("ftypavif"), new byte[16])));
    bad.put("jpeg 2000", unsupported(concat(bytes(0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A),
        new byte[32])));
    bad.put("psd", unsupported(concat(ascii("8BPS"), bytes(0, 1), new byte[32])));
    bad.put("mp4 video (ftyp isom)", undecodable(concat(bytes(0, 0, 0, 0x18), ascii("ftypisom"), new byte[16])));
    bad.put("gzip", undecodable(concat(bytes(0x1F, 0x8B, 0x08, 0), randomBytes(random, 60))));
    bad.put("zip", undecodable(concat(ascii("PK"), bytes(3, 4), randomBytes(random, 60))));
    bad.put("pdf", undecodable(ascii("%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")));
    return bad;
  }

  /** Random bytes whose first byte (0x7F) starts no image format's magic. */
  private static byte[] randomBytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    bytes[0] = 0x7F;
    return bytes;
  }

  /** A copy of a baseline or progressive JPEG with its SOF0/SOF2 frame size patched. */
  static byte[] withJpegSize(byte[] jpeg, int w, int h) {
    byte[] copy = jpeg.clone();
    for (int i = 2; i + 9 < copy.length; i++) {
      if ((copy[i] & 0xFF) == 0xFF && ((copy[i + 1] & 0xFF) == 0xC0 || (copy[i + 1] & 0xFF) == 0xC2)) {
        copy[i + 5] = (byte) (h >> 8);
        copy[i + 6] = (byte) h;
        copy[i + 7] = (byte) (w >> 8);
        copy[i + 8] = (byte) w;
        return copy;
      }
    }
    throw new IllegalArgumentException("no SOF0/SOF2 marker");
  }

  static byte[] flipByte(byte[] bytes, int index) {
    byte[] copy = bytes.clone();
    copy[index] ^= (byte) 0x5A;
    return copy;
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  static byte[] bytes(int... values) {
    byte[] bytes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = (byte) values[i];
    }
    return bytes;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static BadInput undecodable(byte[] bytes) {
    return new BadInput(bytes, RejectReason.UNDECODABLE);
  }

  private static BadInput tooLarge(byte[] bytes) {
    return new BadInput(bytes, RejectReason.TOO_LARGE);
  }

  private static BadInput unsupported(byte[] bytes) {
    return new BadInput(bytes, RejectReason.UNSUPPORTED_FORMAT);
  }
}
