package io.imagestream.classify;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The images buffered by all the tasks (input partitions) of one stream thread, in arrival order, and the thread's
 * batch in the network, if any: one micro-batch for the thread rather than one per task. With six partitions on two
 * threads, a per-task buffer fills three times more slowly, so below saturation its batches were a third of the size
 * (more network calls per image) or waited three times longer for the same size.
 *
 * <p>Only its stream thread touches it (Kafka Streams runs a task's process, punctuate, init and close on the thread
 * that owns the task), so it needs no locking; a network thread only computes the batch in flight, and its outcomes
 * reach the tasks' queues on the stream thread. Each image still belongs to its task: it stays in that task's
 * changelogged store until that task has forwarded its outcome, from its own processor context.
 */
final class ThreadBatch {
  /**
   * One buffered image: the task that owns it, the owner's epoch when it was buffered (its outcome is dropped if the
   * task has been closed or re-initialised since), its store sequence, and its decode (started on arrival; null for
   * an image restored from the store).
   */
  record Entry(BatchClassifierProcessor owner, int epoch, long sequence, PendingImage image,
               CompletableFuture<DecodePool.Decoded> decoded) {}

  /** One batch per stream thread of one topology (tests build several topologies on one thread). */
  static final class PerThread {
    private final ThreadLocal<ThreadBatch> batches = ThreadLocal.withInitial(ThreadBatch::new);

    ThreadBatch current() {
      return batches.get();
    }
  }

  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  /**
   * The batch in the network (at most one, so each task's outcomes come back in its input order), completing with
   * what hands its outcomes to their tasks; run on this thread once it is done. Null: none in flight.
   */
  private CompletableFuture<Runnable> inFlight;
  /** Wall clock of the last commit one of this thread's tasks asked for (exactly-once v2 commits them all). */
  private long lastCommitRequestMs = Long.MIN_VALUE;

  /** True while a batch taken from here is still in the network. */
  boolean running() {
    return inFlight != null;
  }

  /** Sends a taken batch to the network; at most one at a time (await the one in flight first). */
  void launch(CompletableFuture<Runnable> batch) {
    if (inFlight != null) {
      throw new IllegalStateException("a batch is already in flight on this stream thread");
    }
    inFlight = batch;
  }

  /** Hands the outcomes of the batch in flight to their tasks if it is done; true if it was. */
  boolean deliverIfDone() {
    if (inFlight == null || !inFlight.isDone()) {
      return false;
    }
    CompletableFuture<Runnable> done = inFlight;
    inFlight = null;
    done.join().run(); // a failed batch throws here, on the stream thread (which Kafka Streams then replaces)
    return true;
  }

  /** Waits for the batch in flight, if any, and hands its outcomes to their tasks. */
  void awaitInFlight() {
    if (inFlight != null) {
      inFlight.join();
      deliverIfDone();
    }
  }

  /**
   * True, and noted as the thread's last request, if no task of this thread has asked for a commit in the last
   * {@code intervalMs} (0: always): the thread commits all its tasks at once, so one request per interval is enough.
   */
  boolean commitDue(long nowMs, long intervalMs) {
    if (lastCommitRequestMs != Long.MIN_VALUE && nowMs - lastCommitRequestMs < intervalMs) {
      return false;
    }
    lastCommitRequestMs = nowMs;
    return true;
  }

  void add(Entry entry) {
    entries.addLast(entry);
  }

  int size() {
    return entries.size();
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  /** Wall-clock arrival of the oldest buffered image, or Long.MAX_VALUE when there is none. */
  long oldestArrivalMs() {
    return entries.isEmpty() ? Long.MAX_VALUE : entries.peekFirst().image().arrivalWallClockMs();
  }

  /** Removes and returns the oldest images, at most {@code max}: for each task a prefix of its input order. */
  List<Entry> take(int max) {
    List<Entry> taken = new ArrayList<>(Math.min(max, entries.size()));
    while (taken.size() < max && !entries.isEmpty()) {
      taken.add(entries.pollFirst());
    }
    return taken;
  }

  /**
   * Drops a closing task's images (they stay in its store, and whoever owns the task next classifies them); its
   * images in flight are dropped when their batch is delivered (the task's epoch has moved on).
   */
  void removeAll(BatchClassifierProcessor owner) {
    for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
      Entry entry = it.next();
      if (entry.owner() == owner) {
        if (entry.decoded() != null) { // null: restored from the store, decoded when its batch runs
          entry.decoded().cancel(false);
        }
        it.remove();
      }
    }
  }
}
