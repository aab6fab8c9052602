package io.imagestream.testing;

import io.imagestream.image.TestImages;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends images (every 50th one not an image) at a steady pace on a thread until closed. The producer is idempotent,
 * retries, and waits up to 5 minutes for a broker, so it rides through a broker restart; {@link #acked()} holds the
 * ids the broker acknowledged, {@link #failed()} counts sends that gave up (a test expects none).
 */
public final class SteadyLoad implements AutoCloseable {
  private final Set<String> acked = ConcurrentHashMap.newKeySet();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicReference<Exception> firstFailure = new AtomicReference<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicBoolean aborted = new AtomicBoolean();
  private final Thread thread;

  public SteadyLoad(String bootstrapServers, String topic, int perSecond, long seed) {
    long periodNanos = 1_000_000_000L / perSecond;
    Random random = new Random(seed);
    byte[] dark = TestImages.solid("png", 16, 16, Color.BLACK);
    byte[] light = TestImages.solid("png", 16, 16, Color.WHITE);
    byte[] bad = "not an image".getBytes(StandardCharsets.UTF_8);
    thread = new Thread(() -> {
      KafkaProducer<byte[], byte[]> producer = producer(bootstrapServers);
      try {
        long start = System.nanoTime();
        for (int i = 0; running.get(); i++) {
          String id = "img-" + i;
          byte[] value = i % 50 == 0 ? bad : random.nextBoolean() ? dark : light;
          producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), value), (meta, e) -> {
            if (e == null) {
              acked.add(id);
            } else {
              failed.incrementAndGet();
              firstFailure.compareAndSet(null, e);
            }
          });
          LockSupport.parkNanos(Math.max(0, start + (i + 1) * periodNanos - System.nanoTime()));
        }
        if (!aborted.get()) {
          producer.flush();
        }
      } catch (org.apache.kafka.common.errors.InterruptException e) {
        // aborted
      } finally {
        producer.close(aborted.get() ? java.time.Duration.ZERO : java.time.Duration.ofSeconds(30));
      }
    }, "steady-load");
    thread.setDaemon(true);
    thread.start();
  }

  /** Idempotent, with retries for as long as a broker restart can take. */
  public static KafkaProducer<byte[], byte[]> producer(String bootstrapServers) {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000,
        ProducerConfig.MAX_BLOCK_MS_CONFIG, 300_000,
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024), new ByteArraySerializer(), new ByteArraySerializer());
  }

  public Set<String> acked() {
    return acked;
  }

  public int failed() {
    return failed.get();
  }

  public Exception firstFailure() {
    return firstFailure.get();
  }

  /** Stops sending, flushes what was sent (every send acknowledged or failed) and returns the acknowledged ids. */
  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join(320_000);
  }

  /** For finally blocks: stops at once without waiting for unacknowledged sends (the broker may be down). */
  public void abort() throws InterruptedException {
    aborted.set(true);
    running.set(false);
    thread.interrupt();
    thread.join(10_000);
  }
}
