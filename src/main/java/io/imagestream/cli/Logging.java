package io.imagestream.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The CLI's log levels: imagestream's own lines at INFO, the libraries' (Kafka, Kafka Streams, ND4J, DL4J) at WARN
 * unless {@code --verbose}, {@code IMAGESTREAM_VERBOSE=1} or {@code IMAGESTREAM_LOG_LEVEL=LEVEL} ask for more.
 *
 * <p>slf4j-simple reads its settings once, when the first logger is made, and system properties win over
 * simplelogger.properties; so {@link #configure} runs first thing in {@link Main}, before picocli instantiates any
 * command class. A {@code -Dorg.slf4j.simpleLogger...} given on the java command line still wins.
 */
final class Logging {
  static final String VERBOSE_OPTION = "--verbose";
  static final String VERBOSE_ENV = "IMAGESTREAM_VERBOSE";
  static final String LEVEL_ENV = "IMAGESTREAM_LOG_LEVEL";

  private static final String PREFIX = "org.slf4j.simpleLogger.";
  private static final List<String> LEVELS = List.of("trace", "debug", "info", "warn", "error", "off");
  /** Loggers simplelogger.properties holds at WARN (hundreds of INFO lines each); verbose brings them back too. */
  private static final List<String> NOISY = List.of("kafka", "org.apache.kafka", "state.change.logger",
      "org.apache.zookeeper");
  private static final Set<String> TRUE = Set.of("1", "true", "yes", "on");

  private Logging() {}

  /** Sets slf4j-simple's levels from the command line and the environment; returns the libraries' level. */
  static String configure(String[] args, Map<String, String> environment) {
    String level = librariesLevel(args, environment);
    setUnlessGiven(PREFIX + "defaultLogLevel", level);
    // Our own lines (start lines, the trainer's verdicts, refused models) stay at INFO at least.
    setUnlessGiven(PREFIX + "log.io.imagestream", LEVELS.indexOf(level) < LEVELS.indexOf("info") ? level : "info");
    if (!level.equals("warn")) {
      NOISY.forEach(logger -> setUnlessGiven(PREFIX + "log." + logger, level));
    }
    return level;
  }

  static String librariesLevel(String[] args, Map<String, String> environment) {
    String explicit = environment.get(LEVEL_ENV);
    if (explicit != null && LEVELS.contains(explicit.trim().toLowerCase(Locale.ROOT))) {
      return explicit.trim().toLowerCase(Locale.ROOT);
    }
    String verboseEnv = environment.get(VERBOSE_ENV);
    boolean verbose = verboseEnv != null && TRUE.contains(verboseEnv.trim().toLowerCase(Locale.ROOT));
    for (String arg : args) {
      if (arg.equals("--")) {
        break; // what follows are positional parameters, e.g. a file named --verbose
      }
      verbose |= arg.equals(VERBOSE_OPTION);
    }
    return verbose ? "info" : "warn";
  }

  private static void setUnlessGiven(String property, String value) {
    if (System.getProperty(property) == null) {
      System.setProperty(property, value);
    }
  }
}
