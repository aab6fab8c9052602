package io.imagestream.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.classify.ClassifierService;
import io.imagestream.classify.ServingModel;
import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.TestImages;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.metrics.TrainerMetrics;
import io.imagestream.testing.ChildJvm;
import io.imagestream.testing.TestModels;
import io.imagestream.testing.TestTls;
import io.imagestream.testing.TopicReader;
import io.imagestream.train.TrainerService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker with the StandardAuthorizer and SASL_SSL (SCRAM-SHA-512): the classifier and the trainer, each its own
 * user, run with exactly the ACLs docs/cluster.md lists and no more; without one of them, the command stops with one
 * line naming the topic or group it was refused.
 */
class LeastPrivilegeIT {
  private static final String PASSWORD = "store-secret";
  private static final String CLASSIFIER = "classifier";
  private static final String TRAINER = "trainer";
  private static final String APP = "lp-classifier";
  private static final String TRAINER_GROUP = "lp-trainer";
  private static final String MODEL_NAME = "dark-light";

  @TempDir
  static Path dir;
  static EmbeddedKafkaBroker broker;
  static Path truststore;

  // the topics, named as a deployment would configure them
  static final String IMAGES = "lp-images";
  static final String PREDICTIONS = "lp-predictions";
  static final String DLQ = "lp-images-dlq";
  static final String TO_LABEL = "lp-to-label";
  static final String LABELLED = "lp-labelled-images";
  static final String MODELS = "lp-models";

  @BeforeAll
  static void startBroker() throws Exception {
    Path keystore = dir.resolve("broker.p12");
    truststore = dir.resolve("truststore.p12");
    TestTls.selfSigned(keystore, truststore, PASSWORD);
    // The PLAINTEXT listener (the broker itself, the controller, this test as administrator) is the super user.
    broker = EmbeddedKafkaBroker.start(0, null, Map.of(
            "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users", "User:ANONYMOUS"),
        new EmbeddedKafkaBroker.SaslSslListener(keystore, PASSWORD, Map.of(CLASSIFIER, "c-secret", TRAINER,
            "t-secret")));
    List<TopicSpec> specs = new ArrayList<>();
    for (String topic : List.of(IMAGES, PREDICTIONS, DLQ, TO_LABEL, LABELLED)) {
      specs.add(new TopicSpec(topic, 2, (short) 1, Map.of()));
    }
    specs.add(new TopicSpec(MODELS, 1, (short) 1, Map.of("cleanup.policy", "compact")));
    try (Admin admin = KafkaTestCluster.admin(broker.bootstrapServers())) {
      new TopicInitializer(admin).ensure(specs, Duration.ofSeconds(60));
      admin.createAcls(classifierAcls()).all().get();
      admin.createAcls(trainerAcls()).all().get();
    }
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  /** The classifier's ACLs as docs/cluster.md lists them. */
  static List<AclBinding> classifierAcls() {
    String user = "User:" + CLASSIFIER;
    List<AclBinding> acls = new ArrayList<>(List.of(
        allow(ResourceType.TOPIC, IMAGES, PatternType.LITERAL, user, AclOperation.READ),
        allow(ResourceType.TOPIC, PREDICTIONS, PatternType.LITERAL, user, AclOperation.WRITE),
        allow(ResourceType.TOPIC, DLQ, PatternType.LITERAL, user, AclOperation.WRITE),
        allow(ResourceType.TOPIC, TO_LABEL, PatternType.LITERAL, user, AclOperation.WRITE),
        allow(ResourceType.TOPIC, MODELS, PatternType.LITERAL, user, AclOperation.READ),
        allow(ResourceType.GROUP, APP, PatternType.LITERAL, user, AclOperation.READ),
        allow(ResourceType.TRANSACTIONAL_ID, APP, PatternType.PREFIXED, user, AclOperation.WRITE)));
    // Kafka Streams' internal topics (the buffer's changelog): APP-...
    for (AclOperation op : List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE,
        AclOperation.DESCRIBE_CONFIGS)) {
      acls.add(allow(ResourceType.TOPIC, APP, PatternType.PREFIXED, user, op));
    }
    return acls;
  }

  /** The trainer's ACLs as docs/cluster.md lists them. */
  static List<AclBinding> trainerAcls() {
    String user = "User:" + TRAINER;
    return List.of(
        allow(ResourceType.TOPIC, LABELLED, PatternType.LITERAL, user, AclOperation.READ),
        allow(ResourceType.GROUP, TRAINER_GROUP, PatternType.LITERAL, user, AclOperation.READ),
        allow(ResourceType.TOPIC, MODELS, PatternType.LITERAL, user, AclOperation.READ),
        allow(ResourceType.TOPIC, MODELS, PatternType.LITERAL, user, AclOperation.WRITE),
        allow(ResourceType.TOPIC, DLQ, PatternType.LITERAL, user, AclOperation.WRITE),
        allow(ResourceType.TRANSACTIONAL_ID, "imagestream-trainer-" + MODEL_NAME, PatternType.LITERAL, user,
            AclOperation.WRITE));
  }

