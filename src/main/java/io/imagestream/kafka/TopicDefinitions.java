package io.imagestream.kafka;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads topic definitions: one `<id>.properties` file per topic with the keys `name`, `partitions`,
 * `replication.factor` and any number of `config.<topic-config>=value` entries.
 */
public final class TopicDefinitions {
  private static final String SUFFIX = ".properties";
  private static final String CONFIG_PREFIX = "config.";
  /** Lists the ids of the bundled definitions: a classpath "directory" cannot be listed portably inside a jar. */
  private static final String BUNDLED_INDEX = "/topics/index.txt";

  private TopicDefinitions() {
  }

  /** Loads every `*.properties` file in {@code dir}; returns id (file name without .properties) to spec, sorted by id. */
  public static SortedMap<String, TopicSpec> load(Path dir) {
    SortedMap<String, TopicSpec> specs = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).toList()) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
          specs.put(idOf(file.getFileName().toString()), parse(file.toString(), reader));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read topic definitions in " + dir, e);
    }
    return Collections.unmodifiableSortedMap(specs);
  }

  /** The definitions bundled in the jar under `topics/` (copied there from the project's topics/ directory). */
  public static SortedMap<String, TopicSpec> bundled() {
    SortedMap<String, TopicSpec> specs = new TreeMap<>();
    for (String id : readLines(BUNDLED_INDEX)) {
      String resource = "/topics/" + id + SUFFIX;
      try (InputStream in = open(resource); Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
        specs.put(id, parse("classpath:" + resource, reader));
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read " + resource, e);
      }
    }
    return Collections.unmodifiableSortedMap(specs);
  }

  private static String idOf(String fileName) {
    return fileName.substring(0, fileName.length() - SUFFIX.length());
  }

  /** Parses one definition; errors name the source and the offending key. */
  static TopicSpec parse(String source, Reader reader) throws IOException {
    Properties props = new Properties();
    props.load(reader);
    Map<String, String> configs = new HashMap<>();
    for (String key : props.stringPropertyNames()) {
      if (key.startsWith(CONFIG_PREFIX) && key.length() > CONFIG_PREFIX.length()) {
        configs.put(key.substring(CONFIG_PREFIX.length()), props.getProperty(key).strip());
      } else if (!List.of("name", "partitions", "replication.factor").contains(key)) {
        // Most likely a typo, e.g. "retention.ms" without "config.": fail rather than silently ignore it.
        throw new IllegalArgumentException(source + ": unknown key '" + key + "'");
      }
    }
    String name = required(source, props, "name");
    int partitions = positiveInt(source, props, "partitions");
    int replicationFactor = positiveInt(source, props, "replication.factor");
    if (replicationFactor > Short.MAX_VALUE) {
      throw new IllegalArgumentException(source + ": key 'replication.factor' is too large: " + replicationFactor);
    }
    return new TopicSpec(name, partitions, (short) replicationFactor, configs);
  }

  private static String required(String source, Properties props, String key) {
    String value = props.getProperty(key);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(source + ": missing key '" + key + "'");
    }
    return value.strip();
  }

  private static int positiveInt(String source, Properties props, String key) {
    String value = required(source, props, key);
    try {
      int n = Integer.parseInt(value);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(source + ": key '" + key + "' must be a positive integer, not '" + value + "'");
  }

  private static List<String> readLines(String resource) {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(open(resource), StandardCharsets.UTF_8))) {
      return reader.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + resource, e);
    }
  }

  private static InputStream open(String resource) {
    InputStream in = TopicDefinitions.class.getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException("Resource " + resource + " is not on the classpath");
    }
    return in;
  }
}
