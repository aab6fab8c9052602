package io.imagestream.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * What the half-load timing consumer saw, one row per output, kept in columns of primitives. The consumer keeps every
 * row for the whole run in the JVM it measures, and as objects (a record, its id string and a hash-set entry: ~150
 * bytes an image) they were the young generation's main survivors at PNG rates. G1's tenuring table showed ~2 MB
 * more at every age up to 15, so each pause copied ~40 MB of the bench's own rows, up to 15 times each, and the
 * latency it measured included that. Columns hold no references, and once large they are humongous regions that no
 * young collection copies. Not thread-safe: the collector guards it.
 */
final class OutputLog {
  private static final String KEY_PREFIX = "img-";
  private static final int INITIAL_ROWS = 1 << 14;

  /**
   * One output.
   *
   * @param index the image's index in the run ({@code BenchKafka.key}); -1 for a key of another form
   * @param untilReceivedMs from the input's timestamp to the classifier reading it (the prediction's
   *     timestamps.received; -1: dead letter)
   * @param untilClassifiedMs from the input's timestamp to the prediction's classified time (-1: dead letter)
   */
  record Output(int index, long inputTimestampMs, long latencyMs, long version, boolean deadLetter, int partition,
                long untilReceivedMs, long untilClassifiedMs) {}

  private int size;
  private int[] index = new int[INITIAL_ROWS];
  private long[] inputTimestampMs = new long[INITIAL_ROWS];
  private long[] latencyMs = new long[INITIAL_ROWS];
  private long[] version = new long[INITIAL_ROWS];
  private int[] partition = new int[INITIAL_ROWS];
  private long[] untilReceivedMs = new long[INITIAL_ROWS];
  private long[] untilClassifiedMs = new long[INITIAL_ROWS];
  private final BitSet deadLetter = new BitSet();
  private final BitSet seen = new BitSet();
  private int distinct;

  void add(Output o) {
    if (size == index.length) {
      int grown = size * 2;
      index = Arrays.copyOf(index, grown);
      inputTimestampMs = Arrays.copyOf(inputTimestampMs, grown);
      latencyMs = Arrays.copyOf(latencyMs, grown);
      version = Arrays.copyOf(version, grown);
      partition = Arrays.copyOf(partition, grown);
      untilReceivedMs = Arrays.copyOf(untilReceivedMs, grown);
      untilClassifiedMs = Arrays.copyOf(untilClassifiedMs, grown);
    }
    index[size] = o.index();
    inputTimestampMs[size] = o.inputTimestampMs();
    latencyMs[size] = o.latencyMs();
    version[size] = o.version();
    partition[size] = o.partition();
    untilReceivedMs[size] = o.untilReceivedMs();
    untilClassifiedMs[size] = o.untilClassifiedMs();
    deadLetter.set(size, o.deadLetter());
    if (o.index() >= 0 && !seen.get(o.index())) {
      seen.set(o.index());
      distinct++;
    }
    size++;
  }

  /** The image index of a bench key ("img-N"), or -1. */
  static int indexOf(String key) {
    if (key == null || !key.startsWith(KEY_PREFIX)) {
      return -1;
    }
    try {
      return Integer.parseInt(key.substring(KEY_PREFIX.length()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  int size() {
    return size;
  }

  /** How many different images have at least one output. */
  int distinct() {
    return distinct;
  }

  /** The rows as objects, in the order they were added (for the analysis after the run). */
  List<Output> outputs() {
    List<Output> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(new Output(index[i], inputTimestampMs[i], latencyMs[i], version[i], deadLetter.get(i), partition[i],
          untilReceivedMs[i], untilClassifiedMs[i]));
    }
    return out;
  }
}
