package io.imagestream.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/**
 * Hostile input: thousands of seeded mutations of tiny valid JPEG, PNG, GIF and BMP files (bit flips, insertions,
 * deletions, truncation at every length, header fields lying about sizes with valid checksums, huge dimensions,
 * zero-length and repeated chunks/segments, decompression bombs) through the real {@link ImagePreprocessor#toPixels}.
 *
 * <p>Every input must end as pixels of the right length or an {@link ImageRejectedException}; nothing else may
 * escape, no call may take more than {@link #MAX_CALL_NANOS} (the point: no hang) or allocate more than
 * {@link #MAX_CALL_ALLOCATED_BYTES} on the heap. Deterministic: the seed list is fixed, so a failure reproduces;
 * failing inputs are also written to target/fuzz-failures/.
 */
class DecoderFuzzTest {
  /**
   * CPU time of the decoding thread, not wall time: on a loaded 2-core CI machine wall time doubles or triples while
   * the work does not (the worst case here is ~0.6 s of CPU), and a hang is unbounded either way.
   */
  static final long MAX_CALL_NANOS = 5_000_000_000L;
  static final long MAX_CALL_ALLOCATED_BYTES = 256L << 20;
  private static final long[] SEEDS = {1, 2, 3};
  private static final int RANDOM_MUTATIONS_PER_SEED_FILE = 150;

  /** The product's defaults: 40 M pixels, 16 MiB. */
  private final ImagePreprocessor rgb = new ImagePreprocessor(InputShape.parse("64x64x3"), 40_000_000L,
      16 << 20, Interpolation.BILINEAR);
  private final ImagePreprocessor grey = new ImagePreprocessor(InputShape.parse("28x28x1"), 40_000_000L,
      16 << 20, Interpolation.NEAREST);

  private final com.sun.management.ThreadMXBean threads =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  record Case(String name, byte[] bytes) {}

  private static final class Stats {
    long runs;
    long accepted;
    long rejected;
    long maxNanos;
    String slowest = "";
    long maxAllocated;
    String hungriest = "";
    final List<String> failures = new ArrayList<>();
  }

  @Test
  void seedsAreValidImagesOfEveryFormat() throws Exception {
    Map<String, byte[]> seeds = FuzzSeeds.load();
    assertEquals(FuzzSeeds.NAMES.size(), seeds.size());
    for (Map.Entry<String, byte[]> seed : seeds.entrySet()) {
      assertEquals(rgb.shape().pixelCount(), rgb.toPixels(seed.getValue()).length, seed.getKey());
      assertTrue(seed.getValue().length < 2048, seed.getKey() + " should stay tiny");
    }
  }

  @Test
  void everyMutationEndsAsPixelsOrARejectionQuicklyAndWithBoundedMemory() throws IOException {
    assertTrue(threads.isThreadAllocatedMemorySupported(), "this JVM cannot measure allocations");
    threads.setThreadAllocatedMemoryEnabled(true);
    Stats stats = new Stats();
    Map<String, byte[]> seeds = FuzzSeeds.load();
    for (Map.Entry<String, byte[]> seed : seeds.entrySet()) {
      ImagePreprocessor preprocessor = seed.getKey().contains("grey") ? grey : rgb;
      Consumer<Case> run = c -> run(preprocessor, c, stats);
      for (long s : SEEDS) {
        Mutations.random(seed.getKey(), seed.getValue(), new Random(s * 1_000_003L + seed.getKey().hashCode()),
            RANDOM_MUTATIONS_PER_SEED_FILE, run);
      }
      Mutations.truncations(seed.getKey(), seed.getValue(), run);
      Mutations.structural(seed.getKey(), seed.getValue(), run);
    }
    Files.createDirectories(Path.of("target"));
    String summary = String.format("fuzz: %d inputs, %d accepted, %d rejected, %d failures; slowest %.1f ms (%s); "
            + "most allocated %.1f MB (%s)", stats.runs, stats.accepted, stats.rejected, stats.failures.size(),
        stats.maxNanos / 1e6, stats.slowest, stats.maxAllocated / 1e6, stats.hungriest);
    System.out.println(summary);
    Files.writeString(Path.of("target", "fuzz-summary.txt"), summary + "\n");
    assertTrue(stats.failures.isEmpty(), stats.failures.size() + " failures, first ones:\n"
        + String.join("\n", stats.failures.subList(0, Math.min(20, stats.failures.size()))));
    assertTrue(stats.runs > 10_000, "only " + stats.runs + " inputs");
    assertTrue(stats.maxNanos < MAX_CALL_NANOS, summary);
    assertTrue(stats.maxAllocated < MAX_CALL_ALLOCATED_BYTES, summary);
  }