  private static AclBinding allow(ResourceType type, String name, PatternType pattern, String principal,
                                  AclOperation operation) {
    return new AclBinding(new ResourcePattern(type, name, pattern),
        new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW));
  }

  /** A service's --config file: its user over SASL_SSL, the topics, and no topic management (an admin did it). */
  private static Path serviceConfig(String user, String password) throws Exception {
    return Files.writeString(dir.resolve(user + ".properties"), String.join("\n",
        "security.protocol=SASL_SSL",
        "sasl.mechanism=SCRAM-SHA-512",
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
            + "\" password=\"" + password + "\";",
        "ssl.truststore.location=" + truststore.toAbsolutePath(),
        "ssl.truststore.password=" + PASSWORD,
        "ssl.truststore.type=PKCS12",
        ImagestreamConfig.TOPICS_ENSURE + "=false",
        ImagestreamConfig.TOPIC_IMAGES + "=" + IMAGES,
        ImagestreamConfig.TOPIC_PREDICTIONS + "=" + PREDICTIONS,
        ImagestreamConfig.TOPIC_DLQ + "=" + DLQ,
        ImagestreamConfig.TOPIC_TO_LABEL + "=" + TO_LABEL,
        ImagestreamConfig.TOPIC_LABELLED + "=" + LABELLED,
        ImagestreamConfig.TOPIC_MODELS + "=" + MODELS,
        ImagestreamConfig.MODEL_NAME + "=" + MODEL_NAME,
        ImagestreamConfig.APPLICATION_ID + "=" + APP,
        ImagestreamConfig.STREAM_THREADS + "=1",
        ImagestreamConfig.BATCH_MAX_WAIT_MS + "=20",
        ImagestreamConfig.TRAINER_GROUP_ID + "=" + TRAINER_GROUP,
        ImagestreamConfig.TRAINER_INPUT_SHAPE + "=" + TestModels.SHAPE,
        ImagestreamConfig.TRAINER_MIN_NEW_LABELS + "=200",
        ImagestreamConfig.TRAINER_HELDOUT_PERCENT + "=30",
        ImagestreamConfig.TRAINER_MIN_HELDOUT + "=20",
        ImagestreamConfig.TRAINER_EPOCHS + "=3",
        ImagestreamConfig.TRAINER_LEARNING_RATE + "=0.005",
        ""));
  }

  private static ImagestreamConfig load(Path file) {
    return ImagestreamConfig.load(file, Map.of(),
        Map.of(ImagestreamConfig.BOOTSTRAP_SERVERS, broker.saslSslBootstrapServers()));
  }

  /** Images (the administrator sends them over PLAINTEXT), every 10th one not an image; returns their ids. */
  private static Set<String> sendImages(String prefix, int count) {
    Random random = new Random(prefix.hashCode());
    Set<String> ids = new HashSet<>();
    try (KafkaProducer<byte[], byte[]> producer = io.imagestream.testing.SteadyLoad.producer(
        broker.bootstrapServers())) {
      for (int i = 0; i < count; i++) {
        String id = prefix + i;
        String label = i % 2 == 0 ? "dark" : "light";
        byte[] value = i % 10 == 0 ? "not an image".getBytes(StandardCharsets.UTF_8)
            : TestImages.solid("png", 16, 16, TestModels.colourOf(label, random));
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(IMAGES, id.getBytes(StandardCharsets.UTF_8),
            value);
        producer.send(record);
        ids.add(id);
      }
    }
    return ids;
  }

  @Test
  void theClassifierRunsWithItsAclsAndStopsInOneLineWithoutOne() throws Exception {
    Path config = serviceConfig(CLASSIFIER, "c-secret");
    Set<String> sent = sendImages("ok-", 40);
    try (ClassifierService classifier = new ClassifierService(load(config), new ServingModel(TestModels.darkLight()),
        ClassifierMetrics.discarding())) {
      classifier.start();
      List<?> out = TopicReader.readAtLeast(broker.bootstrapServers(), List.of(PREDICTIONS, DLQ), sent.size(),
          Duration.ofMinutes(3));
      assertEquals(sent.size(), out.size(), "one prediction or dead letter per image, with only its ACLs");
      assertTrue(classifier.fatal().getNow(null) == null, "no refusal: " + classifier.fatal().getNow(null));
    }

    AclBinding write = allow(ResourceType.TOPIC, PREDICTIONS, PatternType.LITERAL, "User:" + CLASSIFIER,
        AclOperation.WRITE);
    try (Admin admin = KafkaTestCluster.admin(broker.bootstrapServers())) {
      admin.deleteAcls(List.of(write.toFilter())).all().get();
    }
    try {
      sendImages("denied-", 20);
      Path model = Files.write(dir.resolve("model.zip"), TestModels.darkLightArtifact());
      String line = runUntilExit("classify", 3, "--config", config.toString(), "--model", model.toString(),
          "--metrics-port", "0");
      assertTrue(line.startsWith("imagestream classify: not authorized: topic " + PREDICTIONS + " "), line);
    } finally {
      try (Admin admin = KafkaTestCluster.admin(broker.bootstrapServers())) {
        admin.createAcls(List.of(write)).all().get();
      }
    }
  }

  @Test
  void theTrainerPublishesWithItsAclsAndStopsInOneLineWithoutOne() throws Exception {
    Path config = serviceConfig(TRAINER, "t-secret");
    sendLabelled(200);
    TrainerMetrics metrics = new TrainerMetrics(new SimpleMeterRegistry());
    List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    TrainerService trainer = new TrainerService(load(config), null, metrics, events::add);
    Thread loop = new Thread(trainer::run, "least-privilege-trainer");
    loop.start();
    try {
      Awaitility.await("a model published").atMost(Duration.ofMinutes(4)).until(() -> !loop.isAlive()
          || metrics.registry().get("imagestream.trainer.models.published").counter().count() >= 1);
      assertTrue(loop.isAlive(), "the trainer runs: " + events);
    } finally {
      trainer.close();
      loop.join(60_000);
    }
    List<ModelsTopic.Entry> models = new ModelsTopic(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()),
        MODELS)
        .readAll(Duration.ofSeconds(30));
    assertEquals(1, models.size(), "published over SASL with the trainer's own transactional id: " + events);

    AclBinding group = allow(ResourceType.GROUP, TRAINER_GROUP, PatternType.LITERAL, "User:" + TRAINER,
        AclOperation.READ);
    try (Admin admin = KafkaTestCluster.admin(broker.bootstrapServers())) {
      admin.deleteAcls(List.of(group.toFilter())).all().get();
    }
    try {
      String line = runUntilExit("train", 1, "--config", config.toString(), "--metrics-port", "0");
      assertEquals("imagestream train: not authorized: consumer group " + TRAINER_GROUP + " (the broker's authorizer "
          + "refused it; docs/cluster.md lists the ACLs each service needs)", line);
    } finally {
      try (Admin admin = KafkaTestCluster.admin(broker.bootstrapServers())) {
        admin.createAcls(List.of(group)).all().get();
      }
    }
  }

  private static void sendLabelled(int count) {
    Random random = new Random(7);
    try (KafkaProducer<byte[], byte[]> producer = io.imagestream.testing.SteadyLoad.producer(
        broker.bootstrapServers())) {
      for (int i = 0; i < count; i++) {
        String truth = i % 2 == 0 ? "dark" : "light";
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(LABELLED,
            ("l-" + i).getBytes(StandardCharsets.UTF_8), TestImages.solid("png", 16, 16,
            TestModels.colourOf(truth, random)));
        record.headers().add(TrainerService.LABEL_HEADER, truth.getBytes(StandardCharsets.UTF_8));
        producer.send(record);
      }
    }
  }

  /**
   * Runs the command in a child JVM against the SASL_SSL listener until it exits by itself; asserts its exit code and
   * that it printed exactly one error line, which it returns.
   */
  private static String runUntilExit(String command, int exitCode, String... args) throws Exception {
    Path log = dir.resolve(command + "-denied.log");
    List<String> all = new ArrayList<>(List.of(command, "--bootstrap-servers", broker.saslSslBootstrapServers()));
    all.addAll(List.of(args));
    Process process = ChildJvm.start(log, all.toArray(String[]::new));
    try {
      assertTrue(process.waitFor(4, TimeUnit.MINUTES), command + " stops by itself: " + ChildJvm.tail(log));
      assertEquals(exitCode, process.exitValue(), ChildJvm.tail(log));
    } finally {
      ChildJvm.kill(process);
    }
    List<String> errors = Files.readAllLines(log).stream().filter(l -> l.startsWith("imagestream " + command + ":"))
        .toList();
    assertEquals(1, errors.size(), ChildJvm.tail(log));
    return errors.get(0);
  }
}
