package io.imagestream.kafka;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.model.InvalidModelException;
import io.imagestream.model.ModelArtifact;
import io.imagestream.testing.TestModels;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** HMAC-SHA256 model signatures: what the publisher adds, what is accepted and refused, and that the key hides. */
class ModelSigningTest {
  static final byte[] KEY = "a long shared secret".getBytes(StandardCharsets.UTF_8);

  @Test
  void theSignatureIsHexHmacSha256() {
    // RFC 4231, test case 2.
    assertEquals("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ModelsTopic.signature("Jefe".getBytes(StandardCharsets.US_ASCII),
            "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void aSigningPublisherSignsTheWholeArtifactInTheManifestAndAnUnsignedOneDoesNot() {
    byte[] artifact = TestModels.darkLightArtifact();
    java.util.List<ProducerRecord<byte[], byte[]>> signed = ModelChunks.records("models", 0, "dark-light", 1, artifact,
        KEY, 1000);
    ProducerRecord<byte[], byte[]> manifest = signed.get(signed.size() - 1);
    assertEquals(ModelsTopic.signature(KEY, artifact),
        new String(manifest.headers().lastHeader(ModelsTopic.SIGNATURE_HEADER).value(), StandardCharsets.UTF_8));
    java.util.List<ProducerRecord<byte[], byte[]>> unsigned = ModelChunks.records("models", 0, "dark-light", 1,
        artifact, null, 1000);
    unsigned.forEach(r -> assertNull(r.headers().lastHeader(ModelsTopic.SIGNATURE_HEADER)));
  }

  @Test
  void withAKeyOnlyTheRightSignatureOfTheseExactBytesPasses() throws Exception {
    byte[] artifact = TestModels.darkLightArtifact();
    ModelsTopic.Entry good = entry(artifact, ModelsTopic.signature(KEY, artifact));
    assertDoesNotThrow(() -> ModelsTopic.checkSignature(good, KEY, "m"));
    assertDoesNotThrow(() -> ModelsTopic.checkSignature(entry(artifact, ModelsTopic.signature(KEY, artifact)
        .toUpperCase()), KEY, "m"));

    InvalidModelException missing = assertThrows(InvalidModelException.class,
        () -> ModelsTopic.checkSignature(entry(artifact, null), KEY, "m"));
    assertTrue(missing.getMessage().contains("no " + ModelsTopic.SIGNATURE_HEADER), missing.getMessage());

    byte[] otherKey = "another secret".getBytes(StandardCharsets.UTF_8);
    assertThrows(InvalidModelException.class,
        () -> ModelsTopic.checkSignature(entry(artifact, ModelsTopic.signature(otherKey, artifact)), KEY, "m"));
    byte[] tampered = artifact.clone();
    tampered[tampered.length / 2] ^= 1;
    InvalidModelException changed = assertThrows(InvalidModelException.class,
        () -> ModelsTopic.checkSignature(entry(tampered, ModelsTopic.signature(KEY, artifact)), KEY, "m"));
    assertFalse(changed.getMessage().contains(new String(KEY, StandardCharsets.UTF_8)), "the key is never shown");
    assertThrows(InvalidModelException.class, () -> ModelsTopic.checkSignature(entry(artifact, "garbage"), KEY, "m"));

    // Without a key, signing is off: unsigned models pass (this check; the sha256 and the rest still apply).
    assertDoesNotThrow(() -> ModelsTopic.checkSignature(entry(artifact, null), null, "m"));
  }

  @Test
  void theKeyIsAPasswordSettingThatNeverShowsInTheConfig() {
    ImagestreamConfig config = ImagestreamConfig.of(Map.of(ImagestreamConfig.MODEL_SIGNING_KEY, "s3cret-key"));
    assertEquals("s3cret-key", new String(config.modelSigningKey(), StandardCharsets.UTF_8));
    assertFalse(config.values().toString().contains("s3cret-key"), config.values().toString());
    assertFalse(config.clientProperties().containsKey(ImagestreamConfig.MODEL_SIGNING_KEY),
        "not passed to Kafka clients");
    assertNull(ImagestreamConfig.defaults().modelSigningKey());
    assertNull(ImagestreamConfig.of(Map.of(ImagestreamConfig.MODEL_SIGNING_KEY, "")).modelSigningKey());
  }

  static ModelsTopic.Entry entry(byte[] artifact, String signature) {
    ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("models", 0, 7, "dark-light".getBytes(
        StandardCharsets.UTF_8), artifact);
    record.headers().add(ModelsTopic.VERSION_HEADER, "1".getBytes(StandardCharsets.UTF_8));
    record.headers().add(ModelsTopic.SHA256_HEADER, ModelArtifact.sha256(artifact).getBytes(StandardCharsets.UTF_8));
    if (signature != null) {
      record.headers().add(ModelsTopic.SIGNATURE_HEADER, signature.getBytes(StandardCharsets.UTF_8));
    }
    return ModelsTopic.toEntry(record).orElseThrow();
  }
}
