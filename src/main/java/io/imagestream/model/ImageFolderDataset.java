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
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Keras' {@code flow_from_directory} layout: one sub-folder per class (class names sorted alphabetically, which fixes
 * the output order), image files anywhere below each. Files that cannot be decoded are skipped and counted.
 */
public final class ImageFolderDataset {
  public static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "gif", "bmp");

  public record Loaded(LabelledDataset data, List<String> skipped) {}

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

  public static Loaded load(Path dir, List<String> classNames, ImagePreprocessor preprocessor) throws IOException {
    return load(dir, classNames, preprocessor, files -> files);
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
    Loaded train = load(dir, classNames, preprocessor,
        files -> files.subList(validationCount(files.size(), validationFraction), files.size()));
    Loaded validation = load(dir, classNames, preprocessor,
        files -> files.subList(0, validationCount(files.size(), validationFraction)));
    return new Split(train, validation);
  }

  public record Split(Loaded train, Loaded validation) {}

  static int validationCount(int files, double fraction) {
    return (int) (fraction * files); // Python's int(): truncation, as Keras does
  }

  private static Loaded load(Path dir, List<String> classNames, ImagePreprocessor preprocessor,
                             UnaryOperator<List<Path>> select) throws IOException {
    ByteArrayOutputStream pixels = new ByteArrayOutputStream();
    List<Integer> labels = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (int label = 0; label < classNames.size(); label++) {
      Path classDir = dir.resolve(classNames.get(label));
      if (!Files.isDirectory(classDir)) {
        continue; // a validation folder may lack a class the training folder has
      }
      for (Path file : select.apply(imageFiles(classDir))) {
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
