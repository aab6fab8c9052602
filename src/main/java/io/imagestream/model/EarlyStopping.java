package io.imagestream.model;

/**
 * Keras' {@code EarlyStopping(monitor='val_loss', patience=N, restore_best_weights=True)} rule: an epoch improves when
 * its val_loss is lower than the best so far; training stops once {@code patience} epochs in a row have not
 * improved, and the best epoch's weights are then restored.
 */
public final class EarlyStopping {
  private final int patience;
  private double best = Double.POSITIVE_INFINITY;
  private int bestEpoch;
  private int wait;

  /** @param patience epochs without improvement to tolerate; 0 turns early stopping off */
  public EarlyStopping(int patience) {
    if (patience < 0) {
      throw new IllegalArgumentException("patience must be >= 0, got " + patience);
    }
    this.patience = patience;
  }

  public boolean enabled() {
    return patience > 0;
  }

  /** Records an epoch's val_loss; true when this epoch is the best so far (its weights are worth keeping). */
  public boolean improved(int epoch, double valLoss) {
    if (valLoss < best) {
      best = valLoss;
      bestEpoch = epoch;
      wait = 0;
      return true;
    }
    wait++;
    return false;
  }

  /** Whether to stop after the epoch just recorded. */
  public boolean shouldStop() {
    return enabled() && wait >= patience;
  }

  public int bestEpoch() {
    return bestEpoch;
  }
}
