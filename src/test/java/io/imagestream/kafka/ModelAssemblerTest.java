package io.imagestream.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.model.ModelArtifact;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/** Cutting artifacts into chunks and putting them back together: in any order, missing, corrupt, half-published. */
class ModelAssemblerTest {
  private static final int CHUNK = 1000;
  private long offset;

  @Test
  void anArtifactIsCutIntoChunksWithKeysOfTheirOwnThenAManifest() {
    byte[] artifact = bytes(2500, 1);
    List<ProducerRecord<byte[], byte[]>> records = ModelChunks.records("models", 0, "cats", 7, artifact, null, CHUNK);

    assertEquals(List.of("cats/v7/chunk-0-of-3", "cats/v7/chunk-1-of-3", "cats/v7/chunk-2-of-3", "cats/v7"),
        records.stream().map(r -> utf8(r.key())).toList());
    assertEquals(List.of(1000, 1000, 500), records.subList(0, 3).stream().map(r -> r.value().length).toList());
    ProducerRecord<byte[], byte[]> manifest = records.get(3);
    assertEquals("3", header(manifest, ModelChunks.CHUNKS_HEADER));
    assertEquals("2500", header(manifest, ModelChunks.SIZE_HEADER));
    assertEquals("7", header(manifest, ModelsTopic.VERSION_HEADER));
    assertEquals(ModelArtifact.sha256(artifact), header(manifest, ModelsTopic.SHA256_HEADER));
    assertTrue(utf8(manifest.value()).contains("\"chunks\":3"), utf8(manifest.value()));
    records.forEach(r -> assertEquals(0, r.partition()));
  }

  @Test
  void aLargeArtifactTravelsInRecordsUnderKafkasDefaultLimit() {
    byte[] artifact = bytes(5 * 1024 * 1024 + 17, 2);
    List<ProducerRecord<byte[], byte[]>> records = ModelChunks.records("models", 0, "a-rather-long-model-name", 123,
        artifact, "key".getBytes(StandardCharsets.UTF_8), ModelChunks.CHUNK_BYTES);
    assertEquals(6 + 1, records.size());
    for (ProducerRecord<byte[], byte[]> record : records) {
      int size = record.key().length + (record.value() == null ? 0 : record.value().length);
      for (Header h : record.headers()) {
        size += h.key().length() + h.value().length;
      }
      assertTrue(size < 1_000_000, "record " + utf8(record.key()) + " has " + size + " bytes");
    }
    assertArrayEquals(artifact, assembleAll(records).orElseThrow().artifact());
  }

  @Test
  void chunksInAnyOrderAlsoAfterTheirManifestMakeTheSameBytes() {
    byte[] artifact = bytes(9_999, 3);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(
        ModelChunks.records("models", 0, "cats", 2, artifact, null, CHUNK));
    ProducerRecord<byte[], byte[]> manifest = records.remove(records.size() - 1);
    Collections.shuffle(records, new Random(4));
    records.add(4, manifest); // half of the chunks come after it
    ModelAssembler assembler = new ModelAssembler();
    List<ModelsTopic.Entry> entries = new ArrayList<>();
    for (ProducerRecord<byte[], byte[]> record : records) {
      assembler.add(consumed(record)).ifPresent(entries::add);
    }
    assertEquals(1, entries.size(), "one entry, when the last piece arrives");
    ModelsTopic.Entry entry = entries.get(0);
    assertArrayEquals(artifact, entry.artifact());
    assertEquals(ModelArtifact.sha256(artifact), entry.declaredSha256());
    assertEquals(2, entry.version());
    assertEquals(10, entry.chunks());
    assertEquals(0, assembler.bufferedBytes(), "chunks are let go once assembled");
    assertEquals(List.of(), assembler.incomplete());
  }

