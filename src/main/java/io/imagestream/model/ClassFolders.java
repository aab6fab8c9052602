package io.imagestream.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Which sub-folder of a dataset folder holds which class of a model. A class name may hold characters no folder name
 * can ('/' above all: Fashion-MNIST's {@code T-shirt/top}), so a folder matches a class when the names are equal, or
 * else when they are equal once every such character, '-', '_' and ' ' read as one separator ({@code T-shirt-top},
 * {@code T-shirt_top}); an explicit map (folder to class) comes before both. A folder that matches no class is an
 * error naming it and the classes: its images would otherwise silently go unscored.
 */
public final class ClassFolders {
  /** Characters some file system refuses in a folder name, and the separators people write instead. */
  static final String SEPARATORS = "/\\:*?\"<>|-_ ";

  /** The class index of each matched folder, by folder name in sorted order. */
  public record Matched(Map<String, Integer> folders) {
    public Matched {
      folders = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(folders));
    }
  }

  /** Folders that match no class, or a class map that names no folder or no class; the message says which. */
  public static final class MismatchException extends IOException {
    private final List<String> unmatchedFolders;

    public MismatchException(String message) {
      this(message, List.of());
    }

    MismatchException(String message, List<String> unmatchedFolders) {
      super(message);
      this.unmatchedFolders = List.copyOf(unmatchedFolders);
    }

    /** The folders that match no class (empty when the problem is another one). */
    public List<String> unmatchedFolders() {
      return unmatchedFolders;
    }
  }

  private ClassFolders() {}

  /**
   * Matches every non-hidden sub-folder of {@code dir} to one of {@code classNames}; classes without a folder are
   * fine (a validation folder may lack one).
   *
   * @param classMap folder name to class name, from the user; checked against both
   */
  public static Matched match(Path dir, List<String> classNames, Map<String, String> classMap) throws IOException {
    List<String> folders = subFolders(dir);
    for (Map.Entry<String, String> entry : classMap.entrySet()) {
      if (!folders.contains(entry.getKey())) {
        throw new MismatchException("the class map names folder '" + entry.getKey() + "', which " + dir
            + " does not have (its folders: " + folders + ")");
      }
      if (!classNames.contains(entry.getValue())) {
        throw new MismatchException("the class map maps folder '" + entry.getKey() + "' to '" + entry.getValue()
            + "', which is not a class of the model; its classes: " + classNames);
      }
    }
    Map<String, Integer> matched = new TreeMap<>();
    List<String> unmatched = new ArrayList<>();
    for (String folder : folders) {
      int index = classIndex(folder, classNames, classMap);
      if (index >= 0) {
        matched.put(folder, index);
      } else if (index == AMBIGUOUS) {
        throw new MismatchException("folder '" + folder + "' in " + dir + " could be any of the classes "
            + candidates(folder, classNames) + "; say which with --class-map '" + folder + "=CLASS'");
      } else {
        unmatched.add(folder);
      }
    }
    if (!unmatched.isEmpty()) {
      throw new MismatchException((unmatched.size() == 1 ? "folder '" + unmatched.get(0) + "' in " + dir
          + " matches" : "folders " + quoted(unmatched) + " in " + dir + " match") + " none of the classes "
          + classNames + " (its images would go unscored)", unmatched);
    }
    return new Matched(matched);
  }

  static final int NONE = -1;
  static final int AMBIGUOUS = -2;

  /** The class a name stands for: a map entry, the same name, or the one class with the same normalized name. */
  static int classIndex(String name, List<String> classNames, Map<String, String> classMap) {
    String mapped = classMap.get(name);
    if (mapped != null) {
      return classNames.indexOf(mapped);
    }
    int exact = classNames.indexOf(name);
    if (exact >= 0) {
      return exact;
    }
    List<String> candidates = candidates(name, classNames);
    return candidates.isEmpty() ? NONE : candidates.size() == 1 ? classNames.indexOf(candidates.get(0)) : AMBIGUOUS;
  }

  /** The classes whose name equals {@code name}'s once separators are normalized (see the class comment). */
  public static List<String> candidates(String name, java.util.Collection<String> classNames) {
    String key = normalize(name);
    return classNames.stream().filter(c -> normalize(c).equals(key)).toList();
  }

  /** Every run of {@link #SEPARATORS} as one '_'. */
  static String normalize(String name) {
    StringBuilder out = new StringBuilder(name.length());
    boolean inSeparator = false;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (SEPARATORS.indexOf(c) >= 0) {
        if (!inSeparator) {
          out.append('_');
        }
        inSeparator = true;
      } else {
        out.append(c);
        inSeparator = false;
      }
    }
    return out.toString();
  }

  /**
   * {@code folder=class,folder=class} (as {@code --class-map} takes it) as a map; a name may not hold ',' or '='.
   *
   * @throws IllegalArgumentException naming the entry that is not {@code folder=class}
   */
  public static Map<String, String> parseClassMap(String spec) {
    Map<String, String> map = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) {
      return map;
    }
    for (String entry : spec.split(",")) {
      int eq = entry.indexOf('=');
      if (eq <= 0 || eq == entry.length() - 1 || entry.indexOf('=', eq + 1) >= 0) {
        throw new IllegalArgumentException("--class-map entry '" + entry + "' is not FOLDER=CLASS");
      }
      String folder = entry.substring(0, eq);
      if (map.put(folder, entry.substring(eq + 1)) != null) {
        throw new IllegalArgumentException("--class-map maps folder '" + folder + "' twice");
      }
    }
    return map;
  }

  static List<String> subFolders(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException(dir + " is not a folder");
    }
    try (Stream<Path> children = Files.list(dir)) {
      return children.filter(Files::isDirectory).map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith(".")).sorted().toList();
    }
  }

  private static String quoted(List<String> names) {
    return names.stream().map(n -> "'" + n + "'").collect(java.util.stream.Collectors.joining(", "));
  }
}
