package io.imagestream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's arithmetic and chart, on made-up figures (the measurements themselves run in `bench`). */
class BenchmarkReportTest {

  private static Map<String, Double> figures() {
    Map<String, Double> r = new HashMap<>();
    for (int batch : new int[] {1, 8, 32, 128, 256}) {
      r.put("model64:" + batch, 100.0 * batch);
      r.put("model28:" + batch, 300.0 * batch);
    }
    for (BenchImages.Kind kind : BenchImages.Kind.values()) {
      r.put("decode:" + kind, 1000.0);
      r.put("pipeline:" + kind + ":32", 1600.0);
      r.put("pipeline:" + kind + ":1", 200.0);
    }
    return r;
  }

  @Test
  void theRatiosAreComputedFromTheSameRunsFigures() throws Exception {
    String md = BenchmarkReport.markdown(List.of("| a | b | 1 |"), figures(), 3, false);
    assertTrue(md.contains("| pipeline / model only, 64x64 JPEG, batch 32 | ≥ 0.6 | 0.50 |"), md);
    assertTrue(md.contains("| pipeline / per-record pipeline, 64x64 JPEG | ≥ 5 | 8.00 |"), md);
    assertTrue(md.contains("| photo-sized JPEG pipeline / its decode-only rate | ≥ 0.8 | 1.60 |"), md);
    assertTrue(md.contains("median of 3 rounds"), md);
  }

  @Test
  void theChartIsAPng(@TempDir Path dir) throws Exception {
    Path png = dir.resolve("b.png");
    BenchmarkReport.chart(figures(), png);
    BufferedImage image = ImageIO.read(png.toFile());
    assertNotNull(image);
    assertEquals(1000, image.getWidth());
  }

  @Test
  void benchImagesDecodeAsTheirKind() throws Exception {
    for (BenchImages.Kind kind : BenchImages.Kind.values()) {
      byte[][] images = BenchImages.make(kind, 2, 1);
      BufferedImage image = ImageIO.read(new java.io.ByteArrayInputStream(images[0]));
      assertEquals(kind.width, image.getWidth(), kind.label);
      assertEquals(kind.height, image.getHeight(), kind.label);
    }
  }
}
