package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Folder names against class names: exact, separators normalized, an explicit map, and every mismatch an error. */
class ClassFoldersTest {
  private static final List<String> FASHION = FashionMnist.CLASS_NAMES;

  @Test
  void aFolderMatchesItsClassExactlyOrButForSeparators(@TempDir Path dir) throws Exception {
    for (String folder : List.of("T-shirt-top", "Trouser", "Ankle_boot", "Sneaker")) {
      Files.createDirectories(dir.resolve(folder));
    }
    ClassFolders.Matched matched = ClassFolders.match(dir, FASHION, Map.of());
    assertEquals(Map.of("T-shirt-top", 0, "Trouser", 1, "Ankle_boot", 9, "Sneaker", 7), matched.folders());
    assertEquals(0, ClassFolders.classIndex("T-shirt_top", FASHION, Map.of()));
    assertEquals(0, ClassFolders.classIndex("T shirt top", FASHION, Map.of()));
    assertEquals(ClassFolders.NONE, ClassFolders.classIndex("tshirt", FASHION, Map.of()));
    assertEquals(ClassFolders.NONE, ClassFolders.classIndex("trouser", FASHION, Map.of())); // case counts
  }

  @Test
  void aFolderMatchingNoClassIsAnErrorNamingItAndTheClasses(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("Trouser"));
    Files.createDirectories(dir.resolve("Tshirt"));
    Files.createDirectories(dir.resolve("boots"));
    Files.createDirectories(dir.resolve(".hidden")); // not a class folder
    ClassFolders.MismatchException e = assertThrows(ClassFolders.MismatchException.class,
        () -> ClassFolders.match(dir, FASHION, Map.of()));
    assertTrue(e.getMessage().contains("folders 'Tshirt', 'boots' in " + dir + " match none of the classes "
        + FASHION), e.getMessage());
    assertEquals(List.of("Tshirt", "boots"), e.unmatchedFolders());
  }

  @Test
  void theExplicitMapComesFirstAndIsChecked(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("Tshirt"));
    Files.createDirectories(dir.resolve("Trouser"));
    Map<String, String> map = ClassFolders.parseClassMap("Tshirt=T-shirt/top,Trouser=Dress");
    assertEquals(Map.of("Tshirt", 0, "Trouser", 3), ClassFolders.match(dir, FASHION, map).folders());

    ClassFolders.MismatchException noClass = assertThrows(ClassFolders.MismatchException.class,
        () -> ClassFolders.match(dir, FASHION, Map.of("Tshirt", "T-shirt")));
    assertTrue(noClass.getMessage().contains("'T-shirt', which is not a class of the model"), noClass.getMessage());
    ClassFolders.MismatchException noFolder = assertThrows(ClassFolders.MismatchException.class,
        () -> ClassFolders.match(dir, FASHION, Map.of("Shirts", "Shirt")));
    assertTrue(noFolder.getMessage().contains("names folder 'Shirts', which " + dir + " does not have"),
        noFolder.getMessage());
  }

  @Test
  void aFolderThatCouldBeTwoClassesIsAnError(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("a b"));
    List<String> classes = List.of("a-b", "a/b");
    ClassFolders.MismatchException e = assertThrows(ClassFolders.MismatchException.class,
        () -> ClassFolders.match(dir, classes, Map.of()));
    assertTrue(e.getMessage().contains("could be any of the classes [a-b, a/b]"), e.getMessage());
    assertEquals(Map.of("a b", 1), ClassFolders.match(dir, classes, Map.of("a b", "a/b")).folders());
  }

  @Test
  void theClassMapParsesFolderEqualsClassPairs() {
    assertEquals(Map.of(), ClassFolders.parseClassMap(null));
    assertEquals(Map.of("x", "y/z", "a b", "c"), ClassFolders.parseClassMap("x=y/z,a b=c"));
    for (String bad : List.of("x", "=y", "x=", "x=y=z", "x=y,x=z")) {
      assertThrows(IllegalArgumentException.class, () -> ClassFolders.parseClassMap(bad), bad);
    }
  }
}
