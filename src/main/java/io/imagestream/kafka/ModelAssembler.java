package io.imagestream.kafka;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Puts artifacts back together from the models topic's records, fed in offset order: chunks are kept by key (the
 * newest record per key wins, as compaction would have it) until the manifest naming them arrives; a manifest whose
 * chunks are all here (same count, same artifact sha256) yields the whole artifact as an {@link ModelsTopic.Entry}.
 * Chunks may arrive in any order, also after their manifest. A version missing its manifest or a chunk yields
 * nothing (it waits), so it is never served and never stands in the way of later versions. The artifact's sha256 and
 * signature are checked by whoever serves it, not here: a corrupt chunk yields an entry that fails verification.
 * Single-record artifacts (as written before chunking) are entries as they are. Not thread-safe.
 */
public final class ModelAssembler {
  /** A version that cannot be assembled (yet): chunks without a manifest, or a manifest missing chunks. */
  public record Incomplete(String name, long version, String sha256, int chunksHere, int chunksExpected,
                           boolean manifest) {
    public String describe() {
      return name + " v" + version + ": " + chunksHere + " of " + chunksExpected + " chunks"
          + (manifest ? ", manifest present" : ", no manifest") + " (never served until complete; a publisher that"
          + " stopped half-way never completes it)";
    }
  }

  private final BiPredicate<String, Long> wanted;
  private final Consumer<Incomplete> onWaiting;
  private final Map<String, ModelChunks.Chunk> chunks = new HashMap<>();
  private final Map<String, ModelChunks.Manifest> waiting = new LinkedHashMap<>();

  /** An assembler that keeps every version. */
  public ModelAssembler() {
    this((name, version) -> true, incomplete -> { });
  }

  /**
   * @param wanted which (name, version) to keep chunks of; asked again by {@link #prune()}
   * @param onWaiting told when a manifest arrives before all of its chunks
   */
  public ModelAssembler(BiPredicate<String, Long> wanted, Consumer<Incomplete> onWaiting) {
    this.wanted = wanted;
    this.onWaiting = onWaiting;
  }

  /**
   * Feeds one record; returns the entry it completes: a single-record artifact, or the last missing piece (chunk or
   * manifest) of a chunked one. A tombstone removes the chunk or manifest under its key.
   */
  public Optional<ModelsTopic.Entry> add(ConsumerRecord<byte[], byte[]> record) {
    if (record.key() == null) {
      return Optional.empty();
    }
    String key = new String(record.key(), StandardCharsets.UTF_8);
    if (record.value() == null) {
      chunks.remove(key);
      waiting.remove(key);
      return Optional.empty();
    }
    ModelChunks.Parsed parsed = ModelChunks.parse(record);
    if (parsed instanceof ModelChunks.Parsed.AChunk a) {
      ModelChunks.Chunk chunk = a.chunk();
      if (!wanted.test(chunk.name(), chunk.version())) {
        return Optional.empty();
      }
      chunks.put(key, chunk);
      ModelChunks.Manifest manifest = waiting.get(ModelChunks.manifestKey(chunk.name(), chunk.version()));
      return manifest == null ? Optional.empty() : complete(manifest);
    }
    if (parsed instanceof ModelChunks.Parsed.AManifest m) {
      ModelChunks.Manifest manifest = m.manifest();
      if (!wanted.test(manifest.name(), manifest.version())) {
        return Optional.empty();
      }
      waiting.put(manifest.key(), manifest);
      Optional<ModelsTopic.Entry> entry = complete(manifest);
      if (entry.isEmpty()) {
        onWaiting.accept(incompleteOf(manifest));
      }
      return entry;
    }
    if (ModelChunks.isChunked(record)) {
      return Optional.empty(); // a chunk or manifest with broken headers: its version stays incomplete
    }
    return ModelsTopic.toEntry(record).filter(e -> wanted.test(e.name(), e.version()));
  }

