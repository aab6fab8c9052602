package io.imagestream.console;

import io.imagestream.config.ImagestreamConfig;
import java.util.Map;

/** The settings the console runs with, read once from the configuration. */
record ConsoleSettings(Map<String, Object> clientProperties, String images, String predictions, String deadLetters,
                       String toLabel, String labelled, String models, long maxImageBytes, int recentImages,
                       int recentDeadLetters, long bufferBytes, int queueMax, String token) {

  static ConsoleSettings from(ImagestreamConfig c) {
    org.apache.kafka.common.config.types.Password token = c.getPassword(ImagestreamConfig.CONSOLE_TOKEN);
    return new ConsoleSettings(c.clientProperties(), c.getString(ImagestreamConfig.TOPIC_IMAGES),
        c.getString(ImagestreamConfig.TOPIC_PREDICTIONS), c.getString(ImagestreamConfig.TOPIC_DLQ),
        c.getString(ImagestreamConfig.TOPIC_TO_LABEL), c.getString(ImagestreamConfig.TOPIC_LABELLED),
        c.getString(ImagestreamConfig.TOPIC_MODELS), c.getInt(ImagestreamConfig.DECODE_MAX_BYTES),
        c.getInt(ImagestreamConfig.CONSOLE_RECENT_IMAGES), c.getInt(ImagestreamConfig.CONSOLE_RECENT_DEAD_LETTERS),
        c.getLong(ImagestreamConfig.CONSOLE_BUFFER_BYTES), c.getInt(ImagestreamConfig.CONSOLE_QUEUE_MAX),
        token == null || token.value().isBlank() ? null : token.value());
  }

  /** The largest record the console's consumers and producer may meet (photos up to the decode limit). */
  int maxRecordBytes() {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(maxImageBytes + 1024 * 1024, 64L * 1024 * 1024));
  }

  @Override
  public String toString() { // never the token
    return "ConsoleSettings[" + images + ", " + predictions + ", " + deadLetters + ", " + toLabel + ", " + labelled
        + ", " + models + ", token " + (token == null ? "none" : "set") + "]";
  }
}
