package io.imagestream.classify;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.ImageRejectedException;
import io.imagestream.image.InputShape;
import io.imagestream.kafka.DeadLetters;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decodes images on worker threads, so that the stream thread keeps reading, buffering and classifying while the
 * next batch's images are decoded (decoding dominates for photo-sized inputs). With 0 threads, images are decoded on
 * the calling thread. Idle workers end after a while, so an unclosed pool (tests) leaves no threads behind.
 */
final class DecodePool {
  /** What became of one image: its pixels for a shape, or why it was refused. */
  record Decoded(InputShape shape, byte[] pixels, String rejectReason, String message) {
    boolean rejected() {
      return rejectReason != null;
    }
  }

  private final ThreadPoolExecutor executor;

  DecodePool(int threads) {
    if (threads <= 0) {
      executor = null;
      return;
    }
    executor = workers(threads, "imagestream-decode-", 30);
  }

  /** A fixed pool of named daemon threads that end after {@code idleSeconds} idle (an unclosed pool leaves none). */
  static ThreadPoolExecutor workers(int threads, String namePrefix, int idleSeconds) {
    AtomicInteger counter = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, idleSeconds, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), task -> {
          Thread thread = new Thread(task, namePrefix + counter.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  int threads() {
    return executor == null ? 0 : executor.getMaximumPoolSize();
  }

  CompletableFuture<Decoded> submit(ImagePreprocessor preprocessor, byte[] encoded) {
    if (executor == null) {
      return CompletableFuture.completedFuture(decode(preprocessor, encoded));
    }
    return CompletableFuture.supplyAsync(() -> decode(preprocessor, encoded), executor);
  }

  /** Never throws for bad input: the refusal is the result (the JVM's own Errors still propagate). */
  static Decoded decode(ImagePreprocessor preprocessor, byte[] encoded) {
    try {
      return new Decoded(preprocessor.shape(), preprocessor.toPixels(encoded), null, null);
    } catch (ImageRejectedException e) {
      return new Decoded(preprocessor.shape(), null, e.reason().name(), e.getMessage());
    } catch (RuntimeException e) {
      return new Decoded(preprocessor.shape(), null, DeadLetters.INTERNAL, e.toString());
    }
  }

  void shutdown() {
    if (executor != null) {
      executor.shutdownNow();
    }
  }
}