  private void run(ImagePreprocessor preprocessor, Case c, Stats stats) {
    long threadId = Thread.currentThread().getId();
    long allocatedBefore = threads.getThreadAllocatedBytes(threadId);
    long start = threads.getCurrentThreadCpuTime();
    String failure = null;
    try {
      byte[] pixels = preprocessor.toPixels(c.bytes());
      if (pixels.length != preprocessor.shape().pixelCount()) {
        failure = "wrong pixel count " + pixels.length;
      } else {
        stats.accepted++;
      }
    } catch (ImageRejectedException e) {
      stats.rejected++;
      if (e.getMessage() == null || e.getMessage().isBlank()) {
        failure = "rejection without a message";
      }
    } catch (Throwable e) { // exactly what the test looks for: anything else escaping, OOM included
      failure = e.toString();
    }
    long nanos = threads.getCurrentThreadCpuTime() - start;
    long allocated = threads.getThreadAllocatedBytes(threadId) - allocatedBefore;
    stats.runs++;
    if (nanos > stats.maxNanos) {
      stats.maxNanos = nanos;
      stats.slowest = c.name();
    }
    if (allocated > stats.maxAllocated) {
      stats.maxAllocated = allocated;
      stats.hungriest = c.name();
    }
    if (failure == null && nanos >= MAX_CALL_NANOS) {
      failure = String.format("took %.0f ms of CPU", nanos / 1e6);
    }
    if (failure == null && allocated >= MAX_CALL_ALLOCATED_BYTES) {
      failure = String.format("allocated %.0f MB", allocated / 1e6);
    }
    if (failure != null) {
      stats.failures.add(String.format("%s: %s (%.0f ms, %.0f MB)", c.name(), failure, nanos / 1e6,
          allocated / 1e6));
      save(c);
    }
  }

  private static void save(Case c) {
    try {
      Path dir = Files.createDirectories(Path.of("target", "fuzz-failures"));
      Files.write(dir.resolve(c.name().replaceAll("[^A-Za-z0-9._-]+", "_")), c.bytes());
    } catch (IOException e) {
      // the assertion message names the case anyway
    }
  }

  /** The mutation generators; each case is named after its seed file and what was done to it. */
  static final class Mutations {
    private static final int[] LYING_SIZES = {0, 1, 2, 3, 7, 255, 256, 6000, 32767, 65535};
    /** 64 MiB of zeros, deflated (about 64 KB). */
    private static final byte[] BOMB = deflate(new byte[64 << 20]);
    private static final long[] LYING_INTS = {0, 1, 6000, 65535, 1 << 20, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL};

    private Mutations() {}

