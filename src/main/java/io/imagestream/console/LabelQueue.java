package io.imagestream.console;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The labelling queue: the images of the to-label topic, oldest first, minus those already labelled. "Already
 * labelled" comes from the labelled-images topic itself (read from its beginning), so it holds across console restarts
 * and between people using different consoles; within one console a claim makes sure two people clicking the same
 * image send one label, not two. Keeps ids, guesses and positions only, not image bytes. Thread-safe.
 */
final class LabelQueue {
  /** An image waiting for a label: where its bytes are on the to-label topic, and what the model thought. */
  record Queued(String id, byte[] key, Coordinates at, long timestamp, String label, double probability,
                List<PredictionJson.Guess> top, List<String> classes, long modelVersion, int bytes) {}

  /** What a claim came to. */
  enum Claim { CLAIMED, ALREADY_LABELLED, NOT_QUEUED }

  record Counts(long labelled, long labelledHere, int left, boolean moreWaiting) {}

  private static final Comparator<Queued> OLDEST_FIRST = Comparator.comparingLong(Queued::timestamp)
      .thenComparingInt(q -> q.at().partition()).thenComparingLong(q -> q.at().offset());

  private final int maxQueued;
  private final int maxLabelledIds;
  private final TreeSet<Queued> queue = new TreeSet<>(OLDEST_FIRST);
  private final Map<String, Queued> byId = new HashMap<>();
  private final Map<Coordinates, Queued> byPosition = new HashMap<>();
  private final LinkedHashSet<String> labelledIds = new LinkedHashSet<>();
  private final Set<String> claimed = new HashSet<>();
  private long labelled;
  private long labelledHere;
  private boolean moreWaiting;

  LabelQueue(int maxQueued, int maxLabelledIds) {
    this.maxQueued = maxQueued;
    this.maxLabelledIds = maxLabelledIds;
  }

  /** An image from to-label; ignored when it is already labelled or queued (the same id twice). */
  synchronized void offer(Queued q) {
    if (labelledIds.contains(q.id())) {
      labelled++;
      return;
    }
    if (byId.containsKey(q.id()) || claimed.contains(q.id())) {
      return;
    }
    queue.add(q);
    byId.put(q.id(), q);
    byPosition.put(q.at(), q);
  }

  /** An id seen on labelled-images (from anyone): it leaves the queue for good. */
  synchronized void labelled(String id) {
    if (labelledIds.remove(id)) {
      labelledIds.add(id);
      return;
    }
    labelledIds.add(id);
    if (labelledIds.size() > maxLabelledIds) {
      Iterator<String> oldest = labelledIds.iterator();
      oldest.next();
      oldest.remove();
    }
    Queued q = byId.remove(id);
    if (q != null) {
      queue.remove(q);
      byPosition.remove(q.at());
      labelled++;
    }
  }

  /** Takes the image for one person's label: at most one claim per id, ever, and none once it is labelled. */
  synchronized Claim claim(String id) {
    if (labelledIds.contains(id) || claimed.contains(id)) {
      return Claim.ALREADY_LABELLED;
    }
    if (!byId.containsKey(id)) {
      return Claim.NOT_QUEUED;
    }
    claimed.add(id);
    return Claim.CLAIMED;
  }

  /** The label of a claimed image is on the topic: it leaves the queue (also before the feed reads it back). */
  synchronized void labelledHere(String id) {
    labelledHere++;
    labelled(id);
    claimed.remove(id); // the labelled ids refuse further claims now; the claim set stays small
  }

  /** Sending the label failed: someone may try again. */
  synchronized void release(String id) {
    claimed.remove(id);
  }

  synchronized Queued get(String id) {
    return byId.get(id);
  }

  /** The queued image at a position of the to-label topic, if it is queued. */
  synchronized Queued at(Coordinates at) {
    return byPosition.get(at);
  }

  /** Up to {@code limit} images, oldest first, not counting those being labelled right now. */
  synchronized List<Queued> oldest(int limit) {
    List<Queued> out = new ArrayList<>();
    for (Queued q : queue) {
      if (out.size() >= limit) {
        break;
      }
      if (!claimed.contains(q.id())) {
        out.add(q);
      }
    }
    return out;
  }

  /** Whether the feed should stop reading to-label for now (newer images wait on the topic). */
  synchronized boolean full() {
    return queue.size() >= maxQueued;
  }

  synchronized void moreWaiting(boolean more) {
    moreWaiting = more;
  }

  synchronized Counts counts() {
    int inProgress = 0;
    for (String id : claimed) {
      if (byId.containsKey(id)) {
        inProgress++;
      }
    }
    return new Counts(labelled, labelledHere, queue.size() - inProgress, moreWaiting);
  }

  synchronized int size() {
    return queue.size();
  }
}
