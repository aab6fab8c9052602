package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.kafka.ModelsTopic;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.model.InvalidModelException;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.testing.TestModels;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** With imagestream.model.signing.key set, classifiers load only models signed with it. */
class ModelFollowerSigningTest {
  private static final byte[] KEY = "classifier key".getBytes(StandardCharsets.UTF_8);

  @Test
  void withAKeyUnsignedAndWronglySignedModelsAreRefusedAndTheCurrentOneKeepsServing() throws Exception {
    byte[] v2 = ModelArtifact.restamp(TestModels.darkLightArtifact(), m -> m.withVersion(2, 1));
    ServingModel serving = new ServingModel(TestModels.darkLight());
    ClassifierMetrics metrics = ClassifierMetrics.discarding();
    ModelFollower follower = new ModelFollower(null, "dark-light", serving, metrics, 1, KEY);

    follower.consider(entry(v2, null));
    follower.consider(entry(v2, ModelsTopic.signature("wrong".getBytes(StandardCharsets.UTF_8), v2)));
    assertEquals(1, serving.current().metadata().version(), "still v1");
    assertEquals(2.0, metrics.registry().get("imagestream.model.refused").counter().count());

    follower.consider(entry(v2, ModelsTopic.signature(KEY, v2)));
    assertEquals(2, serving.current().metadata().version(), "the signed v2 is served");
  }

  @Test
  void verifyChecksTheSignatureOnlyWhenAKeyIsConfigured() throws Exception {
    byte[] artifact = TestModels.darkLightArtifact();
    InvalidModelException e = assertThrows(InvalidModelException.class,
        () -> ModelFollower.verify(entry(artifact, null), KEY));
    assertTrue(e.getMessage().contains("signing.key"), e.getMessage());
    LoadedModel unsignedWithoutKey = ModelFollower.verify(entry(artifact, null), null);
    assertEquals(1, unsignedWithoutKey.metadata().version());
    assertEquals(1, ModelFollower.newestValid(List.of(entry(artifact, ModelsTopic.signature(KEY, artifact))),
        "dark-light", ClassifierMetrics.discarding(), KEY).orElseThrow().metadata().version());
    assertTrue(ModelFollower.newestValid(List.of(entry(artifact, null)), "dark-light",
        ClassifierMetrics.discarding(), KEY).isEmpty());
  }

  private static ModelsTopic.Entry entry(byte[] artifact, String signature) throws Exception {
    long version = ModelArtifact.readMetadata(artifact).version();
    ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("models", 0, version, "dark-light".getBytes(
        StandardCharsets.UTF_8), artifact);
    record.headers().add(ModelsTopic.VERSION_HEADER, Long.toString(version).getBytes(StandardCharsets.UTF_8));
    record.headers().add(ModelsTopic.SHA256_HEADER, ModelArtifact.sha256(artifact).getBytes(StandardCharsets.UTF_8));
    if (signature != null) {
      record.headers().add(ModelsTopic.SIGNATURE_HEADER, signature.getBytes(StandardCharsets.UTF_8));
    }
    return ModelsTopic.toEntry(record).orElseThrow();
  }
}
