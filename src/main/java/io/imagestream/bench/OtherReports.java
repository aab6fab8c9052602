package io.imagestream.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reports of the separate benchmark runs ({@code bench --vgg}, {@code bench --heavy}) and the trainings' figures,
 * carried into benchmarks.md so that every performance figure of the project is in one place with its command. Each
 * separate report is read from its own file beside benchmarks.md, as its last run wrote it.
 */
final class OtherReports {
  /** File (beside benchmarks.md), title, and the command that writes it. */
  private static final String[][] REPORTS = {
      {"vgg-bench.md", "vgg-bn beside the tutorial CNN", "java -jar target/imagestream.jar bench --vgg"},
      {"heavy-models-bench.md", "The VGG16-64 transfer model on the stream",
          "java -jar target/imagestream.jar bench --heavy"},
  };

  private OtherReports() {
  }

  /** The "Other measurements" section: each report present beside {@code benchmarks}, then the trainings. */
  static String section(Path benchmarks) throws IOException {
    Path dir = benchmarks.toAbsolutePath().getParent();
    StringBuilder md = new StringBuilder("\n## Other measurements\n\nWritten by their own runs, copied here as they "
        + "were last written (their files: the links).\n\n");
    for (String[] report : REPORTS) {
      Path file = dir.resolve(report[0]);
      if (Files.isRegularFile(file)) {
        md.append("### ").append(report[1]).append(" ([").append(report[0]).append("](").append(report[0])
            .append("), `").append(report[2]).append("`)\n\n").append(body(Files.readString(file))).append('\n');
      }
    }
    return md.append("""
        ### Trainings (one run each; [models.md](models.md), [training.md](training.md))

        | what | command | result |
        |---|---|---|
        | `vgg-bn` on the Fashion-MNIST training split (`models/fashion-vgg.zip`) | `java -jar target/imagestream.jar fit --fashion-mnist --architecture vgg-bn --epochs 12 --batch-size 64 --learning-rate 0.001 --learning-rate-decay 0.8 --out models/fashion-vgg.zip` | 0.9336 on the test split; 45.5 min wall, 4,240 CPU-seconds (~35 min on 2 idle cores; target ~30 min: missed) |
        | the streaming trainer with `vgg-bn` from 60,000 labels alone | `mvn verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=FashionMnistFromLabelsIT -Dfashion.images=60000 -Dfashion.epochs=7 -Dfashion.architecture=vgg-bn -Dfashion.learning.rate.decay=0.75 -Dfashion.shear=0 -Dfashion.timeout.minutes=110 -Dfashion.min.accuracy=0.92` | 0.9249 on the test split in 1,286 s |

        Faults on a three-node cluster (broker, controller and instance kills, rolling restarts, the trainer through a broker
        loss): `bench/cluster-figures.sh`, figures in [cluster.md](cluster.md#measured-figures) (broker kill: new leaders
        after 8.6 s, outputs paused 8.7 s).
        """).toString();
  }

  /** A report without its "written by" comment and title; its own headings one level down. */
  static String body(String report) {
    return report.replaceFirst("^<!--[^\\n]*-->\\n", "").replaceFirst("^# [^\\n]*\\n\\n?", "")
        .replaceAll("(?m)^## ", "#### ").strip() + "\n";
  }
}