  /** Forgets chunks and manifests of versions no longer wanted (e.g. older than the one now served). */
  public void prune() {
    chunks.values().removeIf(c -> !wanted.test(c.name(), c.version()));
    waiting.values().removeIf(m -> !wanted.test(m.name(), m.version()));
  }

  /** The versions that could not be assembled from what was fed so far. */
  public List<Incomplete> incomplete() {
    Map<String, Incomplete> byVersion = new LinkedHashMap<>();
    for (ModelChunks.Manifest manifest : waiting.values()) {
      byVersion.put(manifest.key() + "@" + manifest.sha256(), incompleteOf(manifest));
    }
    for (ModelChunks.Chunk chunk : chunks.values()) {
      byVersion.merge(ModelChunks.manifestKey(chunk.name(), chunk.version()) + "@" + chunk.sha256(),
          new Incomplete(chunk.name(), chunk.version(), chunk.sha256(), 1, chunk.count(), false),
          (a, b) -> a.manifest() ? a : new Incomplete(a.name(), a.version(), a.sha256(), a.chunksHere() + 1,
              a.chunksExpected(), false));
    }
    List<Incomplete> all = new ArrayList<>(byVersion.values());
    all.sort(java.util.Comparator.comparing(Incomplete::name).thenComparingLong(Incomplete::version));
    return all;
  }

  /** Bytes held in chunks waiting for their manifest (for tests and logs). */
  public long bufferedBytes() {
    return chunks.values().stream().mapToLong(c -> c.bytes().length).sum();
  }

  private Optional<ModelsTopic.Entry> complete(ModelChunks.Manifest manifest) {
    List<ModelChunks.Chunk> parts = parts(manifest);
    if (parts.size() < manifest.count()) {
      return Optional.empty();
    }
    long size = parts.stream().mapToLong(c -> c.bytes().length).sum();
    if (size > Integer.MAX_VALUE - 16) {
      waiting.remove(manifest.key());
      return Optional.empty(); // no Java array holds it; nothing could load it either
    }
    byte[] artifact = new byte[(int) size];
    int at = 0;
    for (ModelChunks.Chunk part : parts) {
      System.arraycopy(part.bytes(), 0, artifact, at, part.bytes().length);
      at += part.bytes().length;
    }
    waiting.remove(manifest.key());
    for (int i = 0; i < manifest.count(); i++) {
      chunks.remove(ModelChunks.chunkKey(manifest.name(), manifest.version(), i, manifest.count()));
    }
    return Optional.of(new ModelsTopic.Entry(manifest.name(), manifest.version(), manifest.sha256(),
        manifest.signature(), artifact, manifest.partition(), manifest.offset(), manifest.timestamp(),
        manifest.count()));
  }

  /** The manifest's chunks in index order, stopping at the first one missing or of another artifact. */
  private List<ModelChunks.Chunk> parts(ModelChunks.Manifest manifest) {
    List<ModelChunks.Chunk> parts = new ArrayList<>(manifest.count());
    for (int i = 0; i < manifest.count(); i++) {
      ModelChunks.Chunk chunk = chunks.get(ModelChunks.chunkKey(manifest.name(), manifest.version(), i,
          manifest.count()));
      if (chunk == null || chunk.index() != i || chunk.count() != manifest.count()
          || !chunk.sha256().equalsIgnoreCase(manifest.sha256())) {
        return parts;
      }
      parts.add(chunk);
    }
    return parts;
  }

  private Incomplete incompleteOf(ModelChunks.Manifest manifest) {
    int here = 0;
    for (int i = 0; i < manifest.count(); i++) {
      ModelChunks.Chunk chunk = chunks.get(ModelChunks.chunkKey(manifest.name(), manifest.version(), i,
          manifest.count()));
      if (chunk != null && chunk.sha256().equalsIgnoreCase(manifest.sha256())) {
        here++;
      }
    }
    return new Incomplete(manifest.name(), manifest.version(), manifest.sha256(), here, manifest.count(), true);
  }
}
