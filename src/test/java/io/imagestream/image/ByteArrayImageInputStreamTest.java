package io.imagestream.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import org.junit.jupiter.api.Test;

/** The decoders' input stream over a record's bytes: reads, seeks back and ends as ImageIO's own streams do. */
class ByteArrayImageInputStreamTest {

  @Test
  void readsTheBytesThenEndsWithMinusOne() throws IOException {
    try (ByteArrayImageInputStream in = new ByteArrayImageInputStream(new byte[] {1, 2, (byte) 0xFF})) {
      assertEquals(3, in.length());
      assertEquals(1, in.read());
      byte[] rest = new byte[5];
      assertEquals(2, in.read(rest, 1, 4), "only what is left");
      assertArrayEquals(new byte[] {0, 2, (byte) 0xFF, 0, 0}, rest);
      assertEquals(-1, in.read());
      assertEquals(-1, in.read(rest, 0, 1));
      assertEquals(0, in.read(rest, 0, 0));
      in.seek(1); // the JPEG reader seeks back to read a CMYK image again as a raster
      assertEquals(2, in.read());
      assertEquals(2, in.getStreamPosition());
      assertThrows(IndexOutOfBoundsException.class, () -> in.read(rest, 4, 2));
    }
  }

  @Test
  void aClosedStreamRefusesToRead() throws IOException {
    ByteArrayImageInputStream in = new ByteArrayImageInputStream(new byte[] {1});
    in.close();
    assertThrows(IOException.class, in::read);
  }

  /**
   * Not finalizable: one collection frees a dropped stream. A finalizable object survives its first collection
   * (the finalizer thread must run first), so its phantom reference is queued only after a second one.
   */
  @Test
  void oneCollectionFreesADroppedStream() throws InterruptedException {
    ReferenceQueue<Object> queue = new ReferenceQueue<>();
    PhantomReference<Object> dropped = droppedStream(queue);
    System.gc();
    assertEquals(dropped, queue.remove(10_000), "the stream was still held after a full collection");
  }

  /** In a method of its own, so that no local variable of the test's frame keeps the stream reachable. */
  private static PhantomReference<Object> droppedStream(ReferenceQueue<Object> queue) {
    ByteArrayImageInputStream stream = new ByteArrayImageInputStream(new byte[] {1, 2, 3});
    return new PhantomReference<>(stream, queue);
  }
}
