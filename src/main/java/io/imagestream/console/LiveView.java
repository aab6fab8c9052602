package io.imagestream.console;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What the live page shows, in bounded memory: the last N predictions joined with their images (the predictions name
 * the image by its source topic, partition and offset), the last dead letters, rates and the served model version.
 *
 * <p>Images wait in a buffer for their prediction; the buffer and the images shown together stay within a byte budget,
 * the oldest waiting images going first, then the oldest images shown (their prediction stays, without a picture).
 * Thread-safe: one feed thread writes, HTTP threads read.
 */
final class LiveView {
  /** One classified image as the page shows it; {@code seq} orders them and names the picture's URL. */
  record Item(long seq, String id, String label, double probability, List<PredictionJson.Guess> top, String model,
              long modelVersion, long produced, long classified, boolean hasImage) {
    Item withImage(boolean has) {
      return has == hasImage ? this
          : new Item(seq, id, label, probability, top, model, modelVersion, produced, classified, has);
    }
  }

  /** One dead letter as the page shows it. */
  record DeadLetter(long seq, String id, String reason, String message, String source, long timestamp) {}

  record Stats(double imagesPerSecond, double deadLettersPerSecond, String servedModel, long servedVersion,
               long classified, long deadLettered, long buffered, long bufferedBytes) {}

  private static final class Entry {
    final Item item;
    final Coordinates source;
    ImageBytes image;
    boolean imageDropped;

    Entry(Item item, Coordinates source, ImageBytes image) {
      this.item = item;
      this.source = source;
      this.image = image;
    }
  }

  private final int recentImages;
  private final int recentDeadLetters;
  private final long budgetBytes;
  private final long maxImageBytes;
  private final LongSupplier clock;

  private final LinkedHashMap<Coordinates, ImageBytes> waiting = new LinkedHashMap<>();
  private final ArrayDeque<Entry> recent = new ArrayDeque<>();
  private final ArrayDeque<DeadLetter> deadLetters = new ArrayDeque<>();
  private final RateMeter imageRate = new RateMeter(5);
  private final RateMeter deadLetterRate = new RateMeter(5);
  /** Predictions shown per second at most, beyond a first page's worth. */
  static final double SHOWN_PER_SECOND = 4;
  private double showTokens;
  private long lastRefillMs;
  private long waitingBytes;
  private long shownBytes;
  private long seq;
  private long classified;
  private long deadLettered;
  private String servedModel = "";
  private long servedVersion = -1;

  LiveView(int recentImages, int recentDeadLetters, long budgetBytes, long maxImageBytes, LongSupplier clock) {
    this.recentImages = recentImages;
    this.recentDeadLetters = recentDeadLetters;
    this.budgetBytes = budgetBytes;
    this.maxImageBytes = maxImageBytes;
    this.clock = clock;
    this.showTokens = recentImages;
    this.lastRefillMs = clock.getAsLong();
  }

  /** An image from the images topic: kept until its prediction comes (or the budget needs the room). */
  synchronized void image(Coordinates at, byte[] value) {
    ImageBytes image = ImageBytes.of(value, maxImageBytes).orElse(null);
    if (image == null || image.size() > budgetBytes) {
      return; // not something a browser should get: its prediction shows without a picture
    }
    for (Entry e : recent) {
      if (e.image == null && !e.imageDropped && e.source.equals(at)) { // its prediction came first
        e.image = image;
        shownBytes += image.size();
        enforceBudget();
        return;
      }
    }
    ImageBytes previous = waiting.put(at, image);
    waitingBytes += image.size() - (previous == null ? 0 : previous.size());
    enforceBudget();
  }

