package io.imagestream.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics the application needs and waits until they can really be used.
 * Existing topics are never altered: differences from the spec are only reported (changing partition counts or
 * retention of a live topic is an operator's decision).
 */
public final class TopicInitializer {
  private static final Logger log = LoggerFactory.getLogger(TopicInitializer.class);
  /** Pause between readiness probes: a retry backoff, not a guess at how long creation takes. */
  private static final long PROBE_BACKOFF_MS = 100;

  private final Admin admin;

  public TopicInitializer(Admin admin) {
    this.admin = admin;
  }

  /** Topic names created by this call, found already matching the spec, and human-readable differences. */
  public record Report(List<String> created, List<String> unchanged, List<String> differences) {
    public Report {
      created = List.copyOf(created);
      unchanged = List.copyOf(unchanged);
      differences = List.copyOf(differences);
    }
  }

  /**
   * Creates missing topics, then waits (up to {@code timeout}) until every partition of every listed topic answers
   * listOffsets(latest). Reports differences for existing topics without changing them.
   *
   * @throws TimeoutException if the topics are not all usable within {@code timeout}
   */
  public Report ensure(Collection<TopicSpec> specs, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, TopicSpec> byName = new LinkedHashMap<>();
    specs.forEach(spec -> byName.put(spec.name(), spec));

    Set<String> existing = get(admin.listTopics().names(), deadline);
    List<String> created = new ArrayList<>();
    List<String> toCompare = new ArrayList<>();
    List<TopicSpec> missing = byName.values().stream().filter(s -> !existing.contains(s.name())).toList();
    if (!missing.isEmpty()) {
      CreateTopicsResult result = admin.createTopics(missing.stream().map(TopicSpec::toNewTopic).toList());
      for (TopicSpec spec : missing) {
        try {
          get(result.values().get(spec.name()), deadline);
          created.add(spec.name());
        } catch (TopicExistsException e) {
          toCompare.add(spec.name()); // created concurrently by someone else: treat it as existing
        }
      }
    }
    byName.keySet().stream().filter(existing::contains).forEach(toCompare::add);

    List<String> unchanged = new ArrayList<>();
    List<String> differences = new ArrayList<>();
    if (!toCompare.isEmpty()) {
      // A topic another node or service created a moment ago may not be described by this broker yet
      // (UnknownTopicOrPartition, seen when the nodes of a new cluster all create the topics at once).
      awaitReady(toCompare, deadline);
      Map<String, List<String>> diffs = compare(toCompare.stream().map(byName::get).toList(), deadline);
      for (String name : toCompare) {
        if (diffs.get(name).isEmpty()) {
          unchanged.add(name);
        } else {
          differences.addAll(diffs.get(name));
        }
      }
    }
    differences.forEach(d -> log.warn("Topic differs from its definition (left unchanged): {}", d));
    if (!created.isEmpty()) {
      log.info("Created topics {}", created);
    }

    awaitReady(byName.keySet(), deadline);
    return new Report(created, unchanged, differences);
  }

  /** Per topic: partition count, replication factor and every spec'd config versus what the broker has. */
  private Map<String, List<String>> compare(List<TopicSpec> specs, long deadline) {
    List<String> names = specs.stream().map(TopicSpec::name).toList();
    Map<String, TopicDescription> descriptions = get(admin.describeTopics(names).allTopicNames(), deadline);
    List<ConfigResource> resources = names.stream()
        .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
    Map<ConfigResource, Config> configs = get(admin.describeConfigs(resources).all(), deadline);

    Map<String, List<String>> result = new HashMap<>();
    for (TopicSpec spec : specs) {
      List<String> diffs = new ArrayList<>();
      TopicDescription description = descriptions.get(spec.name());
      int partitions = description.partitions().size();
      if (partitions != spec.partitions()) {
        diffs.add(spec.name() + ": partitions " + partitions + " on the broker, " + spec.partitions() + " in the definition");
      }
      int replicas = description.partitions().get(0).replicas().size();
      if (replicas != spec.replicationFactor()) {
        diffs.add(spec.name() + ": replication factor " + replicas + " on the broker, "
            + spec.replicationFactor() + " in the definition");
      }
      Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()));
      spec.configs().forEach((key, expected) -> {
        ConfigEntry entry = config.get(key);
        String actual = entry == null ? null : entry.value();
        if (!expected.equals(actual)) {
          diffs.add(spec.name() + ": config " + key + "=" + actual + " on the broker, " + expected + " in the definition");
        }
      });
      result.put(spec.name(), diffs);
    }
    return result;
  }

  /**
   * KAFKA-15591: right after creation, metadata can show a leader before the partition accepts writes, and an
   * idempotent producer may then lose records silently. A partition that answers listOffsets is really served.
   */
  private void awaitReady(Collection<String> names, long deadline) {
    if (names.isEmpty()) {
      return;
    }
    while (true) {
      try {
        Map<String, TopicDescription> descriptions = get(admin.describeTopics(names).allTopicNames(), deadline);
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        descriptions.values().forEach(d -> d.partitions().forEach(
            p -> request.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
        get(admin.listOffsets(request).all(), deadline);
        return;
      } catch (KafkaException e) {
        // e.g. UnknownTopicOrPartition or NotLeaderOrFollower while the new partitions are being set up
        if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROBE_BACKOFF_MS) > deadline) {
          TimeoutException timeout = new TimeoutException("Topics " + names + " not ready before the deadline");
          timeout.initCause(e);
          throw timeout;
        }
        log.debug("Topics {} not ready yet: {}", names, e.toString());
      }
      try {
        Thread.sleep(PROBE_BACKOFF_MS);
      } catch (InterruptedException e) {
        throw new InterruptException(e);
      }
    }
  }

  /** Waits for an Admin result until the deadline; unwraps Kafka's errors so callers can catch them by type. */
  private static <T> T get(KafkaFuture<T> future, long deadline) {
    try {
      return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new TimeoutException("Kafka admin request did not complete before the deadline");
    } catch (InterruptedException e) {
      throw new InterruptException(e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KafkaException kafkaException) {
        throw kafkaException;
      }
      throw new KafkaException(e.getCause());
    }
  }
}
