package io.imagestream.console;

import io.imagestream.config.ImagestreamConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The web console service: its feeds (live stream, labelling queue, models) on threads of their own and the HTTP
 * server in front of them. {@link #start} returns once it serves; {@link #close} stops everything it started.
 */
public final class Console implements AutoCloseable {
  /** The header {@code publish --label} and the trainer use for the class name. */
  public static final String LABEL_HEADER = "label";

  private final List<AutoCloseable> parts = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final String host;
  private ConsoleHttp http;

  private Console(String host) {
    this.host = host;
  }

  /**
   * Starts the console on host:port (port 0 picks a free one).
   *
   * @throws AccessGuard.RefusedException when the host is not loopback and no token is set (nothing is started)
   * @throws IllegalStateException when a topic is missing or Kafka does not answer
   */
  public static Console start(ImagestreamConfig config, String host, int port) {
    ConsoleSettings settings = ConsoleSettings.from(config);
    AccessGuard.checkBinding(host, settings.token());
    Console console = new Console(host);
    try {
      console.startParts(settings, port);
      return console;
    } catch (RuntimeException e) {
      console.close();
      throw e;
    }
  }

  /** The one-line reason the console refuses to listen on this host, or null when it may. */
  public static String refusal(ImagestreamConfig config, String host) {
    try {
      AccessGuard.checkBinding(host, ConsoleSettings.from(config).token());
      return null;
    } catch (AccessGuard.RefusedException e) {
      return e.getMessage();
    }
  }

  private void startParts(ConsoleSettings settings, int port) {
    Duration timeout = Duration.ofSeconds(30);
    LiveView live = new LiveView(settings.recentImages(), settings.recentDeadLetters(), settings.bufferBytes(),
        settings.maxImageBytes(), System::currentTimeMillis);
    LabelQueue queue = new LabelQueue(settings.queueMax(), Math.max(100_000, 10 * settings.queueMax()));

    LiveFeed liveFeed = add(new LiveFeed(settings, live));
    liveFeed.prepare(timeout);
    LabelFeed labelFeed = add(new LabelFeed(settings, queue));
    labelFeed.prepare(timeout);
    ModelWatcher models = add(new ModelWatcher(settings));
    RecordFetcher fetcher = add(new RecordFetcher(settings));
    KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(settings);
    parts.add(() -> producer.close(Duration.ofSeconds(10)));
    Labelling labelling = new Labelling(queue, fetcher::value, (key, value, label) -> {
      ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(settings.labelled(), key, value);
      record.headers().add(LABEL_HEADER, label.getBytes(StandardCharsets.UTF_8));
      producer.send(record).get(60, TimeUnit.SECONDS);
    });

    thread(liveFeed, "console-live-feed");
    thread(labelFeed, "console-label-feed");
    thread(models, "console-models");
    http = new ConsoleHttp(host, port, new ConsoleHttp.Sources(live, queue, labelling, fetcher::value,
        settings.toLabel(), models::newest, models::versions, labelFeed::ready, settings.maxImageBytes()),
        new AccessGuard(settings.token()), 1000);
  }

  private <T extends AutoCloseable> T add(T part) {
    parts.add(part);
    return part;
  }

  private void thread(Runnable body, String name) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  public int port() {
    return http.port();
  }

  /** The address to open, e.g. {@code http://127.0.0.1:9402/}. */
  public String url() {
    String shown = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return "http://" + shown + ":" + port() + "/";
  }

  @Override
  public void close() {
    if (http != null) {
      http.close();
    }
    for (AutoCloseable part : parts) {
      try {
        part.close();
      } catch (Exception e) {
        // closing anyway
      }
    }
    for (Thread t : threads) {
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
