package io.imagestream.classify;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * An image waiting in the batch buffer, as stored (and changelogged) in the state store: where it came from and its
 * original key and bytes (a dead letter or a to-label record must carry them unchanged). Its pixels are not stored:
 * they are several times the size of a small JPEG, and decoding again after a crash is cheaper than writing them to
 * the changelog for every image.
 */
record PendingImage(long arrivalWallClockMs, long timestamp, String topic, int partition, long offset, String id,
                    byte[] key, byte[] original) {

  /** 2: without pixels. 1 (still read, for buffers left by an older version): followed by a shape and pixels. */
  private static final byte FORMAT_VERSION = 2;
  private static final byte FORMAT_WITH_PIXELS = 1;

  byte[] encode() {
    byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
    byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
    int size = 1 + 8 + 8 + 4 + topicBytes.length + 4 + 8 + 4 + idBytes.length + 4 + (key == null ? 0 : key.length)
        + 4 + original.length;
    ByteBuffer buffer = ByteBuffer.allocate(size);
    buffer.put(FORMAT_VERSION).putLong(arrivalWallClockMs).putLong(timestamp);
    putBytes(buffer, topicBytes);
    buffer.putInt(partition).putLong(offset);
    putBytes(buffer, idBytes);
    putBytes(buffer, key);
    putBytes(buffer, original);
    return buffer.array();
  }

  static PendingImage decode(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    byte version = buffer.get();
    if (version != FORMAT_VERSION && version != FORMAT_WITH_PIXELS) {
      throw new IllegalStateException("pending image stored in unknown format version " + version);
    }
    long arrival = buffer.getLong();
    long timestamp = buffer.getLong();
    String topic = new String(getBytes(buffer), StandardCharsets.UTF_8);
    int partition = buffer.getInt();
    long offset = buffer.getLong();
    String id = new String(getBytes(buffer), StandardCharsets.UTF_8);
    byte[] key = getBytes(buffer);
    byte[] original = getBytes(buffer);
    return new PendingImage(arrival, timestamp, topic, partition, offset, id, key, original);
  }

  private static void putBytes(ByteBuffer buffer, byte[] bytes) {
    if (bytes == null) {
      buffer.putInt(-1);
    } else {
      buffer.putInt(bytes.length).put(bytes);
    }
  }

  private static byte[] getBytes(ByteBuffer buffer) {
    int length = buffer.getInt();
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[length];
    buffer.get(bytes);
    return bytes;
  }

  /** The key the outputs carry: the input's key, or the id made up for a null key. */
  byte[] outputKey() {
    return key != null ? key : id.getBytes(StandardCharsets.UTF_8);
  }
}
