package io.imagestream.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.InputShape;
import io.imagestream.image.Interpolation;
import io.imagestream.image.TestImages;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Decoding on worker threads gives what decoding on the caller gives, refusals included, and never throws. */
class DecodePoolTest {
  private static final ImagePreprocessor PREPROCESSOR =
      new ImagePreprocessor(new InputShape(32, 32, 3), 40_000_000L, 1 << 20, Interpolation.BILINEAR);

  @Test
  void workerThreadsGiveTheSamePixelsAsTheCallingThreadInSubmissionOrder() throws Exception {
    DecodePool pool = new DecodePool(2);
    try {
      List<byte[]> images = new ArrayList<>();
      List<CompletableFuture<DecodePool.Decoded>> started = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        images.add(TestImages.noise(i % 2 == 0 ? "jpeg" : "png", 50 + i, 40, i));
        started.add(pool.submit(PREPROCESSOR, images.get(i)));
      }
      for (int i = 0; i < images.size(); i++) {
        DecodePool.Decoded decoded = started.get(i).get();
        assertArrayEquals(PREPROCESSOR.toPixels(images.get(i)), decoded.pixels(), "image " + i);
        assertEquals(PREPROCESSOR.shape(), decoded.shape());
        assertNull(decoded.rejectReason());
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void refusalsAreResultsWithTheReasonNotExceptions() throws Exception {
    DecodePool pool = new DecodePool(2);
    try {
      for (Map.Entry<String, TestImages.BadInput> bad : TestImages.badInputs(7).entrySet()) {
        DecodePool.Decoded decoded = pool.submit(PREPROCESSOR, bad.getValue().bytes()).get();
        assertTrue(decoded.rejected(), bad.getKey());
        assertEquals(bad.getValue().expected().name(), decoded.rejectReason(), bad.getKey());
        assertTrue(decoded.message() != null && !decoded.message().isEmpty(), bad.getKey());
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void withNoThreadsTheCallerDecodesBeforeSubmitReturns() {
    DecodePool pool = new DecodePool(0);
    CompletableFuture<DecodePool.Decoded> decoded = pool.submit(PREPROCESSOR, TestImages.noise("png", 20, 20, 1));
    assertTrue(decoded.isDone());
    assertEquals(32 * 32 * 3, decoded.join().pixels().length);
    assertEquals(0, pool.threads());
  }
}
