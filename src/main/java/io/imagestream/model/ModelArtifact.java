package io.imagestream.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

/**
 * The model file format: a zip holding {@code metadata.json} and {@code network.zip} (DL4J's own serialisation: JSON
 * configuration plus raw parameter arrays, no Java object deserialisation).
 *
 * <p>Reading checks entry names and sizes before trusting anything (artifacts arrive from a topic), then the network
 * digest recorded in the metadata, then that the network really takes the declared input and yields one output per
 * class.
 */
public final class ModelArtifact {
  static final String METADATA_ENTRY = "metadata.json";
  static final String NETWORK_ENTRY = "network.zip";
  static final long MAX_METADATA_BYTES = 1L << 20;
  static final long MAX_NETWORK_BYTES = 512L << 20;

  public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ModelArtifact() {}

  /** Serialises the network (without updater state: serving needs none) and the metadata, filling in the digest. */
  public static byte[] toBytes(MultiLayerNetwork network, ModelMetadata metadata) throws IOException {
    ByteArrayOutputStream networkBytes = new ByteArrayOutputStream();
    ModelSerializer.writeModel(network, networkBytes, false);
    byte[] net = networkBytes.toByteArray();
    return zip(metadata.withNetworkSha256(sha256(net)), net);
  }

  private static byte[] zip(ModelMetadata metadata, byte[] network) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(network.length + 4096);
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      zip.putNextEntry(new ZipEntry(METADATA_ENTRY));
      zip.write(JSON.writeValueAsBytes(metadata));
      zip.closeEntry();
      zip.putNextEntry(new ZipEntry(NETWORK_ENTRY));
      zip.write(network);
      zip.closeEntry();
    }
    return out.toByteArray();
  }

  /** Writes the artifact, plus {@code FILE.json} (its metadata, for people) and {@code FILE.sha256} beside it. */
  public static void write(Path file, MultiLayerNetwork network, ModelMetadata metadata) throws IOException {
    byte[] bytes = toBytes(network, metadata);
    ModelMetadata written;
    try {
      written = readMetadata(bytes);
    } catch (InvalidModelException e) {
      throw new IllegalStateException("wrote an unreadable artifact", e);
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.write(file, bytes);
    Files.write(sibling(file, ".json"), JSON.writeValueAsBytes(written));
    Files.writeString(sibling(file, ".sha256"), sha256(bytes) + "  " + file.getFileName() + "\n");
  }

  public static LoadedModel load(Path file) throws InvalidModelException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidModelException("cannot read model file " + file + ": " + e.getMessage(), e);
    }
    return load(bytes, file.toString());
  }

  /** Parses, verifies and loads an artifact; {@code origin} names where it came from in error messages. */
  public static LoadedModel load(byte[] artifact, String origin) throws InvalidModelException {
    Entries entries = entries(artifact, origin);
    ModelMetadata metadata = parseMetadata(entries.metadata, origin);
    String digest = sha256(entries.network);
    if (metadata.networkSha256() == null || metadata.networkSha256().isBlank()) {
      throw new InvalidModelException(origin + ": metadata has no networkSha256, so the network cannot be verified");
    }
    if (!metadata.networkSha256().equalsIgnoreCase(digest)) {
      throw new InvalidModelException(origin + ": network digest " + digest + " does not match metadata "
          + metadata.networkSha256());
    }
    NativeBackend.init();
    MultiLayerNetwork network;
    try {
      network = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(entries.network), false);
    } catch (IOException | RuntimeException e) {
      throw new InvalidModelException(origin + ": cannot load the network: " + e.getMessage(), e);
    }
    return LoadedModel.verified(network, metadata, sha256(artifact), origin);
  }

  /**
   * The same network under a new version (e.g. publishing a file as the next version, or a rollback): rewrites the
   * metadata entry only; the network bytes and their digest are unchanged.
   */
  public static byte[] restamp(byte[] artifact, java.util.function.UnaryOperator<ModelMetadata> change)
      throws InvalidModelException {
    Entries entries = entries(artifact, "artifact");
    ModelMetadata metadata = change.apply(parseMetadata(entries.metadata, "artifact"));
    try {
      return zip(metadata, entries.network);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write an artifact in memory", e);
    }
  }

  /** The metadata alone, without loading the network. */
  public static ModelMetadata readMetadata(byte[] artifact) throws InvalidModelException {
    return parseMetadata(entries(artifact, "artifact").metadata, "artifact");
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  private record Entries(byte[] metadata, byte[] network) {}

  private static Entries entries(byte[] artifact, String origin) throws InvalidModelException {
    byte[] metadata = null;
    byte[] network = null;
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(artifact))) {
      ZipEntry entry;
      while ((entry = zip.getNextEntry()) != null) {
        // Exact names only, so "../x", "/x" and "dir/metadata.json" are refused; a second copy of an entry is
        // refused too (which one would count?). Nothing is ever written to disk from an artifact.
        if ((METADATA_ENTRY.equals(entry.getName()) && metadata != null)
            || (NETWORK_ENTRY.equals(entry.getName()) && network != null)) {
          throw new InvalidModelException(origin + ": entry " + entry.getName() + " appears twice");
        }
        switch (entry.getName()) {
          case METADATA_ENTRY -> metadata = readBounded(zip, MAX_METADATA_BYTES, origin, METADATA_ENTRY);
          case NETWORK_ENTRY -> network = readBounded(zip, MAX_NETWORK_BYTES, origin, NETWORK_ENTRY);
          default -> throw new InvalidModelException(origin + ": unexpected entry '" + printable(entry.getName())
              + "' (a model artifact holds only " + METADATA_ENTRY + " and " + NETWORK_ENTRY + ")");
        }
      }
    } catch (IOException e) {
      throw new InvalidModelException(origin + ": not a model artifact (zip): " + e.getMessage(), e);
    }
    if (metadata == null || network == null) {
      throw new InvalidModelException(origin + ": not a model artifact: needs " + METADATA_ENTRY + " and "
          + NETWORK_ENTRY);
    }
    return new Entries(metadata, network);
  }

  /** An entry name fit for a log line: control characters escaped, at most 100 characters. */
  private static String printable(String name) {
    StringBuilder sb = new StringBuilder();
    name.codePoints().limit(100).forEach(c -> sb.append(Character.isISOControl(c) ? String.format("\\u%04x", c)
        : new String(Character.toChars(c))));
    return name.length() > 100 ? sb + "..." : sb.toString();
  }

  private static byte[] readBounded(InputStream in, long limit, String origin, String name)
      throws IOException, InvalidModelException {
    byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
    if (bytes.length > limit) {
      throw new InvalidModelException(origin + ": entry " + name + " is larger than " + limit + " bytes");
    }
    return bytes;
  }

  private static ModelMetadata parseMetadata(byte[] json, String origin) throws InvalidModelException {
    ModelMetadata metadata;
    try {
      metadata = JSON.readValue(json, ModelMetadata.class);
    } catch (IOException e) {
      throw new InvalidModelException(origin + ": unreadable " + METADATA_ENTRY + ": " + e.getMessage(), e);
    }
    if (metadata.classNames() == null || metadata.classNames().size() < 2) {
      throw new InvalidModelException(origin + ": metadata needs at least two class names");
    }
    if (metadata.input() == null) {
      throw new InvalidModelException(origin + ": metadata has no input shape");
    }
    return metadata;
  }

  private static Path sibling(Path file, String suffix) {
    return file.resolveSibling(file.getFileName() + suffix);
  }
}
