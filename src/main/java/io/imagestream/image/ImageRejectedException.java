package io.imagestream.image;

import java.util.Objects;

/** An input that cannot become model pixels; {@link #reason()} says why, the message says it for humans. */
public final class ImageRejectedException extends Exception {

  private static final long serialVersionUID = 1L;

  private final RejectReason reason;

  public ImageRejectedException(RejectReason reason, String message) {
    this(reason, message, null);
  }

  /** Keeps the decoder's exception as the cause, for logs. */
  ImageRejectedException(RejectReason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public RejectReason reason() {
    return reason;
  }
}
