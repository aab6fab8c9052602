package io.imagestream.cli;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.model.ImageFolderDataset;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "publish", mixinStandardHelpOptions = true,
    description = {"Sends image files (folders recursively) to a topic; key = path relative to the folder given.",
        "With --label or --label-from-folder they go to the labelled-images topic with a 'label' header."})
final class PublishCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  static final String LABEL_HEADER = "label";

  @Mixin
  KafkaOptions kafka;

  @Parameters(arity = "1..*", paramLabel = "PATH", description = "Image files or folders.")
  List<Path> paths;

  @Option(names = "--topic", description = "Topic (default: images, or labelled-images with a label).")
  String topic;

  @ArgGroup(exclusive = true)
  Labels labels;

  static final class Labels {
    @Option(names = "--label", paramLabel = "NAME", description = "Class name for every image.")
    String label;

    @Option(names = "--label-from-folder",
        description = "Class name = first folder below the folder given (Keras flow_from_directory layout).")
    boolean fromFolder;
  }

  record Item(Path file, String key, String label) {}

  @Override
  public Integer call() throws Exception {
    ImagestreamConfig config = kafka.config();
    boolean labelled = labels != null;
    String target = topic != null ? topic : config.getString(labelled ? ImagestreamConfig.TOPIC_LABELLED
        : ImagestreamConfig.TOPIC_IMAGES);
    List<Item> items = items();
    if (items.isEmpty()) {
      throw new Errors.UserException("no image files (" + ImageFolderDataset.IMAGE_EXTENSIONS + ") under " + paths);
    }
    ServiceSupport.requireReachable(config);
    Map<String, Object> props = producerProperties(config);
    AtomicReference<Exception> failure = new AtomicReference<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
        new ByteArraySerializer());
         ProgressBar bar = new ProgressBarBuilder().setTaskName("publish").setInitialMax(items.size())
             .setStyle(ProgressBarStyle.ASCII).setUnit(" img", 1).continuousUpdate().build()) {
      for (Item item : items) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(target,
            item.key.getBytes(StandardCharsets.UTF_8), Files.readAllBytes(item.file));
        if (item.label != null) {
          record.headers().add(LABEL_HEADER, item.label.getBytes(StandardCharsets.UTF_8));
        }
        producer.send(record, (metadata, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          } else {
            bar.step();
          }
        });
        if (failure.get() != null) {
          break;
        }
      }
      producer.flush();
    }
    if (failure.get() instanceof AuthenticationException e) {
      throw ServiceSupport.authenticationFailed(config, e);
    }
    if (failure.get() != null) {
      throw new Errors.UserException("publishing to " + target + " failed: " + Errors.describe(failure.get()), 1);
    }
    spec.commandLine().getOut().printf("published %d images to %s%n", items.size(), target);
    return 0;
  }

  static Map<String, Object> producerProperties(ImagestreamConfig config) {
    Map<String, Object> props = new HashMap<>(config.clientProperties());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 64 * 1024 * 1024);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    return props;
  }

  private List<Item> items() throws IOException {
    List<Item> items = new ArrayList<>();
    for (Path path : paths) {
      if (Files.isRegularFile(path)) {
        String label = labels == null ? null : labels.label;
        if (labels != null && labels.fromFolder) {
          throw new Errors.UserException("--label-from-folder needs folders, not the file " + path);
        }
        items.add(new Item(path, path.getFileName().toString(), label));
      } else if (Files.isDirectory(path)) {
        for (Path file : ImageFolderDataset.imageFiles(path)) {
          Path relative = path.relativize(file);
          String label = labels == null ? null : labels.fromFolder
              ? (relative.getNameCount() > 1 ? relative.getName(0).toString() : null) : labels.label;
          if (labels != null && labels.fromFolder && label == null) {
            continue; // a file directly in the top folder has no class folder
          }
          items.add(new Item(file, relative.toString().replace('\\', '/'), label));
        }
      } else {
        throw new Errors.UserException("no such file or folder: " + path);
      }
    }
    return items;
  }
}
