package io.imagestream.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LabelQueueTest {
  static LabelQueue.Queued queued(String id, long timestamp, int partition, long offset) {
    return new LabelQueue.Queued(id, id.getBytes(StandardCharsets.UTF_8), new Coordinates("to-label", partition,
        offset), timestamp, "cat", 0.55, List.of(new PredictionJson.Guess("cat", 0.55),
        new PredictionJson.Guess("dog", 0.45)), List.of("cat", "dog"), 2, 100);
  }

  private static List<String> ids(List<LabelQueue.Queued> queued) {
    return queued.stream().map(LabelQueue.Queued::id).toList();
  }

  @Test
  void oldestFirstAcrossPartitionsWithoutDuplicates() {
    LabelQueue queue = new LabelQueue(100, 1000);
    queue.offer(queued("c", 30, 0, 1));
    queue.offer(queued("a", 10, 1, 0));
    queue.offer(queued("b", 20, 0, 0));
    queue.offer(queued("a", 40, 2, 9)); // the same image queued again
    assertEquals(List.of("a", "b", "c"), ids(queue.oldest(10)));
    assertEquals(List.of("a", "b"), ids(queue.oldest(2)));
    assertEquals(3, queue.counts().left());
  }

  @Test
  void whatLabelledImagesHoldsNeverShowsWhicheverTopicIsReadFirst() {
    LabelQueue queue = new LabelQueue(100, 1000);
    queue.labelled("before"); // read from labelled-images before its to-label record
    queue.offer(queued("before", 1, 0, 0));
    queue.offer(queued("after", 2, 0, 1));
    queue.offer(queued("open", 3, 0, 2));
    queue.labelled("after");
    queue.labelled("unrelated");
    assertEquals(List.of("open"), ids(queue.oldest(10)));
    assertEquals(new LabelQueue.Counts(2, 0, 1, false), queue.counts());
    assertEquals(LabelQueue.Claim.ALREADY_LABELLED, queue.claim("after"));
    assertNull(queue.at(new Coordinates("to-label", 0, 1)));
    assertEquals("open", queue.at(new Coordinates("to-label", 0, 2)).id());
  }

  @Test
  void manyPeopleClaimingTheSameImageGetOneClaim() throws Exception {
    LabelQueue queue = new LabelQueue(100, 1000);
    queue.offer(queued("x", 1, 0, 0));
    ConcurrentLinkedQueue<LabelQueue.Claim> claims = new ConcurrentLinkedQueue<>();
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    for (int i = 0; i < 8; i++) {
      pool.submit(() -> {
        go.await();
        return claims.add(queue.claim("x"));
      });
    }
    go.countDown();
    pool.shutdown();
    assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    assertEquals(1, claims.stream().filter(c -> c == LabelQueue.Claim.CLAIMED).count(), claims.toString());
    assertEquals(7, claims.stream().filter(c -> c == LabelQueue.Claim.ALREADY_LABELLED).count());
    assertEquals(0, queue.counts().left(), "being labelled: not left for others");
    queue.release("x"); // the send failed
    assertEquals(LabelQueue.Claim.CLAIMED, queue.claim("x"));
    queue.labelledHere("x");
    assertEquals(new LabelQueue.Counts(1, 1, 0, false), queue.counts());
    assertEquals(LabelQueue.Claim.ALREADY_LABELLED, queue.claim("x"));
    assertEquals(LabelQueue.Claim.NOT_QUEUED, queue.claim("never-seen"));
  }

  @Test
  void aFullQueueSaysSoAndTheLabelledIdsAreBounded() {
    LabelQueue queue = new LabelQueue(2, 3);
    queue.offer(queued("a", 1, 0, 0));
    assertTrue(!queue.full());
    queue.offer(queued("b", 2, 0, 1));
    assertTrue(queue.full());
    for (int i = 0; i < 10; i++) {
      queue.labelled("other-" + i);
    }
    queue.offer(queued("other-0", 3, 0, 2)); // forgotten as labelled (only the last 3 ids are kept): offered again
    assertEquals(3, queue.size());
  }
}