    /** Bit flips, byte insertions/deletions/overwrites, duplicated and removed ranges, and combinations. */
    static void random(String name, byte[] seed, Random random, int count, Consumer<Case> out) {
      for (int i = 0; i < count; i++) {
        byte[] bytes = seed.clone();
        StringBuilder what = new StringBuilder(name);
        int steps = 1 + random.nextInt(random.nextInt(4) + 1);
        for (int step = 0; step < steps && bytes.length > 0; step++) {
          int at = random.nextInt(bytes.length);
          switch (random.nextInt(7)) {
            case 0 -> {
              bytes[at] ^= (byte) (1 << random.nextInt(8));
              what.append(" flip@").append(at);
            }
            case 1 -> {
              bytes[at] = (byte) random.nextInt(256);
              what.append(" set@").append(at);
            }
            case 2 -> {
              byte[] inserted = new byte[1 + random.nextInt(8)];
              random.nextBytes(inserted);
              bytes = splice(bytes, at, 0, inserted);
              what.append(" insert").append(inserted.length).append('@').append(at);
            }
            case 3 -> {
              int n = 1 + random.nextInt(Math.min(16, bytes.length - at));
              bytes = splice(bytes, at, n, new byte[0]);
              what.append(" delete").append(n).append('@').append(at);
            }
            case 4 -> {
              int n = 1 + random.nextInt(Math.min(64, bytes.length - at));
              bytes = splice(bytes, at, 0, Arrays.copyOfRange(bytes, at, at + n));
              what.append(" repeat").append(n).append('@').append(at);
            }
            case 5 -> {
              int n = 1 + random.nextInt(Math.min(8, bytes.length - at));
              Arrays.fill(bytes, at, at + n, random.nextBoolean() ? (byte) 0 : (byte) 0xFF);
              what.append(" fill").append(n).append('@').append(at);
            }
            default -> { // interesting values where size fields usually are
              int field = Math.min(at, bytes.length - 2);
              int value = LYING_SIZES[random.nextInt(LYING_SIZES.length)];
              bytes[field] = (byte) (value >> 8);
              bytes[field + 1] = (byte) value;
              what.append(" u16=").append(value).append('@').append(field);
            }
          }
        }
        out.accept(new Case(what.toString(), bytes));
      }
    }

    /** The file cut at every length, and with its end (EOI, IEND, trailer) removed or followed by garbage. */
    static void truncations(String name, byte[] seed, Consumer<Case> out) {
      for (int length = 0; length < seed.length; length++) {
        out.accept(new Case(name + " truncated to " + length, Arrays.copyOf(seed, length)));
      }
      byte[] garbage = new byte[4096];
      new Random(9).nextBytes(garbage);
      out.accept(new Case(name + " + trailing garbage", concat(seed, garbage)));
      out.accept(new Case(name + " twice", concat(seed, seed)));
    }

    /** Format-aware lies: size fields with valid checksums, zero-length and repeated chunks, bombs. */
    static void structural(String name, byte[] seed, Consumer<Case> out) {
      switch (ImageFormat.sniff(seed).orElseThrow()) {
        case PNG -> png(name, seed, out);
        case JPEG -> jpeg(name, seed, out);
        case GIF -> gif(name, seed, out);
        case BMP -> bmp(name, seed, out);
        default -> throw new IllegalArgumentException(name);
      }
    }

    // ---- PNG: chunks are length(4) type(4) data crc(4); IHDR is the first one, at offset 8.

    private record Chunk(int start, int length, String type) {
      int end() {
        return start + 12 + length;
      }
    }

    private static List<Chunk> pngChunks(byte[] png) {
      List<Chunk> chunks = new ArrayList<>();
      int pos = 8;
      while (pos + 12 <= png.length) {
        int length = ByteBuffer.wrap(png, pos, 4).getInt();
        chunks.add(new Chunk(pos, length, new String(png, pos + 4, 4, StandardCharsets.US_ASCII)));
        pos += 12 + length;
      }
      return chunks;
    }

    /** A copy with IHDR's data changed by {@code change} and its CRC recomputed, so that only the lie remains. */
    private static byte[] withIhdr(byte[] png, Consumer<ByteBuffer> change) {
      byte[] copy = png.clone();
      ByteBuffer data = ByteBuffer.wrap(copy, 16, 13).slice();
      change.accept(data);
      CRC32 crc = new CRC32();
      crc.update(copy, 12, 17);
      ByteBuffer.wrap(copy, 29, 4).putInt((int) crc.getValue());
      return copy;
    }

