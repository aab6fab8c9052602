package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which level the libraries log at: WARN unless the command line or the environment asks for more. */
class LoggingTest {
  @Test
  void librariesLogWarningsByDefault() {
    assertEquals("warn", Logging.librariesLevel(new String[] {"predict", "x.png"}, Map.of()));
  }

  @Test
  void verboseAnywhereBeforeTheEndOfOptionsBringsInfoBack() {
    assertEquals("info", Logging.librariesLevel(new String[] {"--verbose", "classify"}, Map.of()));
    assertEquals("info", Logging.librariesLevel(new String[] {"classify", "--verbose"}, Map.of()));
    assertEquals("warn", Logging.librariesLevel(new String[] {"predict", "--", "--verbose"}, Map.of()));
  }

  @Test
  void theEnvironmentCanAskToo() {
    assertEquals("info", Logging.librariesLevel(new String[] {"tail"}, Map.of(Logging.VERBOSE_ENV, "1")));
    assertEquals("info", Logging.librariesLevel(new String[] {"tail"}, Map.of(Logging.VERBOSE_ENV, "true")));
    assertEquals("warn", Logging.librariesLevel(new String[] {"tail"}, Map.of(Logging.VERBOSE_ENV, "0")));
    assertEquals("debug", Logging.librariesLevel(new String[] {"--verbose"}, Map.of(Logging.LEVEL_ENV, "DEBUG")));
    assertEquals("error", Logging.librariesLevel(new String[] {"tail"}, Map.of(Logging.LEVEL_ENV, "error")));
    assertEquals("warn", Logging.librariesLevel(new String[] {"tail"}, Map.of(Logging.LEVEL_ENV, "loud")));
  }
}
