package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The console command's options and its refusal to listen beyond loopback without a token (no Kafka needed). */
class ConsoleCommandTest {
  @Test
  void aNonLoopbackHostWithoutATokenIsRefusedWithOneLineAndExitTwo() {
    CliTest.Run run = CliTest.run("console", "--host", "0.0.0.0", "--bootstrap-servers", "127.0.0.1:1");
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.err().startsWith("imagestream console: ") && run.err().contains("imagestream.console.token"),
        run.err());
    assertEquals("", run.out());
  }

  @Test
  void helpNamesTheDefaults() {
    CliTest.Run run = CliTest.run("console", "--help");
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("--port") && run.out().contains("9402"), run.out());
    assertTrue(run.out().contains("--host") && run.out().contains("127.0.0.1"), run.out());
    assertTrue(run.out().contains("--bootstrap-servers") && run.out().contains("--config"), run.out());
  }
}
