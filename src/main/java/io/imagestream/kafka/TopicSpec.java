package io.imagestream.kafka;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import org.apache.kafka.clients.admin.NewTopic;

/** A topic as the application expects it: name, partition count, replication factor and topic-level configs. */
public record TopicSpec(String name, int partitions, short replicationFactor, Map<String, String> configs) {
  public TopicSpec {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("topic name is blank");
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1 for topic " + name + ": " + partitions);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replication factor must be >= 1 for topic " + name + ": " + replicationFactor);
    }
    // Sorted and immutable, so specs compare by value and print readably.
    configs = configs == null ? Map.of() : Collections.unmodifiableSortedMap(new TreeMap<>(configs));
  }

  NewTopic toNewTopic() {
    return new NewTopic(name, partitions, replicationFactor).configs(configs);
  }
}
