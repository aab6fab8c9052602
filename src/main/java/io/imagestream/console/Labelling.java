package io.imagestream.console;

import java.util.function.Function;

/**
 * One person's label for one queued image, start to end: claim it (at most once per image), check the label is one of
 * the model's classes, read the original bytes back from to-label, send them to labelled-images with the label, and
 * only then take the image off the queue; a failed send releases the claim.
 */
final class Labelling {
  /** Sends key, original bytes and a {@code label} header to labelled-images; returns once it is acknowledged. */
  interface Sender {
    void send(byte[] key, byte[] value, String label) throws Exception;
  }

  enum Status { LABELLED, ALREADY_LABELLED, NOT_QUEUED, UNKNOWN_CLASS, IMAGE_GONE, SEND_FAILED }

  record Result(Status status, String message) {}

  private final LabelQueue queue;
  private final Function<Coordinates, byte[]> original;
  private final Sender sender;

  Labelling(LabelQueue queue, Function<Coordinates, byte[]> original, Sender sender) {
    this.queue = queue;
    this.original = original;
    this.sender = sender;
  }

  Result label(String id, String label) {
    switch (queue.claim(id)) {
      case ALREADY_LABELLED:
        return new Result(Status.ALREADY_LABELLED, "someone has already labelled this image");
      case NOT_QUEUED:
        return new Result(Status.NOT_QUEUED, "this image is not in the queue");
      default:
        break;
    }
    LabelQueue.Queued q = queue.get(id);
    if (q == null || !q.classes().contains(label)) {
      queue.release(id);
      return q == null ? new Result(Status.NOT_QUEUED, "this image is not in the queue")
          : new Result(Status.UNKNOWN_CLASS, "not one of the model's classes");
    }
    byte[] bytes = original.apply(q.at());
    if (bytes == null) {
      queue.release(id);
      return new Result(Status.IMAGE_GONE, "the image is no longer on " + q.at().topic());
    }
    try {
      sender.send(q.key(), bytes, label);
    } catch (Exception e) {
      queue.release(id);
      return new Result(Status.SEND_FAILED, "sending the label failed: " + e.getMessage());
    }
    queue.labelledHere(id);
    return new Result(Status.LABELLED, "labelled");
  }
}
