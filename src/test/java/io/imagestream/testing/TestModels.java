package io.imagestream.testing;

import io.imagestream.image.InputShape;
import io.imagestream.model.Architectures;
import io.imagestream.model.LabelledDataset;
import io.imagestream.model.LoadedModel;
import io.imagestream.model.ModelArtifact;
import io.imagestream.model.ModelMetadata;
import io.imagestream.model.ModelTrainer;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Small models for tests: an easy two-class problem (dark vs light images) that a tiny network learns in a second,
 * so tests can assert correct labels without the slow default model.
 */
public final class TestModels {
  public static final InputShape SHAPE = new InputShape(16, 16, 1);
  public static final List<String> DARK_LIGHT = List.of("dark", "light");
  private static volatile byte[] darkLightArtifact;

  private TestModels() {}

  /** A trained dark/light classifier (16x16 grey input, sigmoid output) as artifact bytes, built once per JVM. */
  public static synchronized byte[] darkLightArtifact() {
    if (darkLightArtifact == null) {
      MultiLayerNetwork network = Architectures.build(Architectures.KERAS_TUTORIAL_CNN, SHAPE, 2, 7, 0.01);
      LabelledDataset data = darkLightData(400, 11);
      new ModelTrainer(new ModelTrainer.Options(3, 32, 7)).fit(network, data, null, new ModelTrainer.Listener() {});
      try {
        darkLightArtifact = ModelArtifact.toBytes(network, metadata("dark-light", 1, DARK_LIGHT, SHAPE,
            ModelMetadata.SIGMOID));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return darkLightArtifact;
  }

  public static LoadedModel darkLight() {
    try {
      return ModelArtifact.load(darkLightArtifact(), "test model");
    } catch (io.imagestream.model.InvalidModelException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Random grey images: dark ones (0..90) are class 0, light ones (165..255) class 1. */
  public static LabelledDataset darkLightData(int count, long seed) {
    Random random = new Random(seed);
    byte[] pixels = new byte[count * SHAPE.pixelCount()];
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      labels[i] = i % 2;
      for (int p = 0; p < SHAPE.pixelCount(); p++) {
        pixels[i * SHAPE.pixelCount() + p] = (byte) (labels[i] == 0 ? random.nextInt(91) : 165 + random.nextInt(91));
      }
    }
    return new LabelledDataset(SHAPE, DARK_LIGHT, pixels, labels);
  }

  /** The colour of an image of the given class, for making encoded test images. */
  public static Color colourOf(String label, Random random) {
    int v = "dark".equals(label) ? random.nextInt(60) : 195 + random.nextInt(61);
    return new Color(v, v, v);
  }

  public static ModelMetadata metadata(String name, long version, List<String> classes, InputShape shape,
                                       String output) {
    return new ModelMetadata(name, version, 0, Architectures.KERAS_TUTORIAL_CNN, classes,
        ModelMetadata.Input.of(shape), new ModelMetadata.Preprocessing(1.0 / 255, "bilinear", "grayscale"), output,
        new ModelMetadata.Training("test", 3, 32, 400, 0, Map.of(), 0), "2026-01-01T00:00:00Z", null);
  }

  /** count images of random pixels (as ImagePreprocessor#toPixels returns them) for the shape. */
  public static List<byte[]> randomPixels(int count, InputShape shape, long seed) {
    Random random = new Random(seed);
    byte[][] out = new byte[count][shape.pixelCount()];
    for (byte[] image : out) {
      random.nextBytes(image);
    }
    return java.util.Arrays.asList(out);
  }

  /** One image of the shape with every pixel value the same. */
  public static byte[] filled(InputShape shape, int value) {
    byte[] pixels = new byte[shape.pixelCount()];
    java.util.Arrays.fill(pixels, (byte) value);
    return pixels;
  }
}
