package io.imagestream.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** One version everywhere: the pom's, what {@code -V} prints, and the newest section of CHANGELOG.md. */
class VersionTest {
  @Test
  void versionOptionPrintsThePomVersion() throws IOException {
    String pomVersion = pomVersion();
    StringWriter out = new StringWriter();
    int code = Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "-V");
    assertEquals(0, code);
    assertEquals("imagestream " + pomVersion, out.toString().strip());
  }

  @Test
  void changelogStartsWithThePomVersion() throws IOException {
    String pomVersion = pomVersion();
    Matcher first = Pattern.compile("(?m)^## \\[([^]]+)]").matcher(Files.readString(Path.of("CHANGELOG.md")));
    assertTrue(first.find(), "CHANGELOG.md has no '## [VERSION]' section");
    String expected = pomVersion.endsWith("-SNAPSHOT") ? "Unreleased" : pomVersion;
    assertEquals(expected, first.group(1), "the newest CHANGELOG.md section against pom version " + pomVersion);
  }

  private static String pomVersion() throws IOException {
    Matcher m = Pattern.compile("<artifactId>imagestream</artifactId>\\s*<version>([^<]+)</version>")
        .matcher(Files.readString(Path.of("pom.xml")));
    assertTrue(m.find(), "pom.xml: no project version");
    return m.group(1);
  }
}
