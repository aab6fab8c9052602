package io.imagestream.kafka;

import io.imagestream.model.ModelArtifact;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * How a model artifact of any size travels on the models topic in records of at most ~1 MB (Kafka's default
 * {@code max.message.bytes}): its bytes cut into chunks, each under a key of its own
 * ({@code <name>/v<version>/chunk-<i>-of-<n>}), then one manifest record (key {@code <name>/v<version>}) with the
 * version, the whole artifact's sha256, its size, the chunk count and, when a signing key is set, its HMAC.
 *
 * <p>Keys are distinct per version and per chunk, so compaction (which keeps the newest record per key) keeps every
 * chunk of every version; a version disappears only when its records are deleted with tombstones. The manifest is
 * written last: a version whose manifest is missing was never completely published and is never served.
 */
public final class ModelChunks {
  /**
   * Payload bytes per chunk: with key, headers and batch overhead a chunk record stays well under 1,000,000 bytes,
   * below Kafka's 1,048,588 default and below managed services that count a MB as 10^6 bytes.
   */
  public static final int CHUNK_BYTES = 960_000;
  /** On chunks and manifests: the model name (the key says it too, but keys are for compaction). */
  public static final String NAME_HEADER = "imagestream.model.name";
  /** On chunks: {@code <index>/<count>}, index from 0. */
  public static final String CHUNK_HEADER = "imagestream.model.chunk";
  /** On manifests: how many chunks the artifact was cut into. */
  public static final String CHUNKS_HEADER = "imagestream.model.chunks";
  /** On manifests: the artifact's size in bytes. */
  public static final String SIZE_HEADER = "imagestream.model.size";

  private ModelChunks() {
  }

  /** The key of a version's manifest, e.g. {@code default/v7}. */
  public static String manifestKey(String name, long version) {
    return name + "/v" + version;
  }

  /** The key of one chunk, e.g. {@code default/v7/chunk-0-of-62}. */
  public static String chunkKey(String name, long version, int index, int count) {
    return manifestKey(name, version) + "/chunk-" + index + "-of-" + count;
  }

  /** How many chunks an artifact of this size takes (at least one, also for an empty one). */
  public static int chunkCount(int artifactBytes, int chunkBytes) {
    return Math.max(1, (artifactBytes + chunkBytes - 1) / chunkBytes);
  }

