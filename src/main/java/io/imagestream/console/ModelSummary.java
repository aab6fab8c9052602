package io.imagestream.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The newest version on the models topic as the page shows it: the metadata a model artifact (a zip of
 * {@code metadata.json} and the network) carries, read as JSON. A version the trainer published records its verdict:
 * the candidate's held-out accuracy against the live model's on the same images ({@code heldout_accuracy},
 * {@code live_heldout_accuracy}); versions from elsewhere ({@code models publish}) have none.
 */
record ModelSummary(String name, long version, long parentVersion, String createdAt, int classes, String trainedOn,
                    Double candidateAccuracy, Double liveAccuracy, long heldOut) {

  static final long MAX_METADATA_BYTES = 1L << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The summary of an artifact, or empty when it holds no readable metadata.json. */
  static Optional<ModelSummary> of(byte[] artifact, long version) {
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(artifact))) {
      for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
        if (entry.getName().equals("metadata.json")) {
          byte[] json = zip.readNBytes((int) MAX_METADATA_BYTES + 1);
          if (json.length > MAX_METADATA_BYTES) {
            return Optional.empty();
          }
          return Optional.of(fromMetadata(JSON.readTree(json), version));
        }
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  static ModelSummary fromMetadata(JsonNode m, long headerVersion) {
    JsonNode training = m.path("training");
    JsonNode metrics = training.path("metrics");
    return new ModelSummary(m.path("name").asText(""), m.path("version").asLong(headerVersion),
        m.path("parentVersion").asLong(0), m.path("createdAt").asText(""), m.path("classNames").size(),
        training.path("dataset").asText(""), number(metrics, "heldout_accuracy"),
        number(metrics, "live_heldout_accuracy"), training.path("validationExamples").asLong(0));
  }

  private static Double number(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && value.isNumber() ? value.asDouble() : null;
  }

  /** Whether the trainer judged this version against a live one (it did if it recorded both accuracies). */
  boolean hasVerdict() {
    return candidateAccuracy != null && liveAccuracy != null;
  }
}
