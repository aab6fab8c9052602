package io.imagestream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** benchmarks.md carries the separate runs' reports found beside it, with their commands, and the trainings. */
class OtherReportsTest {

  @Test
  void aReportBesideBenchmarksIsCopiedWithItsCommandAndItsHeadingsOneLevelDown(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("vgg-bench.md"), "<!-- written by `bench --vgg`; do not edit by hand -->\n"
        + "# vgg-bn beside the tutorial CNN: measured figures\n\n## Machine\n\n- a CPU\n\n| a | b |\n|---|---|\n");
    String md = OtherReports.section(dir.resolve("benchmarks.md"));
    assertTrue(md.contains("### vgg-bn beside the tutorial CNN ([vgg-bench.md](vgg-bench.md), "
        + "`java -jar target/imagestream.jar bench --vgg`)\n\n#### Machine\n\n- a CPU\n\n| a | b |\n|---|---|\n"), md);
    assertFalse(md.contains("do not edit by hand"), md);
    assertFalse(md.contains("heavy-models-bench.md"), "a report that is not there is left out: " + md);
    assertTrue(md.contains("| `vgg-bn` on the Fashion-MNIST training split"), md);
    assertTrue(md.contains("-Dfashion.architecture=vgg-bn"), md);
  }

  @Test
  void theBodyLosesOnlyTheCommentAndTheTitle() {
    assertEquals("#### Machine\n\nx\n", OtherReports.body("<!-- c -->\n# T\n\n## Machine\n\nx\n\n"));
    assertEquals("text\n", OtherReports.body("text"));
  }
}