  @Test
  void aMissingChunkHoldsItsVersionBackUntilItArrives() {
    List<ProducerRecord<byte[], byte[]>> records = ModelChunks.records("models", 0, "cats", 2, bytes(3000, 5), null,
        CHUNK);
    List<ModelAssembler.Incomplete> waited = new ArrayList<>();
    ModelAssembler assembler = new ModelAssembler((n, v) -> true, waited::add);
    assertEquals(Optional.empty(), assembler.add(consumed(records.get(0))));
    assertEquals(Optional.empty(), assembler.add(consumed(records.get(2))));
    assertEquals(Optional.empty(), assembler.add(consumed(records.get(3))), "the manifest, chunk 1 missing");
    assertEquals(List.of(new ModelAssembler.Incomplete("cats", 2, header(records.get(3), ModelsTopic.SHA256_HEADER),
        2, 3, true)), assembler.incomplete());
    assertEquals(1, waited.size());
    assertTrue(waited.get(0).describe().contains("2 of 3 chunks"), waited.get(0).describe());
    assertTrue(assembler.add(consumed(records.get(1))).isPresent(), "complete with the late chunk");
  }

  @Test
  void aHalfPublishedVersionIsNeverAnEntryAndDoesNotBlockTheNextOne() {
    List<ProducerRecord<byte[], byte[]>> dead = ModelChunks.records("models", 0, "cats", 2, bytes(3000, 6), null,
        CHUNK);
    List<ProducerRecord<byte[], byte[]>> next = ModelChunks.records("models", 0, "cats", 3, bytes(2000, 7), null,
        CHUNK);
    List<ProducerRecord<byte[], byte[]>> fed = new ArrayList<>(dead.subList(0, 2)); // died after two chunks
    fed.addAll(next);
    ModelAssembler assembler = new ModelAssembler();
    List<Long> versions = new ArrayList<>();
    fed.forEach(r -> assembler.add(consumed(r)).ifPresent(e -> versions.add(e.version())));
    assertEquals(List.of(3L), versions);
    List<ModelAssembler.Incomplete> incomplete = assembler.incomplete();
    assertEquals(1, incomplete.size());
    assertEquals(2, incomplete.get(0).version());
    assertFalse(incomplete.get(0).manifest());
    assertEquals(2, incomplete.get(0).chunksHere());
    assertEquals(3, incomplete.get(0).chunksExpected());
  }

  @Test
  void chunksOfAnotherPublicationOfTheSameVersionAreNotMixedIn() {
    // A publisher died after chunk 0 of v2; a later one published v2 again with other bytes of the same size.
    byte[] first = bytes(2500, 8);
    byte[] second = bytes(2500, 9);
    List<ProducerRecord<byte[], byte[]>> dead = ModelChunks.records("models", 0, "cats", 2, first, null, CHUNK);
    List<ProducerRecord<byte[], byte[]>> good = ModelChunks.records("models", 0, "cats", 2, second, null, CHUNK);
    ModelAssembler assembler = new ModelAssembler();
    assembler.add(consumed(good.get(0)));
    assembler.add(consumed(good.get(1)));
    assembler.add(consumed(good.get(2)));
    assembler.add(consumed(dead.get(1))); // a stale copy of chunk 1 read after the good one (e.g. another partition)
    assertEquals(Optional.empty(), assembler.add(consumed(good.get(3))), "chunk 1 is of another artifact: wait");
    assertArrayEquals(second, assembler.add(consumed(good.get(1))).orElseThrow().artifact());
  }

  @Test
  void aCorruptChunkMakesAnArtifactWhoseSha256FailsAndAChangedHeaderCountsAsMissing() {
    byte[] artifact = bytes(2500, 10);
    List<ProducerRecord<byte[], byte[]>> records = ModelChunks.records("models", 0, "cats", 2, artifact, null, CHUNK);
    records.get(1).value()[17] ^= 1;
    ModelsTopic.Entry entry = assembleAll(records).orElseThrow();
    assertNotEquals(entry.declaredSha256(), ModelArtifact.sha256(entry.artifact()), "the reader's check refuses it");

    List<ProducerRecord<byte[], byte[]>> broken = ModelChunks.records("models", 0, "cats", 2, artifact, null, CHUNK);
    broken.get(1).headers().remove(ModelChunks.CHUNK_HEADER);
    broken.get(1).headers().add(ModelChunks.CHUNK_HEADER, "x/3".getBytes(StandardCharsets.UTF_8));
    assertEquals(Optional.empty(), assembleAll(broken));
  }

