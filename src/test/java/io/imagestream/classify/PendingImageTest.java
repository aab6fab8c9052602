package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The buffer's stored form: round trip, null keys, and buffers left by the version that also stored pixels. */
class PendingImageTest {

  @Test
  void roundTripKeepsEveryField() {
    PendingImage image = new PendingImage(11, 22, "images", 3, 44, "cat.1", "k".getBytes(StandardCharsets.UTF_8),
        new byte[] {1, 2, 3});
    PendingImage back = PendingImage.decode(image.encode());
    assertEquals(11, back.arrivalWallClockMs());
    assertEquals(22, back.timestamp());
    assertEquals("images", back.topic());
    assertEquals(3, back.partition());
    assertEquals(44, back.offset());
    assertEquals("cat.1", back.id());
    assertArrayEquals(image.key(), back.key());
    assertArrayEquals(image.original(), back.original());
  }

  @Test
  void aNullKeyStaysNullAndTheOutputKeyIsTheId() {
    PendingImage back = PendingImage.decode(new PendingImage(1, 2, "t", 0, 5, "t-0-5", null, new byte[] {9})
        .encode());
    assertNull(back.key());
    assertArrayEquals("t-0-5".getBytes(StandardCharsets.UTF_8), back.outputKey());
  }

  @Test
  void aBufferWrittenWithPixelsByTheOlderFormatIsStillRead() {
    byte[] topic = "images".getBytes(StandardCharsets.UTF_8);
    byte[] id = "img-1".getBytes(StandardCharsets.UTF_8);
    byte[] original = {7, 7, 7};
    byte[] pixels = new byte[2 * 2 * 1];
    ByteBuffer v1 = ByteBuffer.allocate(1 + 8 + 8 + 4 + topic.length + 4 + 8 + 4 + id.length + 4 + 4
        + original.length + 12 + 4 + pixels.length);
    v1.put((byte) 1).putLong(100).putLong(200).putInt(topic.length).put(topic).putInt(2).putLong(9)
        .putInt(id.length).put(id).putInt(-1).putInt(original.length).put(original)
        .putInt(2).putInt(2).putInt(1).putInt(pixels.length).put(pixels);
    PendingImage image = PendingImage.decode(v1.array());
    assertEquals("img-1", image.id());
    assertEquals(9, image.offset());
    assertArrayEquals(original, image.original());
  }

  @Test
  void anUnknownFormatIsRefusedLoudly() {
    assertThrows(IllegalStateException.class, () -> PendingImage.decode(new byte[] {42, 0, 0}));
  }
}
