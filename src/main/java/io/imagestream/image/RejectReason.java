package io.imagestream.image;

/** Why an input cannot become model pixels. The names are part of the external contract (dead-letter headers). */
public enum RejectReason {
  /** No bytes at all. */
  EMPTY,
  /** Not an image we recognise, or a supported format whose content is broken or truncated. */
  UNDECODABLE,
  /** More bytes, or more pixels in the header, than the configured limits allow. */
  TOO_LARGE,
  /** A recognised image format that is not supported here (WebP, TIFF, HEIC, ...). */
  UNSUPPORTED_FORMAT
}
