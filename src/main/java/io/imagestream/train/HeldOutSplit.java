package io.imagestream.train;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Which labelled images are held out for validation: a stable hash of the image id, so an image never moves between
 * training and held-out data (not across retrainings, restarts or trainer instances).
 */
public final class HeldOutSplit {
  private HeldOutSplit() {}

  public static boolean isHeldOut(String imageId, int percent) {
    CRC32 crc = new CRC32();
    crc.update(imageId.getBytes(StandardCharsets.UTF_8));
    return crc.getValue() % 100 < percent;
  }
}
