package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.imagestream.kafka.ModelChunks;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.model.ModelArtifact;
import io.imagestream.testing.TestModels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** The follower swaps to a chunked version only once it is complete and verified (sha256, then HMAC). */
class ModelFollowerChunksTest {
  private static final byte[] KEY = "classifier key".getBytes(StandardCharsets.UTF_8);
  private static final int CHUNK = 4096;
  private long offset;

  @Test
  void onlyCompleteVerifiedVersionsAreServedWhateverArrivesBetween() throws Exception {
    ServingModel serving = new ServingModel(TestModels.darkLight());
    ClassifierMetrics metrics = ClassifierMetrics.discarding();
    ModelFollower follower = new ModelFollower(null, "dark-light", serving, metrics, 1, KEY);

    // v2 with one flipped byte in a chunk: assembled, then refused by its sha256
    List<ProducerRecord<byte[], byte[]>> v2 = records(2, KEY);
    v2.get(1).value()[100] ^= 1;
    v2.forEach(r -> follower.onRecord(consumed(r)));
    assertEquals(1, serving.current().metadata().version(), "corrupt v2 refused");
    assertEquals(1.0, refused(metrics));

    // v3: the publisher died after half of its chunks (no manifest); then v4 complete with reordered chunks
    List<ProducerRecord<byte[], byte[]>> v3 = records(3, KEY);
    v3.subList(0, v3.size() / 2).forEach(r -> follower.onRecord(consumed(r)));
    List<ProducerRecord<byte[], byte[]>> v4 = records(4, KEY);
    ProducerRecord<byte[], byte[]> manifest = v4.remove(v4.size() - 1);
    Collections.shuffle(v4, new Random(3));
    v4.add(manifest);
    v4.forEach(r -> follower.onRecord(consumed(r)));
    assertEquals(4, serving.current().metadata().version(), "v4 served, the half-published v3 skipped");

    // v5 signed with another key, v6 unsigned: refused; v7 with a manifest missing a chunk: waits, never served
    records(5, "another key".getBytes(StandardCharsets.UTF_8)).forEach(r -> follower.onRecord(consumed(r)));
    records(6, null).forEach(r -> follower.onRecord(consumed(r)));
    List<ProducerRecord<byte[], byte[]>> v7 = records(7, KEY);
    v7.remove(0);
    v7.forEach(r -> follower.onRecord(consumed(r)));
    assertEquals(4, serving.current().metadata().version());
    assertEquals(3.0, refused(metrics), "v2, v5 and v6 refused");

    // v3's remaining chunks arriving late change nothing: older than what is served
    v3.subList(v3.size() / 2, v3.size()).forEach(r -> follower.onRecord(consumed(r)));
    assertEquals(4, serving.current().metadata().version());
    records(8, KEY).forEach(r -> follower.onRecord(consumed(r)));
    assertEquals(8, serving.current().metadata().version());
    assertEquals(1.0 + 1.0, metrics.registry().get("imagestream.model.swaps").counter().count());
  }

  private static List<ProducerRecord<byte[], byte[]>> records(long version, byte[] key) throws Exception {
    byte[] artifact = ModelArtifact.restamp(TestModels.darkLightArtifact(), m -> m.withVersion(version, version - 1));
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(
        ModelChunks.records("models", 0, "dark-light", version, artifact, key, CHUNK));
    assertEquals(true, records.size() > 4, "several chunks");
    return records;
  }

  private ConsumerRecord<byte[], byte[]> consumed(ProducerRecord<byte[], byte[]> record) {
    ConsumerRecord<byte[], byte[]> consumed = new ConsumerRecord<>(record.topic(), 0, offset++, record.key(),
        record.value());
    record.headers().forEach(h -> consumed.headers().add(h));
    return consumed;
  }

  private static double refused(ClassifierMetrics metrics) {
    return metrics.registry().get("imagestream.model.refused").counter().count();
  }
}
