package io.imagestream.bench;

import io.imagestream.config.ImagestreamConfig;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import io.imagestream.train.LabelledStore;
import io.imagestream.train.Retrainer;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The trainer's retraining of the VGG16-64 transfer model: the base (13 convolutions, 5 poolings) frozen, the head
 * trained, with the trainer's default settings (3 epochs, batch 32, 20 % held out) and no augmentation, on 2,000
 * labelled images; then a second retraining after 200 more labels, which reuses the base outputs of the unchanged
 * images. Timed as the trainer runs it: {@link Retrainer#retrain} (base outputs, head epochs, the gate's scoring of
 * candidate and live model on the held-out images, shadow scoring).
 */
final class HeavyRetrain {
  static final int LABELS = 2_000;
  static final int MORE_LABELS = 200;
  /** VGG16's base in {@link HeavyModel}: 13 convolutions and 5 max poolings, layers 0-17. */
  private static final List<Integer> BASE = IntStream.range(0, 18).boxed().toList();

  /** One retraining: wall seconds, the gate's verdict, and how many base outputs were reused and computed. */
  record Timing(double seconds, String verdict, int reused, int computed) {}

  /** Both retrainings. */
  record Result(int labels, Timing first, int moreLabels, Timing second) {}

  private HeavyRetrain() {
  }

  static Result run(Consumer<String> log) throws IOException {
    MultiLayerNetwork network = HeavyModel.network(1);
    ModelMetadata m = HeavyModel.metadata(1);
    ModelMetadata metadata = new ModelMetadata(m.name(), m.version(), m.parentVersion(), m.architecture(),
        m.classNames(), m.input(), m.preprocessing(), m.output(), m.training(), m.createdAt(), null, BASE);
    LoadedModel live = HeavyModel.load(ModelArtifact.toBytes(network, metadata));
    Retrainer retrainer = new Retrainer(Retrainer.Settings.from(ImagestreamConfig.of(Map.of(
        ImagestreamConfig.MODEL_NAME, "heavy", ImagestreamConfig.TRAINER_AUGMENT_FLIP, "false",
        ImagestreamConfig.TRAINER_AUGMENT_SHEAR, "0", ImagestreamConfig.TRAINER_AUGMENT_ZOOM, "0"))));
    LabelledStore store = new LabelledStore(HeavyModel.SHAPE, 200_000);
    Random random = new Random(7);
    add(store, 0, LABELS, random);
    log.accept(String.format("trainer retraining of the VGG16-64 transfer model on %,d labels (base frozen, "
        + "3 epochs, no augmentation)", LABELS));
    Timing first = time(retrainer, store, live, 2);
    log.accept(describe(first));
    add(store, LABELS, MORE_LABELS, random);
    log.accept(String.format("again after %d more labels (base outputs of unchanged images reused)", MORE_LABELS));
    Timing second = time(retrainer, store, live, 3);
    log.accept(describe(second));
    return new Result(LABELS, first, MORE_LABELS, second);
  }

  static String describe(Timing t) {
    return String.format("  %.1f s wall; base outputs %,d reused, %,d computed; %s", t.seconds(), t.reused(),
        t.computed(), t.verdict());
  }

  private static Timing time(Retrainer retrainer, LabelledStore store, LoadedModel live, long version) {
    long start = System.nanoTime();
    Retrainer.Outcome outcome = retrainer.retrain(store, live, version);
    double seconds = (System.nanoTime() - start) / 1e9;
    String verdict = outcome instanceof Retrainer.Judged judged ? "gate: " + judged.verdict().reason()
        : "skipped: " + ((Retrainer.Skipped) outcome).reason();
    return new Timing(seconds, verdict, retrainer.baseOutputCache().hits(), retrainer.baseOutputCache().misses());
  }

  /** Two classes a base can tell apart even with random weights: dark and light 64x64 RGB images with noise. */
  private static void add(LabelledStore store, int from, int count, Random random) {
    int pixels = HeavyModel.SHAPE.pixelCount();
    for (int i = from; i < from + count; i++) {
      boolean light = i % 2 == 1;
      byte[] image = new byte[pixels];
      for (int p = 0; p < pixels; p++) {
        image[p] = (byte) ((light ? 140 : 30) + random.nextInt(86));
      }
      store.put("label-" + i, light ? "planes" : "cars", image);
    }
  }
}