  @Test
  void tombstonesRetireAVersionAndSingleRecordArtifactsStillRead() {
    byte[] legacy = bytes(100, 11);
    ProducerRecord<byte[], byte[]> old = new ProducerRecord<>("models", "cats".getBytes(StandardCharsets.UTF_8),
        legacy);
    old.headers().add(ModelsTopic.VERSION_HEADER, "1".getBytes(StandardCharsets.UTF_8));
    old.headers().add(ModelsTopic.SHA256_HEADER, ModelArtifact.sha256(legacy).getBytes(StandardCharsets.UTF_8));
    ModelAssembler assembler = new ModelAssembler();
    ModelsTopic.Entry entry = assembler.add(consumed(old)).orElseThrow();
    assertEquals(1, entry.version());
    assertEquals(0, entry.chunks());
    assertArrayEquals(legacy, entry.artifact());

    List<ProducerRecord<byte[], byte[]>> v2 = ModelChunks.records("models", 0, "cats", 2, bytes(2500, 12), null,
        CHUNK);
    v2.subList(0, 3).forEach(r -> assembler.add(consumed(r)));
    ModelChunks.tombstones("models", 0, "cats", 2, 3).forEach(r -> assembler.add(consumed(r)));
    assertEquals(0, assembler.bufferedBytes());
    assertEquals(Optional.empty(), assembler.add(consumed(v2.get(3))), "its chunks are gone");
    List<String> keys = ModelChunks.tombstones("models", 0, "cats", 2, 3).stream().map(r -> utf8(r.key())).toList();
    assertEquals(List.of("cats/v2", "cats/v2/chunk-0-of-3", "cats/v2/chunk-1-of-3", "cats/v2/chunk-2-of-3"), keys);
  }

  @Test
  void unwantedVersionsAreNotKeptAndPruneLetsGoOfWhatBecameUnwanted() {
    Set<Long> unwanted = new HashSet<>(Set.of(1L));
    ModelAssembler assembler = new ModelAssembler((name, version) -> name.equals("cats") && !unwanted.contains(version),
        i -> { });
    ModelChunks.records("models", 0, "cats", 1, bytes(2500, 13), null, CHUNK).forEach(r -> assembler.add(consumed(r)));
    ModelChunks.records("models", 0, "dogs", 5, bytes(2500, 14), null, CHUNK).forEach(r -> assembler.add(consumed(r)));
    assertEquals(0, assembler.bufferedBytes());
    ModelChunks.records("models", 0, "cats", 2, bytes(2500, 15), null, CHUNK).subList(0, 2)
        .forEach(r -> assembler.add(consumed(r)));
    assertEquals(2000, assembler.bufferedBytes());
    unwanted.add(2L);
    assembler.prune();
    assertEquals(0, assembler.bufferedBytes());
  }

  private Optional<ModelsTopic.Entry> assembleAll(List<ProducerRecord<byte[], byte[]>> records) {
    ModelAssembler assembler = new ModelAssembler();
    Optional<ModelsTopic.Entry> last = Optional.empty();
    for (ProducerRecord<byte[], byte[]> record : records) {
      Optional<ModelsTopic.Entry> entry = assembler.add(consumed(record));
      if (entry.isPresent()) {
        last = entry;
      }
    }
    return last;
  }

  private ConsumerRecord<byte[], byte[]> consumed(ProducerRecord<byte[], byte[]> record) {
    ConsumerRecord<byte[], byte[]> consumed = new ConsumerRecord<>(record.topic(), 0, offset++, record.key(),
        record.value());
    record.headers().forEach(h -> consumed.headers().add(h));
    return consumed;
  }

  static byte[] bytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static String header(ProducerRecord<byte[], byte[]> record, String name) {
    return utf8(record.headers().lastHeader(name).value());
  }

  private static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
