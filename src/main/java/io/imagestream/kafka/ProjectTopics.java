package io.imagestream.kafka;

import io.imagestream.config.ImagestreamConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/** The project's topics as configured: definitions from {@code topics/} with the names the settings give them. */
public final class ProjectTopics {
  /** Definition id (file name in topics/) to the setting that names the topic. */
  private static final Map<String, String> NAME_SETTINGS = Map.of(
      "images", ImagestreamConfig.TOPIC_IMAGES,
      "predictions", ImagestreamConfig.TOPIC_PREDICTIONS,
      "images-dlq", ImagestreamConfig.TOPIC_DLQ,
      "labelled-images", ImagestreamConfig.TOPIC_LABELLED,
      "models", ImagestreamConfig.TOPIC_MODELS,
      "to-label", ImagestreamConfig.TOPIC_TO_LABEL);

  private ProjectTopics() {}

  /** Definitions from imagestream.topics.dir, else ./topics when present, else those bundled in the jar. */
  public static SortedMap<String, TopicSpec> definitions(ImagestreamConfig config) {
    String dir = config.getString(ImagestreamConfig.TOPICS_DIR);
    if (!dir.isBlank()) {
      return TopicDefinitions.load(Path.of(dir));
    }
    Path local = Path.of("topics");
    return Files.isDirectory(local) ? TopicDefinitions.load(local) : TopicDefinitions.bundled();
  }

  /** The definitions with the configured names and, when imagestream.topics.replication.factor is set, its factor. */
  public static List<TopicSpec> specs(ImagestreamConfig config) {
    int replication = config.getInt(ImagestreamConfig.TOPICS_REPLICATION_FACTOR);
    List<TopicSpec> specs = new ArrayList<>();
    definitions(config).forEach((id, spec) -> {
      String setting = NAME_SETTINGS.get(id);
      String name = setting == null ? spec.name() : config.getString(setting);
      TopicSpec named = new TopicSpec(name, spec.partitions(), spec.replicationFactor(), spec.configs());
      specs.add(replication > 0 ? withReplicationFactor(named, replication) : named);
    });
    return specs;
  }

  /** Kafka's production pairing: from 3 replicas on, writes with acks=all need 2 in sync (one broker may be down). */
  static final int MIN_INSYNC_FROM = 3;
  static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";

  /**
   * The spec with {@code replicas} replicas per partition, and min.insync.replicas 2 from 3 replicas on unless the
   * definition sets its own.
   */
  public static TopicSpec withReplicationFactor(TopicSpec spec, int replicas) {
    if (replicas > Short.MAX_VALUE) {
      throw new IllegalArgumentException("replication factor too large: " + replicas);
    }
    Map<String, String> configs = new java.util.HashMap<>(spec.configs());
    if (replicas >= MIN_INSYNC_FROM) {
      configs.putIfAbsent(MIN_INSYNC_REPLICAS, "2");
    }
    return new TopicSpec(spec.name(), spec.partitions(), (short) replicas, configs);
  }
}