    private static void png(String name, byte[] png, Consumer<Case> out) {
      for (long w : LYING_INTS) {
        for (long h : LYING_INTS) {
          out.accept(new Case(name + " IHDR " + w + "x" + h,
              withIhdr(png, d -> d.putInt(0, (int) w).putInt(4, (int) h))));
        }
      }
      for (int depth : new int[] {0, 1, 2, 3, 4, 5, 8, 16, 32, 255}) {
        for (int colourType : new int[] {0, 1, 2, 3, 4, 5, 6, 7, 255}) {
          out.accept(new Case(name + " IHDR depth " + depth + " colour type " + colourType,
              withIhdr(png, d -> d.put(8, (byte) depth).put(9, (byte) colourType))));
        }
      }
      for (int i = 10; i < 13; i++) { // compression, filter, interlace methods
        int field = i;
        for (int value : new int[] {1, 2, 255}) {
          out.accept(new Case(name + " IHDR byte " + field + "=" + value, withIhdr(png, d -> d.put(field, (byte) value))));
        }
      }
      List<Chunk> chunks = pngChunks(png);
      int afterIhdr = chunks.get(0).end();
      for (String type : new String[] {"IDAT", "PLTE", "tRNS", "IHDR", "IEND", "iCCP", "zTXt", "iTXt", "gAMA",
          "sBIT", "aBcD"}) {
        out.accept(new Case(name + " zero-length " + type + " after IHDR",
            splice(png, afterIhdr, 0, TestImages.pngChunk(type, new byte[0]))));
      }
      for (Chunk chunk : chunks) {
        byte[] bytes = Arrays.copyOfRange(png, chunk.start(), chunk.end());
        out.accept(new Case(name + " " + chunk.type() + " twice", splice(png, chunk.end(), 0, bytes)));
        out.accept(new Case(name + " " + chunk.type() + " 1000 times",
            splice(png, chunk.end(), 0, repeat(bytes, 999))));
        out.accept(new Case(name + " without " + chunk.type(), splice(png, chunk.start(), chunk.end() - chunk.start(),
            new byte[0])));
        for (long length : new long[] {0, 1, chunk.length() + 1, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL}) {
          byte[] copy = png.clone();
          ByteBuffer.wrap(copy, chunk.start(), 4).putInt((int) length);
          out.accept(new Case(name + " " + chunk.type() + " length " + length, copy));
        }
        if (chunk.type().equals("IDAT")) { // damaged image data behind a valid CRC
          byte[] data = Arrays.copyOfRange(png, chunk.start() + 8, chunk.start() + 8 + chunk.length());
          for (int i = 0; i < Math.min(data.length, 40); i++) {
            byte[] damaged = data.clone();
            damaged[i] ^= (byte) 0x55;
            out.accept(new Case(name + " IDAT byte " + i + " damaged, CRC fixed",
                splice(png, chunk.start(), chunk.end() - chunk.start(), TestImages.pngChunk("IDAT", damaged))));
          }
          out.accept(new Case(name + " IDAT split into 1-byte chunks", splice(png, chunk.start(),
              chunk.end() - chunk.start(), splitIdat(data))));
        }
      }
      // Decompression bombs: a few KB that inflate to 64 MB, as image data and as ancillary chunks.
      byte[] bomb = BOMB;
      int firstIdat = chunks.stream().filter(c -> c.type().equals("IDAT")).findFirst().orElseThrow().start();
      out.accept(new Case(name + " IDAT inflating to 64 MB", concat(Arrays.copyOf(png, firstIdat),
          TestImages.pngChunk("IDAT", bomb), TestImages.pngChunk("IEND", new byte[0]))));
      byte[] keyword = "k\0\0".getBytes(StandardCharsets.ISO_8859_1);
      out.accept(new Case(name + " zTXt inflating to 64 MB", splice(png, afterIhdr, 0,
          TestImages.pngChunk("zTXt", concat(keyword, bomb)))));
      out.accept(new Case(name + " iCCP inflating to 64 MB", splice(png, afterIhdr, 0,
          TestImages.pngChunk("iCCP", concat(keyword, bomb)))));
      out.accept(new Case(name + " iTXt inflating to 64 MB", splice(png, afterIhdr, 0,
          TestImages.pngChunk("iTXt", concat("k\0\1\0\0\0".getBytes(StandardCharsets.ISO_8859_1), bomb)))));
      out.accept(new Case(name + " 100000 zero-length IDAT", splice(png, firstIdat, 0,
          repeat(TestImages.pngChunk("IDAT", new byte[0]), 100_000))));
      out.accept(new Case(name + " 19000 zero-length IDAT (just under the chunk limit)", splice(png, firstIdat, 0,
          repeat(TestImages.pngChunk("IDAT", new byte[0]), 19_000))));
    }

    private static byte[] splitIdat(byte[] data) {
      byte[][] parts = new byte[data.length][];
      for (int i = 0; i < data.length; i++) {
        parts[i] = TestImages.pngChunk("IDAT", new byte[] {data[i]});
      }
      return concat(parts);
    }

