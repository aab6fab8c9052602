package io.imagestream.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every kind of bad input in {@link TestImages#badInputs} gets the reason it promises, with a readable message. */
class BadInputsTest {

  private final ImagePreprocessor preprocessor = new ImagePreprocessor(
      InputShape.parse("64x64x3"), TestImages.BAD_INPUTS_MAX_PIXELS, 64 * 1024, Interpolation.BILINEAR);

  @TestFactory
  Stream<DynamicTest> eachBadInputIsRejectedWithItsReason() {
    return TestImages.badInputs(42).entrySet().stream().map(entry -> dynamicTest(entry.getKey(), () -> {
      ImageRejectedException e =
          assertThrows(ImageRejectedException.class, () -> preprocessor.toPixels(entry.getValue().bytes()));
      assertEquals(entry.getValue().expected(), e.reason(), entry.getKey() + ": " + e.getMessage());
      assertTrue(e.getMessage() != null && e.getMessage().length() > 10, "message: " + e.getMessage());
    }));
  }

  @Test
  void badInputsAreDeterministicAndPlenty() {
    Map<String, TestImages.BadInput> first = TestImages.badInputs(7);
    Map<String, TestImages.BadInput> second = TestImages.badInputs(7);
    assertTrue(first.size() >= 20, "only " + first.size() + " kinds");
    first.forEach((name, input) -> assertEquals(
        java.util.Arrays.toString(input.bytes()), java.util.Arrays.toString(second.get(name).bytes()), name));
  }

  @Test
  void otherSeedsGiveTheSameReasons() throws Exception {
    for (long seed = 1; seed <= 5; seed++) {
      for (Map.Entry<String, TestImages.BadInput> entry : TestImages.badInputs(seed).entrySet()) {
        ImageRejectedException e = assertThrows(ImageRejectedException.class,
            () -> preprocessor.toPixels(entry.getValue().bytes()), entry.getKey());
        assertEquals(entry.getValue().expected(), e.reason(), "seed " + seed + ", " + entry.getKey());
      }
    }
    assertFalse(TestImages.badInputs(1).isEmpty());
  }

  /** Small targets make the decoder subsample, which once hid a truncated BMP (ImageIO then reads fewer rows). */
  @Test
  void theReasonsHoldForSmallGreyTargetsToo() {
    for (String shape : new String[] {"16x16x1", "28x28x1", "8x8x3"}) {
      ImagePreprocessor small = new ImagePreprocessor(InputShape.parse(shape), TestImages.BAD_INPUTS_MAX_PIXELS,
          64 * 1024, Interpolation.BILINEAR);
      for (Map.Entry<String, TestImages.BadInput> entry : TestImages.badInputs(3).entrySet()) {
        ImageRejectedException e = assertThrows(ImageRejectedException.class,
            () -> small.toPixels(entry.getValue().bytes()), shape + ", " + entry.getKey());
        assertEquals(entry.getValue().expected(), e.reason(), shape + ", " + entry.getKey());
      }
    }
  }
}
