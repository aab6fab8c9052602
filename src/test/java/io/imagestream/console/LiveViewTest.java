package io.imagestream.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.image.TestImages;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LiveViewTest {
  private final AtomicLong clock = new AtomicLong(1_000_000);
  private static final byte[] PNG = TestImages.solid("png", 8, 8, Color.GRAY);

  private LiveView view(int recent, long budget) {
    return new LiveView(recent, 5, budget, 1_000_000, clock::get);
  }

  static PredictionJson prediction(String id, String label, int partition, long offset) {
    String json = "{\"id\":\"" + id + "\",\"label\":\"" + label + "\",\"probability\":0.75,"
        + "\"probabilities\":{\"a\":0.25,\"" + label + "\":0.75},\"model\":{\"name\":\"m\",\"version\":3},"
        + "\"source\":{\"topic\":\"images\",\"partition\":" + partition + ",\"offset\":" + offset + "},"
        + "\"timestamps\":{\"produced\":1,\"classified\":2}}";
    return PredictionJson.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aPredictionJoinsTheImageItNamesAndServesItWithItsSniffedType() {
    LiveView view = view(10, 1 << 20);
    view.image(new Coordinates("images", 1, 7), PNG);
    view.prediction(prediction("x", "b", 1, 7), -1, true);
    List<LiveView.Item> items = view.itemsAfter(0);
    assertEquals(1, items.size());
    LiveView.Item item = items.get(0);
    assertEquals("x", item.id());
    assertEquals("b", item.label());
    assertEquals(3, item.modelVersion());
    assertTrue(item.hasImage());
    assertEquals(List.of("b", "a"), item.top().stream().map(PredictionJson.Guess::label).toList());
    ImageBytes image = view.image(item.seq());
    assertArrayEquals(PNG, image.bytes());
    assertEquals("image/png", image.contentType());
    assertEquals(0, view.waitingCount());
    assertEquals(3, view.stats().servedVersion());
  }

  @Test
  void anImageThatComesAfterItsPredictionIsAttachedToIt() {
    LiveView view = view(10, 1 << 20);
    view.prediction(prediction("x", "b", 0, 3), -1, true);
    assertFalse(view.itemsAfter(0).get(0).hasImage());
    view.image(new Coordinates("images", 0, 3), PNG);
    assertTrue(view.itemsAfter(0).get(0).hasImage());
    assertEquals(0, view.waitingCount());
  }

  @Test
  void notImagesAndImagesOverTheLimitAreNeverKept() {
    LiveView view = new LiveView(10, 5, 1 << 20, PNG.length - 1, clock::get);
    view.image(new Coordinates("images", 0, 0), PNG);
    view.image(new Coordinates("images", 0, 1), "<script>alert(1)</script>".getBytes(StandardCharsets.UTF_8));
    assertEquals(0, view.waitingCount());
    view.prediction(prediction("x", "b", 0, 0), -1, true);
    assertFalse(view.itemsAfter(0).get(0).hasImage());
    assertNull(view.image(view.itemsAfter(0).get(0).seq()));
  }

  @Test
  void memoryStaysWithinTheBudgetAndTheLastNItems() {
    long budget = 20L * PNG.length;
    LiveView view = view(8, budget);
    for (int i = 0; i < 1000; i++) {
      view.image(new Coordinates("images", 0, i), PNG);
      if (i % 2 == 0) {
        view.prediction(prediction("id-" + i, "b", 0, i), -1, true);
      }
      assertTrue(view.heldBytes() <= budget, "held " + view.heldBytes() + " at " + i);
      clock.addAndGet(1000); // slow enough that every prediction is shown
    }
    List<LiveView.Item> items = view.itemsAfter(0);
    assertEquals(8, items.size());
    assertEquals("id-998", items.get(7).id());
    assertTrue(items.stream().allMatch(LiveView.Item::hasImage));
  }

  @Test
  void aFastStreamIsSampledForThePageButCountedInFull() {
    LiveView view = view(48, 1 << 20);
    for (int i = 0; i < 500; i++) {
      view.prediction(prediction("id-" + i, "b", 0, i), -1, true);
    }
    assertEquals(500, view.stats().classified());
    assertEquals(48, view.itemsAfter(0).size(), "a page's worth at once");
    long lastSeq = view.itemsAfter(0).get(47).seq();
    clock.addAndGet(1000);
    for (int i = 500; i < 1000; i++) {
      view.prediction(prediction("id-" + i, "b", 0, i), -1, true);
    }
    assertEquals(LiveView.SHOWN_PER_SECOND, view.itemsAfter(lastSeq).size(), 0.0, "then a few per second");
    lastSeq = view.itemsAfter(0).get(47).seq();
    clock.addAndGet(60_000); // a pause, then a burst: a quarter of the page at most is replaced at once
    for (int i = 1000; i < 1500; i++) {
      view.prediction(prediction("id-" + i, "b", 0, i), -1, true);
    }
    assertEquals(12, view.itemsAfter(lastSeq).size());
  }

  @Test
  void deadLettersFreeTheirWaitingImageAndHistoryIsNotCountedInRates() {
    LiveView view = view(10, 1 << 20);
    view.image(new Coordinates("images", 0, 5), PNG);
    view.deadLetter("bad", "UNDECODABLE", "broken", new Coordinates("images", 0, 5), 1L, false);
    view.deadLetter("bad2", "EMPTY", "", null, 2L, true);
    view.prediction(prediction("old", "b", 0, 1), -1, false);
    assertEquals(0, view.waitingCount());
    assertEquals(List.of("bad", "bad2"), view.deadLetters().stream().map(LiveView.DeadLetter::id).toList());
    assertEquals("images-0@5", view.deadLetters().get(0).source());
    clock.addAndGet(1000);
    LiveView.Stats stats = view.stats();
    assertEquals(1, stats.deadLettered());
    assertEquals(0, stats.classified());
    assertEquals(0.2, stats.deadLettersPerSecond(), 1e-9); // 1 over the 5-second window
    assertEquals(0.0, stats.imagesPerSecond(), 1e-9);
  }
}
