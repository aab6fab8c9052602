package io.imagestream.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

class ModelSummaryTest {
  static byte[] zip(String name, byte[] content) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      zip.putNextEntry(new ZipEntry(name));
      zip.write(content);
      zip.closeEntry();
    }
    return out.toByteArray();
  }

  @Test
  void theTrainersVerdictIsReadFromTheMetadata() throws IOException {
    String metadata = "{\"name\":\"default\",\"version\":4,\"parentVersion\":3,\"classNames\":[\"a\",\"b\"],"
        + "\"createdAt\":\"2026-12-06T10:00:00Z\",\"training\":{\"dataset\":\"labelled-images stream\","
        + "\"validationExamples\":120,\"metrics\":{\"heldout_accuracy\":0.91,\"live_heldout_accuracy\":0.88}}}";
    ModelSummary s = ModelSummary.of(zip("metadata.json", metadata.getBytes(StandardCharsets.UTF_8)), 4).orElseThrow();
    assertEquals(4, s.version());
    assertEquals(3, s.parentVersion());
    assertEquals(2, s.classes());
    assertEquals(0.91, s.candidateAccuracy());
    assertEquals(0.88, s.liveAccuracy());
    assertEquals(120, s.heldOut());
    assertTrue(s.hasVerdict());
  }

  @Test
  void aVersionWithoutAVerdictAndGarbageAreToldApart() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) { // as ModelArtifact writes it: metadata, then the network
      zip.putNextEntry(new ZipEntry("network.zip"));
      zip.write(new byte[1000]);
      zip.closeEntry();
      zip.putNextEntry(new ZipEntry("metadata.json"));
      zip.write("{\"name\":\"dark-light\",\"version\":1,\"training\":{\"metrics\":{}}}"
          .getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
    }
    ModelSummary s = ModelSummary.of(out.toByteArray(), 1).orElseThrow();
    assertEquals("dark-light", s.name());
    assertFalse(s.hasVerdict());
    assertTrue(ModelSummary.of("not a zip".getBytes(StandardCharsets.UTF_8), 1).isEmpty());
    assertTrue(ModelSummary.of(zip("other.json", new byte[] {1}), 1).isEmpty());
    assertTrue(ModelSummary.of(zip("metadata.json", new byte[] {'{'}), 1).isEmpty());
  }
}
