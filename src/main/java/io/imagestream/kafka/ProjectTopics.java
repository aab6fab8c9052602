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

  public static List<TopicSpec> specs(ImagestreamConfig config) {
    List<TopicSpec> specs = new ArrayList<>();
    definitions(config).forEach((id, spec) -> {
      String setting = NAME_SETTINGS.get(id);
      String name = setting == null ? spec.name() : config.getString(setting);
      specs.add(new TopicSpec(name, spec.partitions(), spec.replicationFactor(), spec.configs()));
    });
    return specs;
  }
}
