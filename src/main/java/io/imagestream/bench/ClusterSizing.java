package io.imagestream.bench;

/**
 * "Scale beyond one machine": plain arithmetic from the one-instance measurement.
 *
 * <p>Measured: one classifier instance (a child JVM, {@code streamThreads} stream threads) sustained
 * {@code imagesPerSecond}, keeping {@code classifierCores} cores busy on average, while the broker (plus the bench's
 * read_committed consumer, in the bench's own JVM) kept {@code brokerCores} busy. Assumed: throughput grows linearly
 * with instances as long as every instance has its own cores and a partition per stream thread (Kafka Streams spreads
 * partitions over the group's threads); an instance on its own cores does at least as well as the one measured beside
 * the broker; the broker's CPU per image stays what it was here (replication factor 1, these image sizes; with
 * replication factor 3 count about three times as much broker work).
 */
record ClusterSizing(double imagesPerSecond, double classifierCores, double brokerCores, int streamThreads) {

  /** What a cluster needs for one target rate. */
  record Plan(double target, int instances, int classifierCores, int brokerCores, int partitions) {
    int totalCores() {
      return classifierCores + brokerCores;
    }
  }

  ClusterSizing {
    if (!(imagesPerSecond > 0) || !(classifierCores > 0) || brokerCores < 0 || streamThreads < 1) {
      throw new IllegalArgumentException("cannot size from " + imagesPerSecond + " images/s, " + classifierCores
          + " classifier cores, " + brokerCores + " broker cores, " + streamThreads + " stream threads");
    }
  }

  /** Images per second per core the classifier used. */
  double perClassifierCore() {
    return imagesPerSecond / classifierCores;
  }

  /** Images per second per core of the whole pipeline (classifier + broker), as measured. */
  double perPipelineCore() {
    return imagesPerSecond / (classifierCores + brokerCores);
  }

  /** The broker's share of the pipeline's CPU, as measured. */
  double brokerShare() {
    return brokerCores / (classifierCores + brokerCores);
  }

  Plan plan(double target) {
    int instances = (int) Math.ceil(target / imagesPerSecond - 1e-9);
    // the CPU the instances use, and never less than a core per instance
    int classifier = Math.max(instances, (int) Math.ceil(target / perClassifierCore() - 1e-9));
    int broker = (int) Math.ceil(target * brokerCores / imagesPerSecond - 1e-9);
    int partitions = instances * streamThreads; // at least one partition per stream thread, or threads idle
    return new Plan(target, instances, classifier, broker, partitions);
  }
}
