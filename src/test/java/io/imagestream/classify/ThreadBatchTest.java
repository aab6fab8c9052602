package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.TestImages;
import io.imagestream.metrics.ClassifierMetrics;
import io.imagestream.testing.TestModels;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * Two tasks (partitions) of one stream thread share one micro-batch: the network runs once for the images of both,
 * and each task forwards its own images' predictions, in its input order, from its own context. With network
 * threads, the stream thread (here: the test's thread) reads on while its batch is in the network.
 */
class ThreadBatchTest {
  private final ThreadBatch.PerThread batches = new ThreadBatch.PerThread();
  private final ClassifierMetrics metrics = ClassifierMetrics.discarding();
  private final ServingModel model = new ServingModel(TestModels.darkLight());

  private final class Task {
    final MockProcessorContext<byte[], Object> context = new MockProcessorContext<>();
    final BatchClassifierProcessor processor;
    final KeyValueStore<byte[], byte[]> store;
    final int partition;
    long offset;

    Task(int partition, int batchSize, long maxWaitMs) {
      this(partition, batchSize, maxWaitMs, new NetworkPool(0));
    }

    Task(int partition, int batchSize, long maxWaitMs, NetworkPool network) {
      this(partition, batchSize, maxWaitMs, network, BatchClassifierProcessor.CaughtUpCommits.OFF);
    }

    Task(int partition, int batchSize, long maxWaitMs, BatchClassifierProcessor.CaughtUpCommits caughtUp) {
      this(partition, batchSize, maxWaitMs, new NetworkPool(0), caughtUp);
    }

    Task(int partition, int batchSize, long maxWaitMs, NetworkPool network,
         BatchClassifierProcessor.CaughtUpCommits caughtUp) {
      this.partition = partition;
      context.setCurrentSystemTimeMs(0);
      store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ClassifierTopology.PENDING_STORE),
          Serdes.ByteArray(), Serdes.ByteArray()).withLoggingDisabled().build();
      store.init(context.getStateStoreContext(), store);
      context.addStateStore(store);
      processor = new BatchClassifierProcessor(ClassifierTopology.PENDING_STORE, batchSize,
          Duration.ofMillis(maxWaitMs), 0, model, ClassifierTopology.preprocessors(ImagestreamConfig.defaults()),
          metrics, new DecodePool(0), network, batches, caughtUp);
      processor.init(context);
    }

    void send(String id, Color colour) {
      send(id, colour, 1_000L);
    }

    /** An image whose record timestamp (the producer's clock) is {@code timestamp}. */
    void send(String id, Color colour, long timestamp) {
      context.setRecordMetadata("images", partition, offset++);
      processor.process(new Record<>(id.getBytes(StandardCharsets.UTF_8), TestImages.solid("png", 16, 16, colour),
          timestamp));
    }

    /** Two images read at {@code wallClockMs} (a full batch of two: classified and forwarded at once). */
    void sendPairAt(long wallClockMs, long timestamp) {
      context.resetCommit();
      context.setCurrentSystemTimeMs(wallClockMs);
      send("x" + offset, Color.BLACK, timestamp);
      send("x" + offset, Color.WHITE, timestamp);
    }

    List<String> predictedIds() {
      return context.forwarded().stream()
          .filter(f -> ClassifierTopology.PREDICTIONS_SINK.equals(f.childName().orElse(null)))
          .map(f -> ((Prediction) f.record().value()).id()).toList();
    }

    long buffered() {
      return store.approximateNumEntries();
    }

    void tick(long wallClockMs) {
      context.setCurrentSystemTimeMs(wallClockMs);
      context.scheduledPunctuators().forEach(p -> p.getPunctuator().punctuate(wallClockMs));
    }
  }

  private double batchesRun() {
    return metrics.registry().get("imagestream.batch.size").summary().count();
  }

  @Test
  void imagesOfTwoPartitionsFillOneBatchAndEachTaskForwardsItsOwn() {
    Task a = new Task(0, 4, 60_000);
    Task b = new Task(1, 4, 60_000);
    a.send("a0", Color.BLACK);
    a.send("a1", Color.WHITE);
    b.send("b0", Color.WHITE);
    assertEquals(0, batchesRun(), "3 of 4 across both partitions: still buffered");
    b.send("b1", Color.BLACK);

    assertEquals(1, batchesRun(), "one network call for both partitions");
    assertEquals(4.0, metrics.registry().get("imagestream.batch.size").summary().totalAmount());
    assertEquals(List.of("b0", "b1"), b.predictedIds(), "the task that filled the batch forwards its own at once");
    assertEquals(0, b.buffered());
    assertEquals(List.of(), a.predictedIds(), "the other task's outcomes wait for its own context");
    assertEquals(2, a.buffered(), "and its images stay in its store until it forwards them");

    a.tick(1);
    assertEquals(List.of("a0", "a1"), a.predictedIds(), "forwarded at its next punctuation, in input order");
    assertEquals(0, a.buffered());
    assertEquals(1, batchesRun());
    assertEquals("dark", ((Prediction) a.context.forwarded().get(0).record().value()).label());
    assertEquals("light", ((Prediction) a.context.forwarded().get(1).record().value()).label());
  }

  @Test
  void theThreadsOldestImageDecidesTheWaitAndABatchRunByTimeAsksForACommit() {
    Task a = new Task(0, 100, 50);
    Task b = new Task(1, 100, 50);
    a.context.setCurrentSystemTimeMs(0);
    a.send("a0", Color.BLACK);
    b.context.setCurrentSystemTimeMs(30);
    b.send("b0", Color.WHITE);
    b.tick(40);
    assertEquals(0, batchesRun(), "the oldest image has waited 40 of 50 ms");
    b.tick(55);
    assertEquals(1, batchesRun(), "a0 has waited 55 ms: both run, b0 with it");
    assertEquals(List.of("b0"), b.predictedIds());
    assertTrue(b.context.committed(), "spare capacity: commit now, not at the commit interval");
    assertFalse(a.context.committed());
    a.tick(56);
    assertEquals(List.of("a0"), a.predictedIds());
    assertTrue(a.context.committed());
    assertEquals(2.0, commitRequests("spare_capacity"));
  }

  @Test
  void aBatchDueByTimeThatIsMoreThanAQuarterFullWaitsForTheCommitInterval() {
    Task a = new Task(0, 8, 50);
    a.context.setCurrentSystemTimeMs(0);
    for (int i = 0; i < 3; i++) {
      a.send("a" + i, Color.BLACK);
    }
    a.tick(60);
    assertEquals(List.of("a0", "a1", "a2"), a.predictedIds(), "classified and forwarded at once");
    assertFalse(a.context.committed(), "3 of 8: busy enough that a commit per batch would cost reading");
    a.send("a3", Color.WHITE);
    a.send("a4", Color.WHITE);
    a.tick(120);
    assertEquals(List.of("a0", "a1", "a2", "a3", "a4"), a.predictedIds());
    assertTrue(a.context.committed(), "2 of 8: the network is mostly idle, commit now");
  }

  @Test
  void caughtUpImagesAskForACommitOncePerIntervalForTheWholeThread() {
    BatchClassifierProcessor.CaughtUpCommits caughtUp = new BatchClassifierProcessor.CaughtUpCommits(30, 1_000);
    Task a = new Task(0, 2, 60_000, caughtUp);
    Task b = new Task(1, 2, 60_000, caughtUp);
    a.sendPairAt(10_000, 9_990); // read 10 ms after it was produced: caught up
    assertEquals(2, a.predictedIds().size());
    assertTrue(a.context.committed(), "caught up: commit now, not at commit.interval.ms");
    a.sendPairAt(10_010, 10_000);
    assertEquals(4, a.predictedIds().size());
    assertFalse(a.context.committed(), "10 ms after the thread's last request");
    b.sendPairAt(10_020, 10_010);
    assertEquals(2, b.predictedIds().size());
    assertFalse(b.context.committed(), "another task of the same thread, 20 ms after: the thread commits both");
    b.sendPairAt(10_030, 10_020);
    assertTrue(b.context.committed(), "30 ms after the thread's last request");
    a.sendPairAt(10_040, 10_039);
    assertFalse(a.context.committed());
    assertEquals(2.0, commitRequests("caught_up"));
  }

  private double commitRequests(String reason) {
    return metrics.registry().get("imagestream.commits.requested").tag("reason", reason).counter().count();
  }

  @Test
  void aBacklogCommitsAtTheCommitIntervalOnly() {
    Task a = new Task(0, 2, 60_000, new BatchClassifierProcessor.CaughtUpCommits(30, 1_000));
    for (long t = 10_000; t < 10_500; t += 100) {
      a.sendPairAt(t, t - 1_001); // read 1,001 ms after it was produced: behind
      assertFalse(a.context.committed(), "a backlog: the fewer transactions, the more throughput");
    }
    assertEquals(10, a.predictedIds().size());
    a.sendPairAt(10_500, 10_499);
    assertTrue(a.context.committed(), "caught up again");
  }

  @Test
  void aProducerClockAheadCountsAsCaughtUpAndIntervalZeroTurnsItOff() {
    Task ahead = new Task(0, 2, 60_000, new BatchClassifierProcessor.CaughtUpCommits(30, 1_000));
    ahead.sendPairAt(10_000, 15_000);
    assertTrue(ahead.context.committed());
    Task off = new Task(1, 2, 60_000, new BatchClassifierProcessor.CaughtUpCommits(0, 1_000));
    off.sendPairAt(20_000, 20_000);
    assertFalse(off.context.committed());
  }

  @Test
  void aClosingTaskTakesItsImagesOutOfTheThreadsBatchAndKeepsThemInItsStore() {
    Task a = new Task(0, 3, 60_000);
    Task b = new Task(1, 3, 60_000);
    a.send("a0", Color.BLACK);
    a.send("a1", Color.BLACK);
    a.processor.close(); // the partition is suspended (a rebalance) or moves elsewhere
    b.send("b0", Color.WHITE);
    b.send("b1", Color.WHITE);
    assertEquals(0, batchesRun(), "a's images no longer count towards the thread's batch");
    assertEquals(2, a.buffered(), "they stay in a's store, for the task's next owner");

    a.processor.init(a.context); // resumed: init reads the store again
    a.tick(1);
    b.send("b2", Color.WHITE);
    assertEquals(1, batchesRun());
    assertEquals(List.of("b0", "b1"), b.predictedIds(), "the thread's oldest three: b0, b1, then a0");
    a.tick(2);
    assertEquals(List.of("a0"), a.predictedIds(), "a's restored image, classified once, not twice");
    assertEquals(1, a.buffered(), "a1 waits in the next batch, with b2");

    a.processor.close(); // again, now with a restored image (no decode started) in the thread's batch
    b.send("b3", Color.WHITE);
    b.send("b4", Color.WHITE);
    assertEquals(2, batchesRun(), "b2, b3, b4 fill the next batch: a1 left with its task");
    assertEquals(List.of("b0", "b1", "b2", "b3", "b4"), b.predictedIds());
    assertEquals(1, a.buffered(), "a1 still in a's store");
  }

  /** A network thread per batch that starts computing only when the test opens the gate. */
  private static final class GatedNetwork {
    final CountDownLatch gate = new CountDownLatch(1);
    final AtomicInteger finished = new AtomicInteger();
    final NetworkPool pool = new NetworkPool(batch -> new Thread(() -> {
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      batch.run(); // completes the batch's future
      finished.incrementAndGet();
    }, "test-network").start());

    void awaitFinished(int batches) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (finished.get() < batches) {
        assertTrue(System.nanoTime() < deadline, "the network thread did not finish " + batches + " batch(es)");
        Thread.onSpinWait();
      }
    }
  }

  @Test
  void theStreamThreadReadsOnWhileItsBatchIsInTheNetworkAndForwardsItOnceBack() {
    GatedNetwork network = new GatedNetwork();
    Task a = new Task(0, 2, 60_000, network.pool);
    a.send("a0", Color.BLACK);
    a.send("a1", Color.WHITE); // full: sent to the network, which is held at the gate
    assertTrue(batches.current().running());
    a.send("a2", Color.BLACK); // process returned at once, and the image is buffered for the next batch
    assertEquals(List.of(), a.predictedIds(), "nothing forwarded before the network is done");
    assertEquals(3, a.buffered(), "every image in the store until its outcome is forwarded");

    network.gate.countDown();
    network.awaitFinished(1);
    a.tick(1);
    assertEquals(List.of("a0", "a1"), a.predictedIds(), "forwarded at the next tick, in input order");
    assertFalse(a.context.committed(), "a full batch waits for the commit interval");
    assertEquals(1, a.buffered());

    a.send("a3", Color.WHITE); // a2 + a3: the next batch
    network.awaitFinished(2);
    a.tick(2);
    assertEquals(List.of("a0", "a1", "a2", "a3"), a.predictedIds());
    assertEquals("dark", ((Prediction) a.context.forwarded().get(2).record().value()).label());
    assertEquals("light", ((Prediction) a.context.forwarded().get(3).record().value()).label());
    assertEquals(0, a.buffered());
    assertEquals(2, batchesRun());
  }

  @Test
  void aFullBatchWaitsForTheOneInFlightAndABatchDueByTimeDoesNotBlock() {
    GatedNetwork network = new GatedNetwork();
    Task a = new Task(0, 2, 50, network.pool);
    a.context.setCurrentSystemTimeMs(0);
    a.send("a0", Color.BLACK);
    a.send("a1", Color.BLACK); // in flight, held
    a.send("a2", Color.WHITE);
    a.tick(60); // a2 has waited 60 ms, but a batch is in flight: it waits for it, without blocking this thread
    assertTrue(batches.current().running());
    assertEquals(List.of(), a.predictedIds());

    network.gate.countDown(); // from here batches complete; a3 fills a2's batch while the first may be in flight
    a.send("a3", Color.WHITE);
    network.awaitFinished(2);
    a.tick(61);
    assertEquals(List.of("a0", "a1", "a2", "a3"), a.predictedIds(), "no image lost, none twice, in order");
    assertEquals(2, batchesRun());
  }

  @Test
  void outcomesOfAClosedTasksImagesInFlightAreDroppedAndItsNextOwnerClassifiesThemOnce() {
    GatedNetwork network = new GatedNetwork();
    Task a = new Task(0, 2, 60_000, network.pool);
    Task b = new Task(1, 2, 60_000, network.pool);
    a.send("a0", Color.BLACK);
    a.send("a1", Color.WHITE); // in flight, held
    a.processor.close(); // the partition moves away while its images are in the network
    network.gate.countDown();
    network.awaitFinished(1);
    b.tick(1); // the batch comes back: a's outcomes are dropped, not forwarded by a closed task
    assertEquals(List.of(), a.predictedIds());
    assertEquals(2, a.buffered(), "a's images stay in its store");

    a.processor.init(a.context); // the task's next owner (here: resumed) reads its store again
    a.tick(2); // queues the restored images: a full batch
    network.awaitFinished(2);
    a.tick(3);
    assertEquals(List.of("a0", "a1"), a.predictedIds(), "classified again once, in order");
    assertEquals(0, a.buffered());
  }

  @Test
  void aBatchDueByTimeRunsOnTheStreamThreadAndIsForwardedAtOnce() {
    GatedNetwork network = new GatedNetwork(); // never opened: a batch sent there would not come back
    Task a = new Task(0, 8, 50, network.pool);
    a.context.setCurrentSystemTimeMs(0);
    a.send("a0", Color.BLACK);
    a.send("a1", Color.WHITE);
    a.tick(60); // spare capacity: nothing to gain from a network thread
    assertEquals(List.of("a0", "a1"), a.predictedIds(), "classified and forwarded within the tick");
    assertTrue(a.context.committed(), "and a commit asked for at once");
    assertFalse(batches.current().running());
    assertEquals(0, network.finished.get());
    assertEquals(0, a.buffered());
  }
}
