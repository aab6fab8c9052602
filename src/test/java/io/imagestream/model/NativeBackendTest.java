package io.imagestream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The thread budget: stream threads x ND4J threads per call must fit the cores. */
class NativeBackendTest {

  @Test
  void oneCallerWithAThreadPerCoreFits() {
    assertEquals(Optional.empty(), NativeBackend.oversubscription(1, 2, 2));
    assertEquals(Optional.empty(), NativeBackend.oversubscription(4, 2, 8));
  }

  @Test
  void moreCallersThanTheCoresAllowAreNamedWithTheSettingToChange() {
    String why = NativeBackend.oversubscription(2, 2, 2).orElseThrow();
    assertTrue(why.contains("OMP_NUM_THREADS=1"), why);
    assertTrue(why.contains("imagestream.classifier.stream.threads"), why);
    assertTrue(NativeBackend.oversubscription(3, 1, 2).orElseThrow().contains("OMP_NUM_THREADS=1"));
  }

  @Test
  void openBlasGetsTheThreadsPerCallToo() {
    int before = NativeBackend.blasThreads();
    try {
      NativeBackend.alignBlasThreads(1);
      assertEquals(1, NativeBackend.blasThreads());
    } finally {
      NativeBackend.alignBlasThreads(before);
    }
  }

  @Test
  void nd4jUsesAtLeastOneThreadPerCall() {
    assertTrue(NativeBackend.threadsPerCall() >= 1);
  }
}