    // ---- JPEG: marker segments FF xx length(2, including itself) data, up to SOS; then entropy-coded data.

    private record Segment(int start, int marker, int length) {
      int end() {
        return start + 2 + length;
      }
    }

    private static List<Segment> jpegSegments(byte[] jpeg) {
      List<Segment> segments = new ArrayList<>();
      int pos = 2;
      while (pos + 4 <= jpeg.length && (jpeg[pos] & 0xFF) == 0xFF) {
        int marker = jpeg[pos + 1] & 0xFF;
        int length = ((jpeg[pos + 2] & 0xFF) << 8) | (jpeg[pos + 3] & 0xFF);
        segments.add(new Segment(pos, marker, length));
        if (marker == 0xDA) {
          break;
        }
        pos += 2 + length;
      }
      return segments;
    }

    private static void jpeg(String name, byte[] jpeg, Consumer<Case> out) {
      List<Segment> segments = jpegSegments(jpeg);
      for (Segment sof : segments.stream().filter(s -> s.marker() >= 0xC0 && s.marker() <= 0xC2).toList()) {
        for (int h : LYING_SIZES) {
          for (int w : LYING_SIZES) {
            byte[] copy = jpeg.clone();
            putU16(copy, sof.start() + 5, h);
            putU16(copy, sof.start() + 7, w);
            out.accept(new Case(name + " SOF " + w + "x" + h, copy));
          }
        }
        for (int components : new int[] {0, 1, 2, 3, 4, 5, 255}) {
          byte[] copy = jpeg.clone();
          copy[sof.start() + 9] = (byte) components;
          out.accept(new Case(name + " SOF components " + components, copy));
        }
        for (int precision : new int[] {0, 1, 12, 16, 255}) {
          byte[] copy = jpeg.clone();
          copy[sof.start() + 4] = (byte) precision;
          out.accept(new Case(name + " SOF precision " + precision, copy));
        }
        for (int i = sof.start() + 10; i < sof.end(); i++) { // component ids, sampling factors, tables
          for (int value : new int[] {0, 0x44, 0xFF}) {
            byte[] copy = jpeg.clone();
            copy[i] = (byte) value;
            out.accept(new Case(name + " SOF byte " + (i - sof.start()) + "=" + value, copy));
          }
        }
      }
      for (int marker : new int[] {0xE0, 0xE1, 0xE2, 0xEE, 0xFE, 0xDB, 0xC4, 0xC0, 0xDD, 0xDA}) {
        out.accept(new Case(name + " zero-length FF" + Integer.toHexString(marker) + " after SOI",
            splice(jpeg, 2, 0, new byte[] {(byte) 0xFF, (byte) marker, 0, 2})));
      }
      for (Segment segment : segments) {
        String label = "FF" + Integer.toHexString(segment.marker());
        for (int length : new int[] {0, 1, 2, 3, segment.length() - 1, segment.length() + 1, 65535}) {
          byte[] copy = jpeg.clone();
          putU16(copy, segment.start() + 2, length);
          out.accept(new Case(name + " " + label + " length " + length, copy));
        }
        if (segment.marker() != 0xDA) {
          byte[] bytes = Arrays.copyOfRange(jpeg, segment.start(), Math.min(jpeg.length, segment.end()));
          out.accept(new Case(name + " " + label + " twice", splice(jpeg, segment.end(), 0, bytes)));
          out.accept(new Case(name + " " + label + " 1000 times", splice(jpeg, segment.end(), 0, repeat(bytes, 999))));
          out.accept(new Case(name + " without " + label, splice(jpeg, segment.start(),
              segment.end() - segment.start(), new byte[0])));
        }
      }
      out.accept(new Case(name + " double SOI", splice(jpeg, 2, 0, new byte[] {(byte) 0xFF, (byte) 0xD8})));
      out.accept(new Case(name + " 10000 fill bytes", splice(jpeg, 2, 0, filled(10_000, 0xFF))));
      byte[] comment = new byte[65535];
      comment[0] = (byte) 0xFF;
      comment[1] = (byte) 0xFE;
      putU16(comment, 2, 65533);
      out.accept(new Case(name + " 200 maximal COM segments", splice(jpeg, 2, 0, repeat(comment, 200))));
      int scan = segments.get(segments.size() - 1).end();
      out.accept(new Case(name + " scan data all FF00", concat(Arrays.copyOf(jpeg, scan),
          repeat(new byte[] {(byte) 0xFF, 0}, 20_000), new byte[] {(byte) 0xFF, (byte) 0xD9})));
      out.accept(new Case(name + " scan data all RST markers", concat(Arrays.copyOf(jpeg, scan),
          repeat(new byte[] {(byte) 0xFF, (byte) 0xD0}, 20_000), new byte[] {(byte) 0xFF, (byte) 0xD9})));
    }

