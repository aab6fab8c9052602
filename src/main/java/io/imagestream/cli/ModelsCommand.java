package io.imagestream.cli;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.kafka.ModelsTopic;
import io.imagestream.model.InvalidModelException;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "models", mixinStandardHelpOptions = true,
    description = "The model versions on the models topic: list them, publish a file as the next version, roll "
        + "back (republish an earlier version as the newest), or retire old versions.",
    subcommands = {ModelsCommand.ListModels.class, ModelsCommand.Publish.class, ModelsCommand.Rollback.class,
        ModelsCommand.Retire.class})
final class ModelsCommand implements Runnable {
  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static ModelsTopic topic(ImagestreamConfig config) {
    return new ModelsTopic(config.clientProperties(), config.getString(ImagestreamConfig.TOPIC_MODELS));
  }

  static List<ModelsTopic.Entry> entries(ImagestreamConfig config) {
    return contents(config).entries();
  }

  static ModelsTopic.Contents contents(ImagestreamConfig config) {
    ServiceSupport.requireReachable(config);
    try {
      return topic(config).scan(Duration.ofSeconds(30));
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw new Errors.UserException("Kafka at " + config.bootstrapServers() + " did not answer: " + e.getMessage(), 3);
    }
  }

  static void publishAs(ImagestreamConfig config, byte[] artifact, long version, long parent, PrintWriter out)
      throws InvalidModelException {
    String name = config.getString(ImagestreamConfig.MODEL_NAME);
    byte[] stamped = ModelArtifact.restamp(artifact, m -> m.withName(name).withVersion(version, parent));
    ModelArtifact.load(stamped, "model to publish"); // verify before anyone can be served it
    try (ModelsTopic.Publisher publisher = new ModelsTopic.Publisher(config.clientProperties(),
        config.getString(ImagestreamConfig.TOPIC_MODELS), "imagestream-models-cli-" + name,
        config.modelSigningKey())) {
      publisher.publish(stamped);
    }
    out.printf("published %s v%d (sha256 %s)%n", name, version, ModelArtifact.sha256(stamped));
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Versions on the models topic, with metrics.")
  static final class ListModels implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      ModelsTopic.Contents contents = contents(kafka.config());
      List<ModelsTopic.Entry> entries = contents.entries();
      contents.incomplete().forEach(i -> out.println("incomplete: " + i.describe()));
      if (entries.isEmpty()) {
        out.println("no models on the topic yet (classifiers serve the default model)");
        return 0;
      }
      out.printf("%-10s %7s %7s %-24s %-9s %s%n", "name", "version", "parent", "published", "accuracy", "classes");
      entries.stream().sorted(Comparator.comparingLong(ModelsTopic.Entry::version)).forEach(e -> {
        ModelMetadata m = e.metadata().orElse(null);
        Map<String, Double> metrics = m == null || m.training() == null ? Map.of() : m.training().metrics();
        Double accuracy = metrics.getOrDefault("heldout_accuracy", metrics.get("val_accuracy"));
        out.printf("%-10s %7d %7s %-24s %-9s %s%n", e.name(), e.version(), m == null ? "?" : m.parentVersion(),
            Instant.ofEpochMilli(e.timestamp()), accuracy == null ? "-" : String.format("%.4f", accuracy),
            m == null ? "(unreadable artifact)" : m.classNames());
      });
      out.flush();
      return 0;
    }
  }

  @Command(name = "publish", mixinStandardHelpOptions = true,
      description = "Publishes a model file as the next version (verified first); classifiers hot-swap to it.")
  static final class Publish implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;
    @Parameters(paramLabel = "FILE", description = "Model artifact (as written by fit).")
    Path file;
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if (!Files.isReadable(file)) {
        throw new Errors.UserException("model file " + file + " does not exist or is not readable");
      }
      byte[] artifact = Files.readAllBytes(file);
      LoadedModel model;
      try {
        model = ModelArtifact.load(artifact, file.toString());
      } catch (InvalidModelException e) {
        throw new Errors.UserException("refusing to publish: " + e.getMessage());
      }
      ImagestreamConfig config = kafka.config();
      ModelsTopic.Contents contents = contents(config);
      long parent = contents.entries().stream().mapToLong(ModelsTopic.Entry::version).max().orElse(1);
      // above every version seen, also one a publisher left half-way: its number is never reused
      long next = Math.max(1, contents.highestVersion()) + 1;
      publishAs(config, artifact, next, parent, spec.commandLine().getOut());
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true,
      description = "Republishes an earlier version as the newest (a new version number with the old network).")
  static final class Rollback implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;
    @Parameters(paramLabel = "VERSION", description = "The version to return to.")
    long version;
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      ImagestreamConfig config = kafka.config();
      ModelsTopic.Contents contents = contents(config);
      List<ModelsTopic.Entry> entries = contents.entries();
      ModelsTopic.Entry target = entries.stream().filter(e -> e.version() == version).findFirst()
          .orElseThrow(() -> new Errors.UserException("version " + version + " is not on the models topic (any more); "
              + "versions there: " + entries.stream().map(ModelsTopic.Entry::version).toList()));
      // a version is served only when its bytes are what was published (and signed): check before republishing
      if (!ModelArtifact.sha256(target.artifact()).equalsIgnoreCase(String.valueOf(target.declaredSha256()))) {
        throw new Errors.UserException("version " + version + " on the models topic does not match its sha256: "
            + "it cannot be rolled back to");
      }
      try { // with a signing key, republishing signs it: only what was signed before may be
        ModelsTopic.checkSignature(target, config.modelSigningKey(), "version " + version);
      } catch (InvalidModelException e) {
        throw new Errors.UserException("refusing to roll back: " + e.getMessage());
      }
      long latest = Math.max(version, contents.highestVersion());
      publishAs(config, target.artifact(), latest + 1, version, spec.commandLine().getOut());
      spec.commandLine().getOut().printf("v%d is v%d's network: classifiers swap to it%n", latest + 1, version);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  @Command(name = "retire", mixinStandardHelpOptions = true,
      description = "Removes versions from the models topic (tombstones for their chunks and manifest; compaction "
          + "then frees the space). The newest complete version is never retired.")
  static final class Retire implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;
    @Parameters(paramLabel = "VERSION", arity = "1..*", description = "The versions to remove.")
    List<Long> versions;
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      ImagestreamConfig config = kafka.config();
      String name = config.getString(ImagestreamConfig.MODEL_NAME);
      List<ModelsTopic.Entry> entries = entries(config).stream().filter(e -> e.name().equals(name)).toList();
      long newest = entries.stream().mapToLong(ModelsTopic.Entry::version).max().orElse(0);
      List<ModelsTopic.Entry> targets = new java.util.ArrayList<>();
      for (long version : versions) {
        if (version == newest) {
          throw new Errors.UserException("v" + version + " is the newest version of " + name + ": publish or roll back "
              + "to another one before retiring it");
        }
        ModelsTopic.Entry entry = entries.stream().filter(e -> e.version() == version).findFirst()
            .orElseThrow(() -> new Errors.UserException("version " + version + " of " + name + " is not on the models "
                + "topic; versions there: " + entries.stream().map(ModelsTopic.Entry::version).toList()));
        if (entry.chunks() < 1) {
          throw new Errors.UserException("v" + version + " is a single-record artifact (published before chunking, "
              + "key " + name + "): compaction keeps only the newest record of that key");
        }
        targets.add(entry);
      }
      try (ModelsTopic.Publisher publisher = new ModelsTopic.Publisher(config.clientProperties(),
          config.getString(ImagestreamConfig.TOPIC_MODELS), "imagestream-models-cli-" + name)) {
        for (ModelsTopic.Entry entry : targets) {
          publisher.retire(entry);
          spec.commandLine().getOut().printf("retired %s v%d (%d chunks)%n", name, entry.version(), entry.chunks());
        }
      }
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
