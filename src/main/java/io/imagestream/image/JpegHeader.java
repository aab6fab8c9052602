package io.imagestream.image;

/**
 * The two facts about a JPEG that ImageIO does not tell us in a usable way: how many colour components the frame
 * has (4 = CMYK or YCCK) and the Adobe APP14 marker's colour transform, if that marker is present.
 *
 * @param components the SOF frame's component count, 0 if no frame header was found before the scan data
 * @param adobeTransform the APP14 "Adobe" transform byte (0 = CMYK/RGB as stored, 1 = YCbCr, 2 = YCCK), or -1
 */
record JpegHeader(int components, int adobeTransform) {

  static final int NO_ADOBE_MARKER = -1;
  static final int ADOBE_YCCK = 2;

  private static final int SOS = 0xDA;
  private static final int EOI = 0xD9;
  private static final int APP14 = 0xEE;
  private static final byte[] ADOBE = Magic.ascii("Adobe");

  boolean hasAdobeMarker() {
    return adobeTransform != NO_ADOBE_MARKER;
  }

  /** Walks the marker segments from SOI up to the first scan; never throws, stops at anything malformed. */
  static JpegHeader parse(byte[] jpeg) {
    int components = 0;
    int adobeTransform = NO_ADOBE_MARKER;
    int pos = 2; // after SOI
    while (pos + 4 <= jpeg.length && (jpeg[pos] & 0xFF) == 0xFF) {
      int marker = jpeg[pos + 1] & 0xFF;
      if (marker == 0xFF) { // fill byte before a marker
        pos++;
        continue;
      }
      if (marker == SOS || marker == EOI) {
        break;
      }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { // markers without a length
        pos += 2;
        continue;
      }
      int length = ((jpeg[pos + 2] & 0xFF) << 8) | (jpeg[pos + 3] & 0xFF);
      int data = pos + 4;
      if (length < 2 || pos + 2 + length > jpeg.length) {
        break;
      }
      if (isStartOfFrame(marker) && length >= 8) {
        components = jpeg[data + 5] & 0xFF; // precision(1) height(2) width(2) components(1)
      } else if (marker == APP14 && length >= 14 && Magic.startsWith(jpeg, data, ADOBE)) {
        adobeTransform = jpeg[data + 11] & 0xFF; // "Adobe"(5) version(2) flags0(2) flags1(2) transform(1)
      }
      pos += 2 + length;
    }
    return new JpegHeader(components, adobeTransform);
  }

  /** SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC) which share that range. */
  private static boolean isStartOfFrame(int marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
  }
}
