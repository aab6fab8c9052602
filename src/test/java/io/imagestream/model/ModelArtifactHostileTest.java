package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.testing.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/** Artifacts arrive from a topic: hostile entry names and sizes are refused before anything is trusted. */
class ModelArtifactHostileTest {
  private static final byte[] METADATA = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  @Test
  void entriesOutsideTheArtifactOrUnderOtherNamesAreRefused() throws Exception {
    for (String name : new String[] {"../metadata.json", "../../etc/passwd", "/metadata.json", "/tmp/x",
        "models/../metadata.json", "dir/network.zip", "C:\\network.zip", "metadata.json\0.txt", "metadata.json/"}) {
      byte[] artifact = zip(new Object[] {name, METADATA}, new Object[] {ModelArtifact.NETWORK_ENTRY, new byte[10]});
      InvalidModelException e = assertThrows(InvalidModelException.class,
          () -> ModelArtifact.load(artifact, "hostile"), name);
      assertTrue(e.getMessage().contains("unexpected entry"), name + ": " + e.getMessage());
      assertTrue(!e.getMessage().contains("\0"), "control characters are escaped in the message");
    }
  }

  @Test
  void aDuplicatedEntryIsRefused() throws Exception {
    byte[] good = TestModels.darkLightArtifact();
    ModelArtifact.load(good, "good");
    // Zip streams cannot hold two entries of one name through ZipOutputStream: write a second one by hand below.
    byte[] twice = zipAllowingDuplicates(ModelArtifact.METADATA_ENTRY, METADATA, ModelArtifact.METADATA_ENTRY,
        METADATA);
    InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelArtifact.readMetadata(twice));
    assertTrue(e.getMessage().contains("twice"), e.getMessage());
  }

  @Test
  void entriesOverTheirSizeLimitAreRefusedWithoutReadingThemWhole() throws Exception {
    // 1 MiB + 1 of zeros compresses to about 1 KB: a small artifact that would inflate past the limit.
    byte[] artifact = zip(new Object[] {ModelArtifact.METADATA_ENTRY,
        new byte[(int) ModelArtifact.MAX_METADATA_BYTES + 1]}, new Object[] {ModelArtifact.NETWORK_ENTRY, new byte[1]});
    assertTrue(artifact.length < 100_000);
    InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelArtifact.readMetadata(artifact));
    assertTrue(e.getMessage().contains("larger than " + ModelArtifact.MAX_METADATA_BYTES), e.getMessage());
  }

  @Test
  void notAZipAtAllIsRefused() {
    assertThrows(InvalidModelException.class, () -> ModelArtifact.readMetadata(new byte[] {'P', 'K', 3, 4, 0}));
    assertThrows(InvalidModelException.class, () -> ModelArtifact.readMetadata(new byte[0]));
  }

  private static byte[] zip(Object[]... entries) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Object[] entry : entries) {
        zip.putNextEntry(new ZipEntry((String) entry[0]));
        zip.write((byte[]) entry[1]);
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }

  /** Two zips' local entries back to back: ZipInputStream reads local headers in order, as a hostile file has them. */
  private static byte[] zipAllowingDuplicates(String first, byte[] a, String second, byte[] b) throws IOException {
    byte[] one = localEntries(first, a);
    byte[] two = localEntries(second, b);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(one);
    out.write(two);
    return out.toByteArray();
  }

  /** The local header and data of a one-entry zip, without its central directory. */
  private static byte[] localEntries(String name, byte[] data) throws IOException {
    byte[] whole = zip(new Object[] {name, data});
    for (int i = whole.length - 22; i >= 0; i--) { // find the central directory's first header: PK 1 2
      if (whole[i] == 'P' && whole[i + 1] == 'K' && whole[i + 2] == 1 && whole[i + 3] == 2) {
        return java.util.Arrays.copyOf(whole, i);
      }
    }
    throw new IllegalStateException("no central directory");
  }
}
