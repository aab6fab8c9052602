package io.imagestream.cli;

import io.imagestream.image.InputShape;
import io.imagestream.model.FrozenTraining;
import io.imagestream.model.InvalidModelException;
import io.imagestream.model.KerasImport;
import io.imagestream.model.ModelMetadata;
import io.imagestream.model.ModelTrainer;
import io.imagestream.model.TrainingHistory;
import io.imagestream.model.TransferModel;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * {@code fit DIR --base MODEL}: Keras' two transfer-learning steps. First a new head on the frozen base (the base
 * runs forward only; without augmentation once per image); then, with {@code --fine-tune-layers K}, the base's last
 * K layers train together with the head at a lower learning rate. The artifact records which layers stay frozen, so
 * the trainer keeps them so.
 */
final class TransferFit {
  private final FitCommand fit;

  TransferFit(FitCommand fit) {
    this.fit = fit;
  }

  int run() throws Exception {
    PrintWriter console = fit.spec.commandLine().getOut();
    if (fit.given("--image-size") || fit.given("--channels") || fit.given("--architecture")) {
      throw new Errors.UserException("--image-size, --channels and --architecture come from the base with --base");
    }
    if (!Files.isRegularFile(fit.base)) {
      throw new Errors.UserException("no such file: " + fit.base);
    }
    TransferModel.Source source;
    try {
      source = TransferModel.readSource(fit.base);
    } catch (InvalidModelException | KerasImport.UnsupportedModelException e) {
      throw new Errors.UserException(e.getMessage());
    }
    int baseLayers = TransferModel.baseLayerCount(source.network());
    if (baseLayers == 0) {
      throw new Errors.UserException(fit.base + " has no convolution or pooling layer to take as a base");
    }
    if (fit.fineTuneLayers < 0 || fit.fineTuneLayers > baseLayers) {
      throw new Errors.UserException("--fine-tune-layers must be between 0 and the base's " + baseLayers
          + " layers, got " + fit.fineTuneLayers);
    }
    TransferModel.Head head;
    try {
      head = new TransferModel.Head(fit.headUnits, fit.headDropout);
    } catch (IllegalArgumentException e) {
      throw new Errors.UserException("--head-units must be at least 1 and --head-dropout in [0, 1), got "
          + fit.headUnits + " and " + fit.headDropout);
    }
    int fineTuneEpochs = fit.fineTuneEpochs == null ? fit.epochs : fit.fineTuneEpochs;
    double fineTuneRate = fit.fineTuneLearningRate == null ? fit.learningRate / 10 : fit.fineTuneLearningRate;
    ModelTrainer.Options options = new ModelTrainer.Options(fit.epochs, fit.batchSize, fit.seed, fit.augmentation(),
        fit.earlyStoppingPatience);
    InputShape shape = source.input();
    FitCommand.Data data = fit.loadData(shape);
    List<String> classes = data.train().classNames();
    MultiLayerNetwork network = TransferModel.build(source.network(), shape, baseLayers, classes.size(), head,
        fit.seed, fit.learningRate);
    long frozenParams = 0;
    for (int i = 0; i < baseLayers; i++) {
      frozenParams += network.getLayer(i).numParams();
    }
    console.printf("training a new head (Dense %d, Dropout %s) on the frozen base of %s (%d layers, %,d parameters) "
        + "on %d images (%s), validating on %d, classes %s%n", head.units(), head.dropout(), source.description(),
        baseLayers, frozenParams, data.train().size(), shape, data.validation().size(), classes);

    long start = System.nanoTime();
    List<Integer> frozen = FrozenTraining.firstLayers(baseLayers);
    FrozenTraining.Result first = FrozenTraining.fit(network, shape, frozen, fit.learningRate, options,
        data.train(), data.validation(), new FitCommand.ConsoleListener(fit.epochs, console));
    console.printf("base outputs %s (%.1f s)%n", first.cachedBaseOutputs() ? "computed once per image"
        : "computed per batch (augmentation)", first.baseSeconds());
    TrainingHistory history = first.history();
    if (fit.fineTuneLayers > 0) {
      frozen = FrozenTraining.firstLayers(baseLayers - fit.fineTuneLayers);
      console.printf("fine-tuning the base's last %d layers with the head, learning rate %s%n", fit.fineTuneLayers,
          fineTuneRate);
      FrozenTraining.Result second = FrozenTraining.fit(network, shape, frozen, fineTuneRate,
          new ModelTrainer.Options(fineTuneEpochs, fit.batchSize, fit.seed + 1, options.augmentation(),
              fit.earlyStoppingPatience), data.train(), data.validation(),
          new FitCommand.ConsoleListener(fineTuneEpochs, console));
      history = concat(history, second.history());
    }
    double seconds = (System.nanoTime() - start) / 1e9;

    String how = data.description() + "; base: " + source.description() + ", " + baseLayers + " layers"
        + (fit.fineTuneLayers > 0 ? ", the last " + fit.fineTuneLayers + " fine-tuned" : ", frozen");
    ModelMetadata metadata = new ModelMetadata(fit.name, 1, 0, TransferModel.ARCHITECTURE, classes,
        ModelMetadata.Input.of(shape), source.preprocessing(),
        classes.size() == 2 ? ModelMetadata.SIGMOID : ModelMetadata.SOFTMAX,
        new ModelMetadata.Training(how, history.epochs().size(), fit.batchSize, data.train().size(),
            data.validation().size(), new LinkedHashMap<>(history.kept().asMap()), Math.round(seconds * 10) / 10.0),
        Instant.now().toString(), null, frozen.isEmpty() ? null : frozen);
    fit.write(network, metadata, history, seconds);
    return 0;
  }

  /** The two steps' epochs as one history, numbered on (Keras: fit(..., initial_epoch=...)). */
  private static TrainingHistory concat(TrainingHistory first, TrainingHistory second) {
    List<ModelTrainer.EpochResult> epochs = new ArrayList<>(first.epochs());
    int offset = epochs.size();
    for (ModelTrainer.EpochResult e : second.epochs()) {
      epochs.add(new ModelTrainer.EpochResult(e.epoch() + offset, e.loss(), e.accuracy(), e.valLoss(),
          e.valAccuracy(), e.seconds()));
    }
    return new TrainingHistory(List.copyOf(epochs), offset + second.keptEpoch(), second.stoppedEarly());
  }
}
