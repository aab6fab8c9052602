package io.imagestream.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.imagestream.model.FashionMnist;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A label that is no class's name: renamed when it is one but for separators, else a new class; reported once. */
class LabelResolverTest {
  @Test
  void aLiveClassNameIsThatClass() {
    LabelResolver resolver = new LabelResolver();
    LabelResolver.Resolved r = resolver.resolve("T-shirt/top", FashionMnist.CLASS_NAMES);
    assertEquals(new LabelResolver.Resolved("T-shirt/top", LabelResolver.Kind.CLASS, FashionMnist.CLASS_NAMES), r);
  }

  @Test
  void aLabelThatIsAClassButForSeparatorsIsThatClass() {
    LabelResolver resolver = new LabelResolver();
    for (String label : List.of("T-shirt-top", "T-shirt_top", "Ankle_boot")) {
      LabelResolver.Resolved r = resolver.resolve(label, FashionMnist.CLASS_NAMES);
      assertEquals(LabelResolver.Kind.RENAMED, r.kind(), label);
      assertEquals(label.startsWith("T") ? "T-shirt/top" : "Ankle boot", r.className(), label);
    }
    assertTrue(resolver.firstReport("T-shirt-top"));
    assertFalse(resolver.firstReport("T-shirt-top"));
    assertTrue(resolver.firstReport("T-shirt_top"));
  }

  @Test
  void anyOtherLabelStartsANewClassThatLaterLabelsMatch() {
    LabelResolver resolver = new LabelResolver();
    LabelResolver.Resolved cat = resolver.resolve("cat/kitten", List.of("dog"));
    assertEquals(new LabelResolver.Resolved("cat/kitten", LabelResolver.Kind.NEW_CLASS, List.of("dog")), cat);
    resolver.learnt("cat/kitten");
    assertEquals(LabelResolver.Kind.CLASS, resolver.resolve("cat/kitten", List.of("dog")).kind());
    LabelResolver.Resolved dashed = resolver.resolve("cat-kitten", List.of("dog"));
    assertEquals(LabelResolver.Kind.RENAMED, dashed.kind());
    assertEquals("cat/kitten", dashed.className());
    // without a live model and before any label: every label is new
    assertEquals(LabelResolver.Kind.NEW_CLASS, new LabelResolver().resolve("x", List.of()).kind());
  }

  @Test
  void aLabelThatCouldBeTwoClassesIsANewClassNotAGuess() {
    LabelResolver resolver = new LabelResolver();
    LabelResolver.Resolved r = resolver.resolve("a b", List.of("a-b", "a/b"));
    assertEquals(LabelResolver.Kind.NEW_CLASS, r.kind());
    assertEquals("a b", r.className());
  }
}
