package io.imagestream.classify;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.Supplier;

/**
 * The threads micro-batches run through the network on, one per stream thread (each stream thread has at most one
 * batch in flight), so that a stream thread keeps reading, buffering and committing while its batch runs. With 0
 * threads, batches run on the calling (stream) thread. Idle workers end after a while, so an unclosed pool (tests)
 * leaves no threads behind; the networks themselves are shared copies (LoadedModel), not per thread.
 */
final class NetworkPool {
  private final ThreadPoolExecutor executor;
  /** Where batches run: the executor, another one (tests), or null: on the calling thread. */
  private final Executor runner;

  /** Tests: batches run on this executor. */
  NetworkPool(Executor runner) {
    this.executor = null;
    this.runner = runner;
  }

  NetworkPool(int threads) {
    if (threads <= 0) {
      executor = null;
      runner = null;
      return;
    }
    executor = DecodePool.workers(threads, "imagestream-network-", 60);
    runner = executor;
  }

  /** Runs the batch on a network thread, or here (already done when this returns) without threads. */
  <T> CompletableFuture<T> submit(Supplier<T> batch) {
    if (runner == null) {
      return CompletableFuture.completedFuture(batch.get());
    }
    return CompletableFuture.supplyAsync(batch, runner);
  }

  void shutdown() {
    if (executor != null) {
      executor.shutdownNow();
    }
  }
}
