package io.imagestream.bench;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.image.ImagePreprocessor;
import io.imagestream.image.InputShape;
import io.imagestream.kafka.EmbeddedKafkaBroker;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.NativeBackend;
import java.time.Duration;
import java.util.Map;

/**
 * The A/B behind performance.md's libjpeg-turbo figures, in one JVM, alternating imagestream.decode.jpeg.native
 * false / true: decode + resize on one thread, then (unless "decode" is the argument) the saturated in-process
 * pipeline on the bench's backlogs after the bench's warm-up. Run by bench/decoder-ab.sh.
 */
public final class DecoderAB {
  public static void main(String[] args) throws Exception {
    int pairs = Integer.getInteger("pairs", 3);
    InputShape rgb64 = new InputShape(64, 64, 3);
    BenchImages.Kind[] kinds = {BenchImages.Kind.JPEG_64, BenchImages.Kind.JPEG_PHOTO};
    for (BenchImages.Kind kind : kinds) {
      byte[][] images = BenchImages.make(kind, 200, kind.ordinal());
      ImagePreprocessor preprocessor = Benchmark.preprocessor(rgb64);
      int n = kind == BenchImages.Kind.JPEG_64 ? 20_000 : 2_000;
      for (int p = 0; p < pairs; p++) {
        for (boolean nativeJpeg : new boolean[] {false, true}) {
          ImagePreprocessor.useNativeJpeg(nativeJpeg);
          long start = System.nanoTime();
          for (int i = 0; i < n; i++) {
            preprocessor.toPixels(images[i % images.length]);
          }
          System.out.printf("decode + resize, %s, pair %d, native=%s: %.0f images/s (%s)%n", kind.label, p,
              nativeJpeg, n / ((System.nanoTime() - start) / 1e9), ImagePreprocessor.jpegDecoder());
        }
      }
    }
    if (args.length > 0 && args[0].equals("decode")) {
      return;
    }
    NativeBackend.useThreadsPerCall(ImagestreamConfig.defaults().getInt(ImagestreamConfig.INFERENCE_THREADS));
    NativeBackend.init();
    Benchmark bench = new Benchmark(new Benchmark.Settings(Duration.ofSeconds(10), 5000, 1, 6, 60_000), s -> {});
    LoadedModel model = Benchmark.untrained(rgb64);
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null,
        Map.of("group.initial.rebalance.delay.ms", "3000"))) {
      byte[][] small = BenchImages.make(BenchImages.Kind.JPEG_64, 200, BenchImages.Kind.JPEG_64.ordinal());
      bench.warmUpPipeline(broker.bootstrapServers(), model, small, 32);
      for (BenchImages.Kind kind : kinds) {
        byte[][] images = BenchImages.make(kind, 200, kind.ordinal());
        int count = kind == BenchImages.Kind.JPEG_64 ? 20_000 : 6_000;
        for (int p = 0; p < pairs; p++) {
          for (String nativeJpeg : new String[] {"false", "true"}) {
            double rate = bench.pipelineOnce(broker.bootstrapServers(), model, images, 32, count,
                Map.of(ImagestreamConfig.DECODE_JPEG_NATIVE, nativeJpeg));
            System.out.printf("pipeline, %s, pair %d, native=%s: %.0f images/s%n", kind.label, p, nativeJpeg, rate);
          }
        }
      }
    }
  }
}