    // ---- GIF: header(6) screen width(2) height(2) flags bg aspect, colour table, blocks; little-endian.

    private static void gif(String name, byte[] gif, Consumer<Case> out) {
      int descriptor = gifImageDescriptor(gif);
      for (int w : LYING_SIZES) {
        for (int h : LYING_SIZES) {
          byte[] screen = gif.clone();
          putU16Le(screen, 6, w);
          putU16Le(screen, 8, h);
          out.accept(new Case(name + " screen " + w + "x" + h, screen));
          byte[] image = gif.clone();
          putU16Le(image, descriptor + 5, w);
          putU16Le(image, descriptor + 7, h);
          out.accept(new Case(name + " image " + w + "x" + h, image));
          byte[] both = screen.clone();
          putU16Le(both, descriptor + 5, w);
          putU16Le(both, descriptor + 7, h);
          out.accept(new Case(name + " screen and image " + w + "x" + h, both));
          byte[] position = gif.clone();
          putU16Le(position, descriptor + 1, w);
          putU16Le(position, descriptor + 3, h);
          out.accept(new Case(name + " image at " + w + "," + h, position));
        }
      }
      for (int flags : new int[] {0, 0x07, 0x80, 0x87, 0xFF}) {
        byte[] copy = gif.clone();
        copy[10] = (byte) flags;
        out.accept(new Case(name + " screen flags " + flags, copy));
        byte[] local = gif.clone();
        local[descriptor + 9] = (byte) flags;
        out.accept(new Case(name + " image flags " + flags, local));
      }
      int lzw = descriptor + 10 + localTableSize(gif[descriptor + 9]);
      for (int codeSize : new int[] {0, 1, 2, 8, 11, 12, 13, 255}) {
        byte[] copy = gif.clone();
        copy[lzw] = (byte) codeSize;
        out.accept(new Case(name + " LZW code size " + codeSize, copy));
      }
      byte[] header = Arrays.copyOf(gif, descriptor);
      byte[] frame = Arrays.copyOfRange(gif, descriptor, gif.length - 1); // without the trailer
      out.accept(new Case(name + " no frame", concat(header, new byte[] {0x3B})));
      out.accept(new Case(name + " 1000 frames", concat(header, repeat(frame, 1000), new byte[] {0x3B})));
      byte[] extension = {0x21, (byte) 0xF9, 4, 0, 0, 0, 0, 0};
      out.accept(new Case(name + " 10000 control extensions", concat(header, repeat(extension, 10_000), frame,
          new byte[] {0x3B})));
      byte[] emptyData = {0x2C, 0, 0, 0, 0, 16, 0, 12, 0, 0, 2, 0};
      out.accept(new Case(name + " frame with zero-length data", concat(header, emptyData, new byte[] {0x3B})));
      out.accept(new Case(name + " image data of 100000 empty sub-blocks... then garbage",
          concat(Arrays.copyOf(gif, lzw + 1), filled(100_000, 1), new byte[] {0x3B})));
    }

    /** Offset of the first image descriptor (0x2C), after the global colour table and any extensions. */
    private static int gifImageDescriptor(byte[] gif) {
      int pos = 13 + ((gif[10] & 0x80) != 0 ? 3 << ((gif[10] & 7) + 1) : 0);
      while ((gif[pos] & 0xFF) == 0x21) {
        pos += 2;
        while (gif[pos] != 0) {
          pos += (gif[pos] & 0xFF) + 1;
        }
        pos++;
      }
      if (gif[pos] != 0x2C) {
        throw new IllegalStateException("no image descriptor at " + pos);
      }
      return pos;
    }

