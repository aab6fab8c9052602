package io.imagestream.kafka;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** The headers a dead letter carries (see the contract's images-dlq topic). */
public final class DeadLetters {
  public static final String REASON = "imagestream.error.reason";
  public static final String MESSAGE = "imagestream.error.message";
  public static final String SOURCE_TOPIC = "imagestream.source.topic";
  public static final String SOURCE_PARTITION = "imagestream.source.partition";
  public static final String SOURCE_OFFSET = "imagestream.source.offset";

  /** The reasons of the contract: the image package's rejections plus INTERNAL (our failure, not the input's); the trainer adds MISSING_LABEL, INVALID_LABEL and TOO_MANY_CLASSES. */
  public static final String INTERNAL = "INTERNAL";
  public static final String MISSING_LABEL = "MISSING_LABEL";
  /**
   * A label that cannot be a class name: not valid UTF-8, control or format characters (newline, tab, NUL, bidi
   * overrides), or over 200 characters. Unicode letters, slashes and quotes are fine.
   */
  public static final String INVALID_LABEL = "INVALID_LABEL";
  public static final String TOO_MANY_CLASSES = "TOO_MANY_CLASSES";

  private static final int MAX_MESSAGE_CHARS = 1000;

  private DeadLetters() {}

  public static Headers headers(String reason, String message, String topic, int partition, long offset) {
    String text = message == null ? "" : message;
    if (text.length() > MAX_MESSAGE_CHARS) {
      text = text.substring(0, MAX_MESSAGE_CHARS) + "...";
    }
    RecordHeaders headers = new RecordHeaders();
    headers.add(REASON, utf8(reason));
    headers.add(MESSAGE, utf8(text));
    headers.add(SOURCE_TOPIC, utf8(topic));
    headers.add(SOURCE_PARTITION, utf8(Integer.toString(partition)));
    headers.add(SOURCE_OFFSET, utf8(Long.toString(offset)));
    return headers;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
