package io.imagestream.kafka;

import java.util.Optional;
import java.util.TreeSet;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

/**
 * A refusal by the broker's authorizer, as one line naming what was refused (topic, consumer group, transactional id
 * or the cluster), so that an operator knows which ACL is missing. Kafka's own messages leave out the transactional
 * id, and often the group; the caller knows them.
 */
public final class AccessDenied {
  private AccessDenied() {}

  /**
   * The line for the first authorization failure in {@code e}'s cause chain, if there is one.
   *
   * @param groupId         the consumer group the client uses (named when Kafka's exception leaves it out), or null
   * @param transactionalId the transactional id (or its prefix, ending in '*') the client uses, or null
   */
  public static Optional<String> describe(Throwable e, String groupId, String transactionalId) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof AuthorizationException denied) {
        return Optional.of("not authorized: " + resource(denied, groupId, transactionalId)
            + " (the broker's authorizer refused it; docs/cluster.md lists the ACLs each service needs)");
      }
    }
    return Optional.empty();
  }

  private static String resource(AuthorizationException e, String groupId, String transactionalId) {
    if (e instanceof TopicAuthorizationException topics && !topics.unauthorizedTopics().isEmpty()) {
      return (topics.unauthorizedTopics().size() == 1 ? "topic " : "topics ")
          + String.join(", ", new TreeSet<>(topics.unauthorizedTopics()));
    }
    if (e instanceof GroupAuthorizationException group) {
      String id = group.groupId() != null ? group.groupId() : groupId;
      return "consumer group " + (id == null ? "(unknown)" : id);
    }
    if (e instanceof TransactionalIdAuthorizationException) {
      return "transactional id " + (transactionalId == null ? "(unknown)" : transactionalId);
    }
    if (e instanceof ClusterAuthorizationException) {
      return "the cluster (" + e.getMessage() + ")";
    }
    return e.getMessage();
  }
}
