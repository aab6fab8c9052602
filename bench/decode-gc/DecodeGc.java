package io.imagestream.bench;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.InputShape;
import io.imagestream.image.Interpolation;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * Decodes 28x28 grey PNGs (the bench's) on two threads for 20 s after a 10 s warm-up, and prints images/s with the
 * JVM's collections and their time: what the decoders' garbage costs the collector (docs/performance.md, session 12).
 * Run by bench/decode-gc.sh.
 */
public class DecodeGc {
  public static void main(String[] a) throws Exception {
    byte[][] images = BenchImages.make(BenchImages.Kind.PNG_GREY_28, 200, 2);
    ImagePreprocessor p = new ImagePreprocessor(new InputShape(28, 28, 1), 100_000_000L, 64 << 20, Interpolation.BILINEAR);
    long end0 = System.nanoTime() + 10_000_000_000L; // warm-up
    run(p, images, end0);
    long gcN = 0, gcMs = 0;
    for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) { gcN -= b.getCollectionCount(); gcMs -= b.getCollectionTime(); }
    long t0 = System.nanoTime();
    Thread[] ts = new Thread[2]; long[] counts = new long[2];
    for (int i = 0; i < 2; i++) { int k = i; ts[i] = new Thread(() -> counts[k] = run(p, images, t0 + 20_000_000_000L)); ts[i].start(); }
    for (Thread t : ts) t.join();
    double s = (System.nanoTime() - t0) / 1e9;
    for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) { gcN += b.getCollectionCount(); gcMs += b.getCollectionTime(); }
    System.out.printf("decode-gc, %s: %.0f images/s, %d collections, %.1f collections/s, %d ms of GC (%.1f ms per s)%n", a.length > 0 ? a[0] : "this build", (counts[0] + counts[1]) / s, gcN, gcN / s, gcMs, gcMs / s);
  }

  static long run(ImagePreprocessor p, byte[][] images, long end) {
    long n = 0;
    try {
      while (System.nanoTime() < end) { for (int i = 0; i < 100; i++) p.toPixels(images[(int) (n++ % images.length)]); }
    } catch (Exception e) { throw new RuntimeException(e); }
    return n;
  }
}