  /**
   * A prediction: joins its image and becomes the newest item.
   *
   * @param counted false for the records read back at start (history, not throughput)
   */
  synchronized void prediction(PredictionJson p, long headerVersion, boolean counted) {
    Coordinates source = new Coordinates(p.sourceTopic(), p.sourcePartition(), p.sourceOffset());
    ImageBytes image = waiting.remove(source);
    if (image != null) {
      waitingBytes -= image.size();
    }
    long version = p.modelVersion() >= 0 ? p.modelVersion() : headerVersion;
    servedModel = p.modelName();
    servedVersion = version;
    if (counted) {
      classified++;
      imageRate.record(clock.getAsLong());
    }
    if (!admitToShow()) {
      return; // its image, if it came, is dropped with it
    }
    if (image != null) {
      shownBytes += image.size();
    }
    Item item = new Item(++seq, p.id(), p.label(), p.probability(), p.top(3), p.modelName(), version, p.produced(),
        p.classified(), image != null);
    recent.addLast(new Entry(item, source, image));
    while (recent.size() > recentImages) {
      Entry dropped = recent.removeFirst();
      if (dropped.image != null) {
        shownBytes -= dropped.image.size();
      }
    }
    enforceBudget();
  }

  /**
   * Whether the next prediction may take a place on the page: all of them at a few per second, a sample beyond
   * that. At thousands per second every place would be taken again before a browser
   * could fetch its picture, and nobody can watch that many anyway.
   */
  private boolean admitToShow() {
    long now = clock.getAsLong();
    // Refilled up to a quarter page: after a pause (a classifier catching up) a burst replaces at most a quarter of
    // the page at once, so every picture stays a few seconds for the browsers to fetch it. The first page, at start,
    // may fill at once.
    double refilled = showTokens + (now - lastRefillMs) * SHOWN_PER_SECOND / 1000.0;
    showTokens = Math.min(Math.max(showTokens, Math.max(1, recentImages / 4.0)), refilled);
    lastRefillMs = now;
    if (showTokens < 1) {
      return false;
    }
    showTokens--;
    return true;
  }

  /** A dead letter: its image will get no prediction, so it stops waiting. */
  synchronized void deadLetter(String id, String reason, String message, Coordinates source, long timestamp,
                               boolean counted) {
    ImageBytes image = source == null ? null : waiting.remove(source);
    if (image != null) {
      waitingBytes -= image.size();
    }
    String where = source == null ? "" : source.topic() + "-" + source.partition() + "@" + source.offset();
    deadLetters.addLast(new DeadLetter(++seq, id, reason, message, where, timestamp));
    while (deadLetters.size() > recentDeadLetters) {
      deadLetters.removeFirst();
    }
    if (counted) {
      deadLettered++;
      deadLetterRate.record(clock.getAsLong());
    }
  }

  private void enforceBudget() {
    Iterator<Map.Entry<Coordinates, ImageBytes>> oldest = waiting.entrySet().iterator();
    while (waitingBytes + shownBytes > budgetBytes && oldest.hasNext()) {
      waitingBytes -= oldest.next().getValue().size();
      oldest.remove();
    }
    Iterator<Entry> shown = recent.iterator();
    while (waitingBytes + shownBytes > budgetBytes && shown.hasNext()) {
      Entry e = shown.next();
      if (e.image != null) {
        shownBytes -= e.image.size();
        e.image = null;
        e.imageDropped = true;
      }
    }
  }

  /** How many items the page shows at most. */
  int capacity() {
    return recentImages;
  }

  /** The items newer than {@code afterSeq}, oldest first. */
  synchronized List<Item> itemsAfter(long afterSeq) {
    List<Item> items = new ArrayList<>();
    for (Entry e : recent) {
      if (e.item.seq() > afterSeq) {
        items.add(e.item.withImage(e.image != null));
      }
    }
    return items;
  }

  synchronized List<DeadLetter> deadLetters() {
    return List.copyOf(deadLetters);
  }

  /** The picture of a shown item, or null once it is gone. */
  synchronized ImageBytes image(long itemSeq) {
    for (Entry e : recent) {
      if (e.item.seq() == itemSeq) {
        return e.image;
      }
    }
    return null;
  }

  synchronized Stats stats() {
    long now = clock.getAsLong();
    return new Stats(imageRate.perSecond(now), deadLetterRate.perSecond(now), servedModel, servedVersion, classified,
        deadLettered, waiting.size(), waitingBytes + shownBytes);
  }

  /** For tests: bytes held now (waiting + shown). */
  synchronized long heldBytes() {
    return waitingBytes + shownBytes;
  }

  synchronized int waitingCount() {
    return waiting.size();
  }
}
