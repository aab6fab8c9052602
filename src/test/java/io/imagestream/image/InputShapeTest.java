package io.imagestream.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InputShapeTest {

  @Test
  void parsesHeightWidthChannels() {
    assertEquals(new InputShape(64, 64, 3), InputShape.parse("64x64x3"));
    assertEquals(new InputShape(28, 28, 1), InputShape.parse("28x28x1"));
    assertEquals(new InputShape(32, 48, 3), InputShape.parse(" 32X48x3 "));
  }

  @Test
  void ofTakesHeightByWidthAndChannelsSeparately() {
    assertEquals(new InputShape(32, 48, 1), InputShape.of("32x48", 1));
    assertThrows(IllegalArgumentException.class, () -> InputShape.of("32x48x3", 3));
  }

  @Test
  void toStringRoundTrips() {
    assertEquals("64x64x3", new InputShape(64, 64, 3).toString());
    assertEquals("32x48x1", InputShape.parse("32x48x1").toString());
  }

  @Test
  void pixelCountIsHeightTimesWidthTimesChannels() {
    assertEquals(64 * 64 * 3, InputShape.parse("64x64x3").pixelCount());
    assertEquals(28 * 28, InputShape.parse("28x28x1").pixelCount());
    assertEquals(6 * 10 * 3, new InputShape(6, 10, 3).pixelCount());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "64", "64x64", "64x64x3x1", "axbxc", "64x64x2", "0x64x3", "64x-1x3", "64x64x4",
      "x64x3", "100000x100000x3"})
  void rejectsMalformedOrInvalidShapes(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InputShape.parse(text));
    assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
  }

  @Test
  void rejectsNull() {
    assertThrows(IllegalArgumentException.class, () -> InputShape.parse(null));
  }

  @Test
  void constructorValidates() {
    assertThrows(IllegalArgumentException.class, () -> new InputShape(0, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new InputShape(1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new InputShape(1, 1, 2));
    assertThrows(IllegalArgumentException.class, () -> new InputShape(1, 1, 0));
  }
}
