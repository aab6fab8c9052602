package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The cluster options' usage errors: one line naming the option, exit 2, before any broker starts. */
class BrokerCommandTest {

  @Test
  void theClusterOptionsGoTogether() {
    CliTest.Run run = CliTest.run("broker", "--node-id", "1", "--port", "0");
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.err().startsWith("imagestream broker: --node-id, --controller-port and --quorum go together"),
        run.toString());
  }

  @Test
  void aNodeMissingFromItsQuorumIsAUsageError() {
    CliTest.Run run = CliTest.run("broker", "--node-id", "4", "--controller-port", "9304", "--quorum",
        "1@127.0.0.1:9301,2@127.0.0.1:9302,3@127.0.0.1:9303");
    assertEquals(2, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.err().contains("--node-id 4 is not in the quorum"), run.toString());
  }

  @Test
  void aMalformedQuorumNamesTheEntry() {
    CliTest.Run run = CliTest.run("broker", "--node-id", "1", "--controller-port", "9301", "--quorum",
        "1@127.0.0.1:9301,two@127.0.0.1:9302");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("quorum entry 'two@127.0.0.1:9302' is not ID@HOST:PORT"), run.toString());
  }

  @Test
  void aReplicationFactorBelowOneIsAUsageError() {
    CliTest.Run run = CliTest.run("topics", "--replication-factor", "0", "--bootstrap-servers", "127.0.0.1:1");
    assertEquals(2, run.exitCode(), run.toString());
    assertTrue(run.err().contains("--replication-factor must be at least 1"), run.toString());
  }
}
