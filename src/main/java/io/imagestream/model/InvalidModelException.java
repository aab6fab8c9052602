package io.imagestream.model;

/** A model artifact that cannot be served: unreadable, tampered with, or not matching its own metadata. */
public final class InvalidModelException extends Exception {
  public InvalidModelException(String message) {
    super(message);
  }

  public InvalidModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
