package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.InputShape;
import io.imagestream.image.Interpolation;
import io.imagestream.image.TestImages;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keras' flow_from_directory layout: class folders, images below them, bad files skipped. */
class ImageFolderDatasetTest {
  private static final InputShape SHAPE = new InputShape(8, 8, 1);
  private static final ImagePreprocessor PREPROCESSOR =
      new ImagePreprocessor(SHAPE, 1_000_000, 1 << 20, Interpolation.BILINEAR);

  @Test
  void loadsClassFoldersInSortedOrderWithTheirLabels(@TempDir Path dir) throws IOException {
    // dogs first on disk, so the sort matters; cats are black, dogs white
    write(dir.resolve("dogs/d1.png"), TestImages.solid("png", 10, 10, Color.WHITE));
    write(dir.resolve("dogs/d2.JPG"), TestImages.solid("jpeg", 12, 9, Color.WHITE));
    write(dir.resolve("dogs/broken.png"), "not really a png".getBytes(StandardCharsets.US_ASCII));
    write(dir.resolve("dogs/notes.txt"), "ignore me".getBytes(StandardCharsets.US_ASCII));
    write(dir.resolve("cats/c1.png"), TestImages.solid("png", 8, 8, Color.BLACK));
    write(dir.resolve("cats/c2.jpeg"), TestImages.solid("jpeg", 20, 16, Color.BLACK));
    write(dir.resolve("cats/nested/c3.bmp"), TestImages.solid("bmp", 5, 5, Color.BLACK));
    write(dir.resolve(".thumbnails/t.png"), TestImages.solid("png", 8, 8, Color.GRAY));
    write(dir.resolve("README.png"), TestImages.solid("png", 8, 8, Color.GRAY)); // not in a class folder

    List<String> classes = ImageFolderDataset.classNames(dir);
    assertEquals(List.of("cats", "dogs"), classes);

    ImageFolderDataset.Loaded loaded = ImageFolderDataset.load(dir, classes, PREPROCESSOR);
    LabelledDataset data = loaded.data();
    assertEquals(5, data.size());
    assertEquals(SHAPE, data.shape());
    assertEquals(classes, data.classNames());
    assertEquals(3, data.classCounts()[0]);
    assertEquals(2, data.classCounts()[1]);
    for (int i = 0; i < data.size(); i++) {
      int expected = data.label(i) == 0 ? 0 : 255;
      for (byte b : data.pixels(i)) {
        assertEquals(expected, b & 0xFF, 3, "image " + i + " of class " + classes.get(data.label(i)));
      }
    }
    assertEquals(1, loaded.skipped().size(), loaded.skipped().toString());
    assertTrue(loaded.skipped().get(0).startsWith("dogs/broken.png: "), loaded.skipped().get(0));
    assertTrue(loaded.skipped().stream().noneMatch(s -> s.contains("notes.txt")));
  }

  @Test
  void validationSplitTakesTheFirstFractionOfEachClassLikeKeras(@TempDir Path dir) throws IOException {
    // 10 cats (grey levels 0..90) and 7 dogs (grey levels 160..220): the level tells which file an image came from
    for (int i = 0; i < 10; i++) {
      int v = i * 10;
      write(dir.resolve("cats/c" + i + ".png"), TestImages.solid("png", 8, 8, new Color(v, v, v)));
    }
    for (int i = 0; i < 7; i++) {
      int v = 160 + i * 10;
      write(dir.resolve("dogs/d" + i + ".png"), TestImages.solid("png", 8, 8, new Color(v, v, v)));
    }
    ImageFolderDataset.Split split = ImageFolderDataset.loadSplit(dir, List.of("cats", "dogs"), PREPROCESSOR, 0.25);

    // Keras: int(0.25 * 10) = 2 cats and int(0.25 * 7) = 1 dog validate, the first ones in sorted order
    LabelledDataset validation = split.validation().data();
    LabelledDataset train = split.train().data();
    assertEquals(List.of(0, 10, 160), levels(validation));
    assertEquals(List.of(20, 30, 40, 50, 60, 70, 80, 90, 170, 180, 190, 200, 210, 220), levels(train));
    assertEquals(2, validation.classCounts()[0]);
    assertEquals(1, validation.classCounts()[1]);
    assertEquals(List.of(8, 6), List.of(train.classCounts()[0], train.classCounts()[1]));

    // deterministic: the same folder splits the same way again
    assertEquals(levels(validation), levels(ImageFolderDataset.loadSplit(dir, List.of("cats", "dogs"), PREPROCESSOR,
        0.25).validation().data()));
    assertThrows(IllegalArgumentException.class,
        () -> ImageFolderDataset.loadSplit(dir, List.of("cats", "dogs"), PREPROCESSOR, 1.0));
  }

  private static List<Integer> levels(LabelledDataset data) {
    List<Integer> levels = new java.util.ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      levels.add(data.pixels(i)[0] & 0xFF);
    }
    return levels;
  }

  @Test
  void aValidationFolderMayLackAClass(@TempDir Path dir) throws IOException {
    write(dir.resolve("dogs/d1.png"), TestImages.solid("png", 8, 8, Color.WHITE));
    ImageFolderDataset.Loaded loaded = ImageFolderDataset.load(dir, List.of("cats", "dogs"), PREPROCESSOR);
    assertEquals(1, loaded.data().size());
    assertEquals(1, loaded.data().label(0));
  }

  @Test
  void fewerThanTwoClassFoldersIsAClearError(@TempDir Path dir) throws IOException {
    write(dir.resolve("cats/c1.png"), TestImages.solid("png", 8, 8, Color.BLACK));
    write(dir.resolve("loose.png"), TestImages.solid("png", 8, 8, Color.BLACK));
    IOException e = assertThrows(IOException.class, () -> ImageFolderDataset.classNames(dir));
    assertTrue(e.getMessage().contains("needs at least two class sub-folders"), e.getMessage());
    assertTrue(e.getMessage().contains("[cats]"), e.getMessage());
  }

  @Test
  void aMissingFolderIsAClearError(@TempDir Path dir) {
    IOException e = assertThrows(IOException.class, () -> ImageFolderDataset.classNames(dir.resolve("nope")));
    assertTrue(e.getMessage().contains("nope is not a folder"), e.getMessage());
  }

  @Test
  void imageFilesAreRecognisedByExtensionCaseInsensitively() {
    for (String name : List.of("a.jpg", "a.JPEG", "a.png", "a.gif", "a.Bmp")) {
      assertTrue(ImageFolderDataset.isImageFile(Path.of(name)), name);
    }
    for (String name : List.of("a.txt", "png", ".png", "a.png.bak", "a.webp")) {
      assertTrue(!ImageFolderDataset.isImageFile(Path.of(name)), name);
    }
  }

  private static void write(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
  }
}
