package io.imagestream.classify;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The images buffered by all the tasks (input partitions) of one stream thread, in arrival order: one micro-batch
 * for the thread rather than one per task. With six partitions on two threads, a per-task buffer fills three times
 * more slowly, so below saturation its batches were a third of the size (more network calls per image) or waited
 * three times longer for the same size.
 *
 * <p>Only its stream thread touches it (Kafka Streams runs a task's process, punctuate, init and close on the thread
 * that owns the task), so it needs no locking. Each image still belongs to its task: it stays in that task's
 * changelogged store until that task has forwarded its outcome, from its own processor context.
 */
final class ThreadBatch {
  /**
   * One buffered image: the task that owns it, its store sequence, and its decode (started on arrival; null for an
   * image restored from the store).
   */
  record Entry(BatchClassifierProcessor owner, long sequence, PendingImage image,
               CompletableFuture<DecodePool.Decoded> decoded) {}

  /** One batch per stream thread of one topology (tests build several topologies on one thread). */
  static final class PerThread {
    private final ThreadLocal<ThreadBatch> batches = ThreadLocal.withInitial(ThreadBatch::new);

    ThreadBatch current() {
      return batches.get();
    }
  }

  private final ArrayDeque<Entry> entries = new ArrayDeque<>();

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

  /** Drops a closing task's images (they stay in its store, and whoever owns the task next classifies them). */
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