  /**
   * The records that publish an artifact: its chunks in order, then the manifest, all to the given partition (null
   * lets the producer choose; callers pick one partition per model name so that a model's records stay in order).
   *
   * @param signingKey when not null, the manifest carries the artifact's HMAC-SHA256 under it
   */
  public static List<ProducerRecord<byte[], byte[]>> records(String topic, Integer partition, String name,
                                                             long version, byte[] artifact, byte[] signingKey,
                                                             int chunkBytes) {
    String sha256 = ModelArtifact.sha256(artifact);
    int count = chunkCount(artifact.length, chunkBytes);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(count + 1);
    for (int i = 0; i < count; i++) {
      byte[] chunk = Arrays.copyOfRange(artifact, i * chunkBytes, Math.min(artifact.length, (i + 1) * chunkBytes));
      ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, partition, utf8(chunkKey(name, version, i,
          count)), chunk);
      common(record.headers(), name, version, sha256);
      add(record.headers(), CHUNK_HEADER, i + "/" + count);
      records.add(record);
    }
    ProducerRecord<byte[], byte[]> manifest = new ProducerRecord<>(topic, partition, utf8(manifestKey(name, version)),
        manifestJson(name, version, sha256, artifact.length, count));
    common(manifest.headers(), name, version, sha256);
    add(manifest.headers(), CHUNKS_HEADER, Integer.toString(count));
    add(manifest.headers(), SIZE_HEADER, Integer.toString(artifact.length));
    if (signingKey != null) {
      add(manifest.headers(), ModelsTopic.SIGNATURE_HEADER, ModelsTopic.signature(signingKey, artifact));
    }
    records.add(manifest);
    return records;
  }

  /**
   * Tombstones removing a version: its manifest first (from then on the version is not offered, and no reader waits
   * for its chunks), then its chunks.
   */
  public static List<ProducerRecord<byte[], byte[]>> tombstones(String topic, Integer partition, String name,
                                                                long version, int count) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(count + 1);
    records.add(new ProducerRecord<>(topic, partition, utf8(manifestKey(name, version)), null));
    for (int i = 0; i < count; i++) {
      records.add(new ProducerRecord<>(topic, partition, utf8(chunkKey(name, version, i, count)), null));
    }
    return records;
  }

  /** A chunk record as read: which artifact (name, version, sha256) it belongs to, and where in it. */
  public record Chunk(String name, long version, String sha256, int index, int count, byte[] bytes) {
  }

  /** A manifest record as read (not yet checked against its chunks). */
  public record Manifest(String name, long version, String sha256, String signature, int count, long size,
                         int partition, long offset, long timestamp) {
    public String key() {
      return manifestKey(name, version);
    }
  }

  /** What one record of the models topic is. */
  public sealed interface Parsed permits Parsed.AChunk, Parsed.AManifest, Parsed.Other {
    /** A chunk of a chunked artifact. */
    record AChunk(Chunk chunk) implements Parsed {
    }

    /** The manifest closing a chunked artifact. */
    record AManifest(Manifest manifest) implements Parsed {
    }

    /** Neither (a single-record artifact as written before chunking, or a record with broken headers). */
    record Other(String why) implements Parsed {
    }
  }

  /** Parses a record with a value (tombstones are the caller's business). */
  public static Parsed parse(ConsumerRecord<byte[], byte[]> record) {
    Headers headers = record.headers();
    String chunk = header(headers, CHUNK_HEADER);
    String chunks = header(headers, CHUNKS_HEADER);
    if (chunk == null && chunks == null) {
      return new Parsed.Other("no " + CHUNK_HEADER + " or " + CHUNKS_HEADER + " header");
    }
    String name = header(headers, NAME_HEADER);
    String sha256 = header(headers, ModelsTopic.SHA256_HEADER);
    long version;
    try {
      version = Long.parseLong(header(headers, ModelsTopic.VERSION_HEADER));
    } catch (NumberFormatException e) {
      return new Parsed.Other("no valid " + ModelsTopic.VERSION_HEADER + " header");
    }
    if (name == null || sha256 == null || version < 1) {
      return new Parsed.Other("no " + NAME_HEADER + " or " + ModelsTopic.SHA256_HEADER + " header, or version < 1");
    }
    try {
      if (chunk != null) {
        int slash = chunk.indexOf('/');
        int index = Integer.parseInt(chunk.substring(0, slash));
        int count = Integer.parseInt(chunk.substring(slash + 1));
        if (index < 0 || index >= count) {
          return new Parsed.Other(CHUNK_HEADER + " " + chunk + " is out of range");
        }
        return new Parsed.AChunk(new Chunk(name, version, sha256, index, count, record.value()));
      }
      int count = Integer.parseInt(chunks);
      long size = Long.parseLong(header(headers, SIZE_HEADER));
      if (count < 1 || size < 0) {
        return new Parsed.Other(CHUNKS_HEADER + " or " + SIZE_HEADER + " out of range");
      }
      return new Parsed.AManifest(new Manifest(name, version, sha256, header(headers, ModelsTopic.SIGNATURE_HEADER),
          count, size, record.partition(), record.offset(), record.timestamp()));
    } catch (RuntimeException e) { // NumberFormatException, StringIndexOutOfBounds, null size
      return new Parsed.Other("unreadable " + CHUNK_HEADER + ", " + CHUNKS_HEADER + " or " + SIZE_HEADER + " header");
    }
  }

  /** True when the record is a chunk or a manifest (not a single-record artifact). */
  public static boolean isChunked(ConsumerRecord<byte[], byte[]> record) {
    return record.headers().lastHeader(CHUNK_HEADER) != null || record.headers().lastHeader(CHUNKS_HEADER) != null;
  }

  private static void common(Headers headers, String name, long version, String sha256) {
    add(headers, NAME_HEADER, name);
    add(headers, ModelsTopic.VERSION_HEADER, Long.toString(version));
    add(headers, ModelsTopic.SHA256_HEADER, sha256);
  }

  /** The manifest's value: the same facts as its headers, for people reading the topic with kcat. */
  private static byte[] manifestJson(String name, long version, String sha256, int size, int count) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("name", name);
    json.put("version", version);
    json.put("sha256", sha256);
    json.put("size", size);
    json.put("chunks", count);
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void add(Headers headers, String name, String value) {
    headers.add(name, utf8(value));
  }

  static String header(Headers headers, String name) {
    Header header = headers.lastHeader(name);
    return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
