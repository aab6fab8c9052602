package io.imagestream.image;

import java.io.IOException;
import java.util.Objects;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * An ImageInputStream over the record's bytes themselves. ImageIO's MemoryCacheImageInputStream copies the input
 * into cache blocks of its own first (a tenth of the classifier's garbage per small JPEG, with its wrapping
 * ByteArrayInputStream); the bytes are in memory already.
 */
final class ByteArrayImageInputStream extends ImageInputStreamImpl {
  private final byte[] bytes;

  ByteArrayImageInputStream(byte[] bytes) {
    this.bytes = bytes;
  }

  @Override
  public int read() throws IOException {
    checkClosed();
    bitOffset = 0;
    if (streamPos >= bytes.length) {
      return -1;
    }
    return bytes[(int) streamPos++] & 0xFF;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    checkClosed();
    Objects.checkFromIndexSize(offset, length, buffer.length);
    bitOffset = 0;
    if (length == 0) {
      return 0;
    }
    if (streamPos >= bytes.length) {
      return -1;
    }
    int n = (int) Math.min(length, bytes.length - streamPos);
    System.arraycopy(bytes, (int) streamPos, buffer, offset, n);
    streamPos += n;
    return n;
  }

  @Override
  public long length() {
    return bytes.length;
  }

  /**
   * Empty, as the JDK's own SubImageInputStream and MemoryCacheImageInputStream declare it: the JVM does not register
   * objects whose finalizer is empty. ImageInputStreamImpl's finalizer (it closes the stream) made every one of these
   * streams, one per image ImageIO decodes, finalizable: each young collection kept them and their 8 KiB buffers
   * alive for the finalizer thread, copied them, and took one more collection to free them. The decoder closes the
   * stream itself, and it holds nothing to release but the heap.
   */
  @Override
  @SuppressWarnings({"deprecation", "removal"})
  protected void finalize() {}
}
