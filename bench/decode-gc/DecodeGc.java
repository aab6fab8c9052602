package io.imagestream.bench;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.ImageRejectedException;
import io.imagestream.image.InputShape;
import io.imagestream.image.Interpolation;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * Decodes the bench's 28x28 grey PNGs on two threads for 20 s after a 10 s warm-up, and prints images/s with the
 * JVM's collections and their time: what the decoders' garbage costs the collector (docs/performance.md,
 * "No finalizer per ImageIO decode").
 * Run by bench/decode-gc.sh.
 */
public final class DecodeGc {
  private static final long WARM_UP_NANOS = 10_000_000_000L;
  private static final long MEASURE_NANOS = 20_000_000_000L;
  private static final int THREADS = 2;

  public static void main(String[] args) throws Exception {
    String label = args.length > 0 ? args[0] : "this build";
    // -Dpng.builtin=false: every PNG through ImageIO (imagestream.decode.png.builtin=false)
    boolean builtinPng = Boolean.parseBoolean(System.getProperty("png.builtin", "true"));
    ImagePreprocessor.useBuiltinPng(builtinPng);
    label += builtinPng ? " (built-in PNG decoder)" : " (ImageIO PNG decoder)";
    byte[][] images = BenchImages.make(BenchImages.Kind.PNG_GREY_28, 200, BenchImages.Kind.PNG_GREY_28.ordinal());
    ImagePreprocessor preprocessor =
        new ImagePreprocessor(new InputShape(28, 28, 1), 100_000_000L, 64 << 20, Interpolation.BILINEAR);
    decode(preprocessor, images, System.nanoTime() + WARM_UP_NANOS);

    long collections = -collections();
    long gcMillis = -gcMillis();
    long start = System.nanoTime();
    long[] decoded = new long[THREADS];
    Thread[] threads = new Thread[THREADS];
    for (int i = 0; i < THREADS; i++) {
      int thread = i;
      threads[i] = new Thread(() -> decoded[thread] = decode(preprocessor, images, start + MEASURE_NANOS));
      threads[i].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    collections += collections();
    gcMillis += gcMillis();
    long total = 0;
    for (long n : decoded) {
      total += n;
    }
    System.out.printf("decode-gc, %s: %.0f images/s, %d collections, %.1f collections/s, %d ms of GC (%.1f ms per s)%n",
        label, total / seconds, collections, collections / seconds, gcMillis, gcMillis / seconds);
  }

  /** Decodes images round-robin until the deadline; returns how many. */
  private static long decode(ImagePreprocessor preprocessor, byte[][] images, long deadlineNanos) {
    long n = 0;
    try {
      while (System.nanoTime() < deadlineNanos) {
        for (int i = 0; i < 100; i++, n++) {
          preprocessor.toPixels(images[(int) (n % images.length)]);
        }
      }
    } catch (ImageRejectedException e) {
      throw new IllegalStateException("a benchmark image was refused: " + e.getMessage(), e);
    }
    return n;
  }

  private static long collections() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream()
        .mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
  }

  private static long gcMillis() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream()
        .mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
  }
}