    private static int localTableSize(byte flags) {
      return (flags & 0x80) != 0 ? 3 << ((flags & 7) + 1) : 0;
    }

    // ---- BMP: file header (14) then BITMAPINFOHEADER; little-endian.

    private static void bmp(String name, byte[] bmp, Consumer<Case> out) {
      long[] lies = {0, 1, -1, 2, 6000, -6000, 65535, 1 << 20, Integer.MAX_VALUE, Integer.MIN_VALUE,
          0xFFFFFFFFL, bmp.length, bmp.length + 1};
      for (long w : lies) {
        for (long h : lies) {
          byte[] copy = bmp.clone();
          putIntLe(copy, 18, (int) w);
          putIntLe(copy, 22, (int) h);
          out.accept(new Case(name + " " + w + "x" + h, copy));
        }
      }
      String[] fields = {"file size@2", "pixel offset@10", "header size@14", "image size@34", "x ppm@38",
          "colours used@46", "important colours@50"};
      for (String field : fields) {
        int at = Integer.parseInt(field.substring(field.indexOf('@') + 1));
        for (long value : lies) {
          if (at + 4 <= bmp.length) {
            byte[] copy = bmp.clone();
            putIntLe(copy, at, (int) value);
            out.accept(new Case(name + " " + field + "=" + value, copy));
          }
        }
      }
      for (int bits : new int[] {0, 1, 2, 4, 8, 15, 16, 24, 32, 48, 64, 0xFFFF}) {
        for (int compression : new int[] {0, 1, 2, 3, 4, 5, 6, 11, -1}) {
          byte[] copy = bmp.clone();
          copy[28] = (byte) bits;
          copy[29] = (byte) (bits >> 8);
          putIntLe(copy, 30, compression);
          out.accept(new Case(name + " " + bits + " bits, compression " + compression, copy));
        }
      }
      for (int planes : new int[] {0, 2, 0xFFFF}) {
        byte[] copy = bmp.clone();
        copy[26] = (byte) planes;
        copy[27] = (byte) (planes >> 8);
        out.accept(new Case(name + " planes " + planes, copy));
      }
      int offset = ByteBuffer.wrap(bmp, 10, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
      out.accept(new Case(name + " no pixel data", Arrays.copyOf(bmp, Math.min(offset, bmp.length))));
      out.accept(new Case(name + " 1 MB of extra pixel data", concat(bmp, new byte[1 << 20])));
    }

    // ---- helpers

    private static byte[] deflate(byte[] data) {
      Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
      deflater.setInput(data);
      deflater.finish();
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      byte[] buffer = new byte[65536];
      while (!deflater.finished()) {
        out.write(buffer, 0, deflater.deflate(buffer));
      }
      deflater.end();
      return out.toByteArray();
    }

    static byte[] splice(byte[] bytes, int at, int remove, byte[] insert) {
      byte[] out = new byte[bytes.length - remove + insert.length];
      System.arraycopy(bytes, 0, out, 0, at);
      System.arraycopy(insert, 0, out, at, insert.length);
      System.arraycopy(bytes, at + remove, out, at + insert.length, bytes.length - at - remove);
      return out;
    }

    static byte[] concat(byte[]... parts) {
      return TestImages.concat(parts);
    }

    private static byte[] repeat(byte[] bytes, int times) {
      byte[] out = new byte[bytes.length * times];
      for (int i = 0; i < times; i++) {
        System.arraycopy(bytes, 0, out, i * bytes.length, bytes.length);
      }
      return out;
    }

    private static byte[] filled(int length, int value) {
      byte[] bytes = new byte[length];
      Arrays.fill(bytes, (byte) value);
      return bytes;
    }

    private static void putU16(byte[] b, int at, int value) {
      b[at] = (byte) (value >> 8);
      b[at + 1] = (byte) value;
    }

    private static void putU16Le(byte[] b, int at, int value) {
      b[at] = (byte) value;
      b[at + 1] = (byte) (value >> 8);
    }

    private static void putIntLe(byte[] b, int at, int value) {
      ByteBuffer.wrap(b, at, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(value);
    }
  }
}
