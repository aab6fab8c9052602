package io.imagestream.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

class AccessDeniedTest {
  private static final String HINT = " (the broker's authorizer refused it; docs/cluster.md lists the ACLs each "
      + "service needs)";

  @Test
  void aRefusedTopicIsNamedFromDeepInTheCauseChain() {
    Exception e = new StreamsException("task failed", new KafkaException("send failed",
        new TopicAuthorizationException(Set.of("predictions"))));
    assertEquals(Optional.of("not authorized: topic predictions" + HINT), AccessDenied.describe(e, "g", "t"));
    assertEquals(Optional.of("not authorized: topics a, b" + HINT),
        AccessDenied.describe(new TopicAuthorizationException(Set.of("b", "a")), null, null));
  }

  @Test
  void groupsAndTransactionalIdsAreNamedFromWhatTheCallerKnows() {
    assertEquals(Optional.of("not authorized: consumer group trainers" + HINT),
        AccessDenied.describe(new GroupAuthorizationException("Not authorized to access group"), "trainers", null));
    assertEquals(Optional.of("not authorized: consumer group g1" + HINT),
        AccessDenied.describe(GroupAuthorizationException.forGroupId("g1"), "other", null));
    assertEquals(Optional.of("not authorized: transactional id app-*" + HINT),
        AccessDenied.describe(new StreamsException(new TransactionalIdAuthorizationException("failed")), "app",
            "app-*"));
  }

  @Test
  void otherFailuresAreNotRefusals() {
    assertEquals(Optional.empty(), AccessDenied.describe(new StreamsException(new TimeoutException("slow")), "g",
        "t"));
  }
}
