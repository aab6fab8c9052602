package io.imagestream.model;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.ImageRejectedException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Keras' {@code flow_from_directory} layout: one sub-folder per class (class names sorted alphabetically, which fixes
 * the output order), image files anywhere below each. Files that cannot be decoded are skipped and counted.
 */
public final class ImageFolderDataset {
  public static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "gif", "bmp");

  /** The images read, and one line per image file that could not be read. */
  public record Loaded(LabelledDataset data, List<String> skipped) {
    /** Image files found (by extension) in the class folders: read or not. */
    public int found() {
      return data.size() + skipped.size();
    }
  }

  private ImageFolderDataset() {}

  /** Class names of a folder: its sub-folders, sorted. */
  public static List<String> classNames(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException(dir + " is not a folder");
    }
    try (Stream<Path> children = Files.list(dir)) {
      List<String> names = children.filter(Files::isDirectory).map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith(".")).sorted().toList();
      if (names.size() < 2) {
        throw new IOException(dir + " needs at least two class sub-folders (Keras flow_from_directory layout), found "
            + names);
      }
      return names;
    }
  }

  /**
   * The images of {@code dir}'s class sub-folders; every sub-folder must match a class ({@link ClassFolders}).
   *
   * @throws ClassFolders.MismatchException naming a folder that matches no class, and the classes
   */
  public static Loaded load(Path dir, List<String> classNames, ImagePreprocessor preprocessor) throws IOException {
    return load(dir, classNames, Map.of(), preprocessor);
  }

  /** As {@link #load(Path, List, ImagePreprocessor)}, with the user's folder-to-class map first. */
  public static Loaded load(Path dir, List<String> classNames, Map<String, String> classMap,
                            ImagePreprocessor preprocessor) throws IOException {
    return load(dir, classNames, ClassFolders.match(dir, classNames, classMap), preprocessor, files -> files);
  }

  /** Image files directly in {@code dir}, in no class folder: they cannot be scored, but a report should say so. */
  public static int looseImageFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return (int) files.filter(Files::isRegularFile).filter(ImageFolderDataset::isImageFile).count();
    }
  }

  /**
   * Keras' {@code ImageDataGenerator(validation_split=F)} with {@code flow_from_directory(subset=...)}: in each class
   * folder, of its n files in sorted order, the first {@code int(F * n)} are validation data and the rest training
   * data. Deterministic, and an image never moves between the two while the folder does not change.
   */
  public static Split loadSplit(Path dir, List<String> classNames, ImagePreprocessor preprocessor,
                                double validationFraction) throws IOException {
    if (!(validationFraction > 0 && validationFraction < 1)) {
      throw new IllegalArgumentException("validation split must be between 0 and 1, got " + validationFraction);
    }
    ClassFolders.Matched folders = ClassFolders.match(dir, classNames, Map.of());
    Loaded train = load(dir, classNames, folders, preprocessor,
        files -> files.subList(validationCount(files.size(), validationFraction), files.size()));
    Loaded validation = load(dir, classNames, folders, preprocessor,
        files -> files.subList(0, validationCount(files.size(), validationFraction)));
    return new Split(train, validation);
  }

  public record Split(Loaded train, Loaded validation) {}

  static int validationCount(int files, double fraction) {
    return (int) (fraction * files); // Python's int(): truncation, as Keras does
  }

  private static Loaded load(Path dir, List<String> classNames, ClassFolders.Matched folders,
                             ImagePreprocessor preprocessor, UnaryOperator<List<Path>> select) throws IOException {
    ByteArrayOutputStream pixels = new ByteArrayOutputStream();
    List<Integer> labels = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    List<Map.Entry<String, Integer>> byClass = new ArrayList<>(folders.folders().entrySet());
    byClass.sort(Map.Entry.comparingByValue()); // stable: folders of one class stay in name order
    for (Map.Entry<String, Integer> folder : byClass) {
      int label = folder.getValue();
      for (Path file : select.apply(imageFiles(dir.resolve(folder.getKey())))) {
        try {
          pixels.write(preprocessor.toPixels(Files.readAllBytes(file)));
          labels.add(label);
        } catch (ImageRejectedException e) {
          skipped.add(dir.relativize(file) + ": " + e.reason() + " " + e.getMessage());
        }
      }
    }
    int[] labelArray = labels.stream().mapToInt(Integer::intValue).toArray();
    return new Loaded(new LabelledDataset(preprocessor.shape(), classNames, pixels.toByteArray(), labelArray),
        List.copyOf(skipped));
  }

  /** Image files below a folder (by extension), in a stable order. */
  public static List<Path> imageFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).filter(ImageFolderDataset::isImageFile).sorted().toList();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  public static boolean isImageFile(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }
}
