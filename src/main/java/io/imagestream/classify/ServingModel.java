package io.imagestream.classify;

import io.imagestream.model.LoadedModel;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The model the classifier serves right now. Swapped whole through an atomic reference: a batch reads it once and
 * uses that instance throughout, so every prediction of a batch comes from one version.
 */
public final class ServingModel {
  private final AtomicReference<LoadedModel> current;

  public ServingModel(LoadedModel initial) {
    this.current = new AtomicReference<>(Objects.requireNonNull(initial, "initial model"));
  }

  public LoadedModel current() {
    return current.get();
  }

  /** Makes {@code next} the model for every batch that starts from now on; returns the one it replaced. */
  public LoadedModel swap(LoadedModel next) {
    return current.getAndSet(Objects.requireNonNull(next, "next model"));
  }
}
