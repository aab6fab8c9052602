package io.imagestream.bench;

import io.imagestream.bench.HalfLoad.Result;
import io.imagestream.bench.HalfLoad.Swap;
import io.imagestream.bench.HalfLoad.Window;
import io.imagestream.model.LoadedModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What a half-load run measured, from its outputs and batches: latency percentiles, loss, duplicates, the swap. */
final class HalfLoadAnalysis {
  private HalfLoadAnalysis() {}

  static Result result(String what, double rate, double achieved, int produced, List<OutputLog.Output> outputs,
                       BatchRecorder recorder, long windowStart, long windowEnd, long publishedAt,
                       LoadedModel model, LoadedModel next, Map<String, String> used, Window window,
                       GcPauses gc) {
    int[] times = new int[produced]; // outputs per image
    List<Double> latencies = new ArrayList<>();
    List<Double> untilClassified = new ArrayList<>();
    List<Double> untilReceived = new ArrayList<>();
    int deadLetters = 0;
    for (OutputLog.Output o : outputs) {
      if (o.index() >= 0 && o.index() < produced) {
        times[o.index()]++;
      }
      if (o.deadLetter()) {
        deadLetters++;
      }
      if (o.inputTimestampMs() >= windowStart && o.inputTimestampMs() < windowEnd) {
        latencies.add((double) o.latencyMs());
        if (o.untilClassifiedMs() >= 0) {
          untilClassified.add((double) o.untilClassifiedMs());
        }
        if (o.untilReceivedMs() >= 0) {
          untilReceived.add((double) o.untilReceivedMs());
        }
      }
    }
    int lost = (int) Arrays.stream(times).filter(n -> n == 0).count();
    int duplicated = (int) Arrays.stream(times).filter(n -> n > 1).count();
    List<BatchRecorder.Batch> batches = recorder.batches().stream()
        .filter(b -> b.atMs() >= windowStart && b.atMs() < windowEnd).toList();
    Percentiles batchMs = Percentiles.of(batches.stream().map(BatchRecorder.Batch::millis).toList());
    Percentiles batchSize = Percentiles.of(batches.stream().map(BatchRecorder.Batch::size).toList());
    Swap swap = next == null ? null : swap(outputs, recorder, publishedAt, batches, batchMs, model, next, gc);
    return new Result(what, rate, achieved, produced, outputs.size(), deadLetters, lost, duplicated,
        Percentiles.of(latencies), batchMs, batchSize, swap, used, Percentiles.of(untilReceived),
        Percentiles.of(untilClassified), window);
  }

  /** The window around the swap: from 1 s before the new version was published to 2 s after it was swapped in. */
  static final long SWAP_WINDOW_BEFORE_MS = 1_000;
  static final long SWAP_WINDOW_AFTER_MS = 2_000;

  static Swap swap(List<OutputLog.Output> outputs, BatchRecorder recorder, long publishedAt,
                           List<BatchRecorder.Batch> runBatches, Percentiles runBatchMs, LoadedModel model,
                           LoadedModel next, GcPauses gc) {
    long oldVersion = model.metadata().version();
    long newVersion = next.metadata().version();
    List<BatchRecorder.Event> swaps = recorder.swaps();
    long swappedAt = swaps.isEmpty() ? 0 : swaps.get(0).atMs();
    double loadSeconds = recorder.loads().isEmpty() ? Double.NaN : recorder.loads().get(0).nanos() / 1e9;
    long from = publishedAt - SWAP_WINDOW_BEFORE_MS;
    long to = (swappedAt > 0 ? swappedAt : publishedAt) + SWAP_WINDOW_AFTER_MS;
    List<BatchRecorder.Batch> around = recorder.batches().stream()
        .filter(b -> b.atMs() >= from && b.atMs() <= to).toList();
    BatchRecorder.Batch worst = around.stream().max((a, b) -> Long.compare(a.nanos(), b.nanos())).orElse(null);
    // the first batch after the swap ran with the new version (the swap happens between two batches)
    double firstNew = recorder.batches().stream().filter(b -> swappedAt > 0 && b.atMs() >= swappedAt).findFirst()
        .map(BatchRecorder.Batch::millis).orElse(Double.NaN);
    // a control: the worst batch in an equally long stretch of the run just before the swap window, no swap in it
    long length = to - from;
    List<BatchRecorder.Batch> control = runBatches.stream()
        .filter(b -> b.atMs() >= from - length && b.atMs() < from).toList();
    BatchRecorder.Batch controlWorstBatch = control.stream().max((a, b) -> Long.compare(a.nanos(), b.nanos()))
        .orElse(null);
    double controlWorst = controlWorstBatch == null ? Double.NaN : controlWorstBatch.millis();
    // batches flushed by the timeout at half load are smaller, and a full one takes longer by design
    int worstSize = worst == null ? 0 : worst.size();
    double medianSameSize = Percentiles.of(runBatches.stream().filter(b -> b.size() == worstSize)
        .map(BatchRecorder.Batch::millis).toList()).p50();
    List<Double> latencies = new ArrayList<>();
    long oldCount = 0;
    long newCount = 0;
    Map<Integer, Boolean> newSeen = new HashMap<>();
    int oldAfterNew = 0;
    for (OutputLog.Output o : outputs) { // in the order consumed, which is offset order per partition
      if (o.inputTimestampMs() >= from && o.inputTimestampMs() <= to) {
        latencies.add((double) o.latencyMs());
      }
      if (o.deadLetter()) {
        continue;
      }
      if (o.version() == newVersion) {
        newCount++;
        newSeen.put(o.partition(), true);
      } else if (o.version() == oldVersion) {
        oldCount++;
        if (newSeen.getOrDefault(o.partition(), false)) {
          oldAfterNew++;
        }
      }
    }
    return new Swap(publishedAt, swappedAt, from, to, loadSeconds, around.size(),
        worst == null ? Double.NaN : worst.millis(), worstSize, worst == null ? 0 : worst.atMs(), medianSameSize,
        runBatchMs.p50(),
        firstNew, controlWorst, control.size(), Percentiles.of(latencies), oldVersion, newVersion, oldCount, newCount,
        oldAfterNew, pausedDuring(gc, worst), pausedDuring(gc, controlWorstBatch));
  }

  /** GC pause time during a batch's network call (it was reported as the call ended), in ms; 0 without a batch. */
  static long pausedDuring(GcPauses gc, BatchRecorder.Batch batch) {
    return batch == null ? 0 : gc.pausedMs(batch.atMs() - Math.round(batch.millis()), batch.atMs());
  }
}
