package io.imagestream.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.Uuid;

/**
 * One node's place in a multi-node KRaft cluster with a static quorum ({@code controller.quorum.voters}): every node
 * is a broker and a controller, and the voters are the same list on every node.
 *
 * <p>Nodes agree on the cluster id without a shared formatting step: it is derived from the voter list, so nodes
 * started with the same {@code --quorum} form one cluster, and a different list can never join it by mistake.
 */
public record KraftQuorum(int nodeId, int controllerPort, List<Voter> voters) {
  private static final Pattern VOTER = Pattern.compile("(\\d+)@([^:@,\\s]+):(\\d+)");
  /** Kafka's usual production settings, reached from three nodes on. */
  static final int MAX_REPLICATION = 3;

  /** One controller of the quorum: node id, host, controller port. */
  public record Voter(int id, String host, int port) {
    @Override
    public String toString() {
      return id + "@" + host + ":" + port;
    }
  }

  public KraftQuorum {
    voters = List.copyOf(voters);
    Voter self = null;
    for (Voter voter : voters) {
      self = voter.id() == nodeId ? voter : self;
    }
    if (self == null) {
      throw new IllegalArgumentException("--node-id " + nodeId + " is not in the quorum " + join(voters));
    }
    if (self.port() != controllerPort) {
      throw new IllegalArgumentException("--controller-port " + controllerPort + " differs from node " + nodeId
          + "'s port in the quorum (" + self + ")");
    }
  }

  /**
   * Parses {@code 1@HOST:C1,2@HOST:C2,...}; errors name the faulty entry.
   *
   * @throws IllegalArgumentException on a malformed entry, a repeated id or a node not in the list
   */
  public static KraftQuorum parse(int nodeId, int controllerPort, String quorum) {
    List<Voter> voters = new ArrayList<>();
    Map<Integer, Voter> byId = new HashMap<>();
    for (String entry : quorum.split(",")) {
      Matcher m = VOTER.matcher(entry.strip());
      if (!m.matches()) {
        throw new IllegalArgumentException("quorum entry '" + entry.strip() + "' is not ID@HOST:PORT");
      }
      Voter voter = new Voter(Integer.parseInt(m.group(1)), m.group(2), Integer.parseInt(m.group(3)));
      if (byId.put(voter.id(), voter) != null) {
        throw new IllegalArgumentException("node id " + voter.id() + " appears twice in the quorum " + quorum);
      }
      voters.add(voter);
    }
    voters.sort(Comparator.comparingInt(Voter::id));
    return new KraftQuorum(nodeId, controllerPort, voters);
  }

  /** This node's host: its listeners bind to it and advertise it. */
  public String host() {
    return voters.stream().filter(v -> v.id() == nodeId).findFirst().orElseThrow().host();
  }

  /** The {@code controller.quorum.voters} value, the same on every node. */
  public String votersConfig() {
    return join(voters);
  }

  /** Replicas per partition the cluster's defaults ask for: one per node, at most three. */
  public int replicationFactor() {
    return Math.min(MAX_REPLICATION, voters.size());
  }

  /** {@code min.insync.replicas} that goes with {@link #replicationFactor()}: 2 of 3, else 1. */
  public int minInSyncReplicas() {
    return replicationFactor() >= MAX_REPLICATION ? 2 : 1;
  }

  /**
   * A cluster id every node computes alike from the voter list (Kafka wants 16 random-looking bytes, base64): the
   * first 16 bytes of its SHA-256.
   */
  public String clusterId() {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(votersConfig().getBytes(StandardCharsets.UTF_8));
      ByteBuffer bytes = ByteBuffer.wrap(digest);
      Uuid id = new Uuid(bytes.getLong(), bytes.getLong());
      return (id.equals(Uuid.ZERO_UUID) || id.equals(Uuid.METADATA_TOPIC_ID) ? Uuid.ONE_UUID : id).toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static String join(List<Voter> voters) {
    return String.join(",", voters.stream().map(Voter::toString).toList());
  }
}
