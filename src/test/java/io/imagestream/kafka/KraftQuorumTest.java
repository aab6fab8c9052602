package io.imagestream.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KraftQuorumTest {
  private static final String THREE = "1@127.0.0.1:9301,2@127.0.0.1:9302,3@127.0.0.1:9303";

  @Test
  void everyNodeOfAQuorumComputesTheSameClusterIdAndVoters() {
    KraftQuorum one = KraftQuorum.parse(1, 9301, THREE);
    KraftQuorum three = KraftQuorum.parse(3, 9303, "3@127.0.0.1:9303, 1@127.0.0.1:9301,2@127.0.0.1:9302");
    assertEquals(one.clusterId(), three.clusterId(), "the order of the list does not matter");
    assertEquals(THREE, three.votersConfig());
    assertEquals(22, one.clusterId().length(), "a Kafka cluster id: 16 bytes in URL-safe base64");
    assertNotEquals(one.clusterId(), KraftQuorum.parse(1, 9301, "1@127.0.0.1:9301,2@127.0.0.1:9302").clusterId(),
        "another quorum is another cluster");
    assertEquals("127.0.0.1", three.host());
  }

  @Test
  void threeNodesOrMoreReplicateThreeTimesWithTwoInSync() {
    KraftQuorum three = KraftQuorum.parse(2, 9302, THREE);
    assertEquals(3, three.replicationFactor());
    assertEquals(2, three.minInSyncReplicas());
    assertEquals(3, KraftQuorum.parse(1, 1, THREE.replace("9301", "1") + ",4@h:4,5@h:5").replicationFactor());
    KraftQuorum two = KraftQuorum.parse(1, 9301, "1@127.0.0.1:9301,2@127.0.0.1:9302");
    assertEquals(2, two.replicationFactor());
    assertEquals(1, two.minInSyncReplicas());
    Map<String, String> props = EmbeddedKafkaBroker.clusterProperties(three);
    assertEquals("3", props.get("default.replication.factor"));
    assertEquals("2", props.get("min.insync.replicas"));
    assertEquals("3", props.get("offsets.topic.replication.factor"));
    assertEquals("3", props.get("transaction.state.log.replication.factor"));
    assertEquals("2", props.get("transaction.state.log.min.isr"));
    assertEquals("2", props.get("node.id"));
    assertEquals(THREE, props.get("controller.quorum.voters"));
  }

  @Test
  void mistakesNameTheEntryOrTheOption() {
    for (List<String> bad : List.of(
        List.of("4", "9304", "is not in the quorum"),
        List.of("1", "9999", "differs from node 1's port"))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> KraftQuorum.parse(Integer.parseInt(bad.get(0)), Integer.parseInt(bad.get(1)), THREE));
      assertTrue(e.getMessage().contains(bad.get(2)), e.getMessage());
    }
    IllegalArgumentException malformed = assertThrows(IllegalArgumentException.class,
        () -> KraftQuorum.parse(1, 9301, "1@127.0.0.1:9301,2-127.0.0.1:9302"));
    assertEquals("quorum entry '2-127.0.0.1:9302' is not ID@HOST:PORT", malformed.getMessage());
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> KraftQuorum.parse(1, 9301, "1@127.0.0.1:9301,1@127.0.0.1:9302"));
    assertTrue(twice.getMessage().startsWith("node id 1 appears twice"), twice.getMessage());
  }
}
