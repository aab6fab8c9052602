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
