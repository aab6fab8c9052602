package io.imagestream.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LabellingTest {
  private static final byte[] ORIGINAL = {1, 2, 3};

  record Sent(String key, byte[] value, String label) {}

  private final ConcurrentLinkedQueue<Sent> sent = new ConcurrentLinkedQueue<>();
  private final LabelQueue queue = new LabelQueue(100, 1000);

  private Labelling labelling(boolean sendFails, boolean imageGone) {
    return new Labelling(queue, at -> imageGone ? null : ORIGINAL, (key, value, label) -> {
      if (sendFails) {
        throw new IllegalStateException("broker down");
      }
      sent.add(new Sent(new String(key, StandardCharsets.UTF_8), value, label));
    });
  }

  @Test
  void twoPeopleClickingTheSameImageSendOneLabel() throws Exception {
    queue.offer(LabelQueueTest.queued("img-1", 1, 0, 0));
    Labelling labelling = labelling(false, false);
    ConcurrentLinkedQueue<Labelling.Status> results = new ConcurrentLinkedQueue<>();
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    for (String label : List.of("cat", "dog")) {
      pool.submit(() -> {
        go.await();
        return results.add(labelling.label("img-1", label).status());
      });
    }
    go.countDown();
    pool.shutdown();
    pool.awaitTermination(10, TimeUnit.SECONDS);
    assertEquals(1, sent.size(), "exactly one record");
    Sent one = sent.peek();
    assertEquals("img-1", one.key());
    assertArrayEquals(ORIGINAL, one.value());
    assertEquals(1, results.stream().filter(s -> s == Labelling.Status.LABELLED).count(), results.toString());
    assertEquals(1, results.stream().filter(s -> s == Labelling.Status.ALREADY_LABELLED).count());
    assertEquals(Labelling.Status.ALREADY_LABELLED, labelling.label("img-1", "cat").status());
    assertEquals(1, sent.size());
  }

  @Test
  void onlyTheModelsClassesAreLabels() {
    queue.offer(LabelQueueTest.queued("img-1", 1, 0, 0));
    assertEquals(Labelling.Status.UNKNOWN_CLASS, labelling(false, false).label("img-1", "<b>horse</b>").status());
    assertEquals(Labelling.Status.NOT_QUEUED, labelling(false, false).label("img-2", "cat").status());
    assertEquals(0, sent.size());
    assertEquals(Labelling.Status.LABELLED, labelling(false, false).label("img-1", "dog").status());
  }

  @Test
  void aFailedSendOrAVanishedImageLeavesTheImageToLabelAgain() {
    queue.offer(LabelQueueTest.queued("img-1", 1, 0, 0));
    assertEquals(Labelling.Status.SEND_FAILED, labelling(true, false).label("img-1", "cat").status());
    assertEquals(Labelling.Status.IMAGE_GONE, labelling(false, true).label("img-1", "cat").status());
    assertEquals(1, queue.counts().left());
    assertEquals(Labelling.Status.LABELLED, labelling(false, false).label("img-1", "cat").status());
    assertEquals(0, queue.counts().left());
    assertEquals(1, sent.size());
  }
}
