#!/usr/bin/python3
"""The Python peer of the benchmark: what a user would write instead of imagestream.

A plain confluent_kafka consumer that does the classifier's job on the same topics: decode each image with Pillow
and resize it to the model's input the way Keras' load_img does (convert to RGB/L, then bilinear resize), rescale by
1/255, collect a batch (up to --batch-size images or --max-wait-ms since the batch's first image), run the same CNN
with PyTorch (no_grad, channels_last, torch.set_num_threads(<cores>)) and produce one JSON prediction per image
(same key as the input) with a confluent_kafka Producer.

Delivery is at-least-once: a batch's input offsets are committed only after all of its predictions have been
produced *and* flushed (acknowledged by the broker). A crash between the flush and the commit re-classifies that
batch after a restart (duplicates, never loss). Unlike the Java pipeline there are no transactions, so there is
no exactly-once.

The network and its weights come from a directory written by io.imagestream.bench.PeerWeights#exportWeights:
model.json (architecture as a layer list, classes, input shape, preprocessing, tensor names/shapes/offsets) and
weights.f32 (all tensors, little-endian float32, already in PyTorch's layout).

Images that cannot be decoded are skipped and counted (no dead-letter topic); the peer never stops on one.
The last line on stdout is a one-line JSON summary; logs go to stderr.

Run with Debian's interpreter: /usr/bin/python3 (python3-confluent-kafka python3-torch python3-pil python3-numpy).
"""

import argparse
import io
import json
import os
import sys
import time

import numpy as np
import torch
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from PIL import Image

Image.MAX_IMAGE_PIXELS = 40_000_000  # the Java side's default pixel limit; bigger images are skipped


def log(message):
    print("peer: " + message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# The model: the layer list of model.json as a torch.nn.Sequential, loaded with the exported weights.

def activation(name):
    if name in (None, "identity", "linear"):
        return None
    if name == "relu":
        return torch.nn.ReLU(inplace=True)
    if name == "sigmoid":
        return torch.nn.Sigmoid()
    if name == "tanh":
        return torch.nn.Tanh()
    if name == "softmax":
        return torch.nn.Softmax(dim=1)
    raise ValueError("unsupported activation " + name)


def load_model(model_dir):
    with open(os.path.join(model_dir, "model.json"), encoding="utf-8") as f:
        spec = json.load(f)
    flat = np.fromfile(os.path.join(model_dir, "weights.f32"), dtype="<f4")

    def tensor(name):
        t = spec["tensors"][name]
        count = int(np.prod(t["shape"]))
        return torch.from_numpy(flat[t["offset"]:t["offset"] + count].reshape(t["shape"]).copy())

    layers = []
    flattened = False
    for layer in spec["layers"]:
        kind = layer["type"]
        if kind == "conv":
            w = tensor(layer["weight"])
            conv = torch.nn.Conv2d(w.shape[1], w.shape[0], tuple(layer["kernel"]), stride=tuple(layer["stride"]),
                                   padding=tuple(layer["padding"]), bias="bias" in layer)
            conv.weight.data.copy_(w)
            if "bias" in layer:
                conv.bias.data.copy_(tensor(layer["bias"]))
            layers.append(conv)
        elif kind in ("maxpool", "avgpool"):
            pool = torch.nn.MaxPool2d if kind == "maxpool" else torch.nn.AvgPool2d
            layers.append(pool(tuple(layer["kernel"]), stride=tuple(layer["stride"]),
                               padding=tuple(layer["padding"])))
        elif kind == "dense":
            if not flattened:
                layers.append(torch.nn.Flatten())  # NCHW flatten: (c, h, w) order, as DL4J's CnnToFeedForward
                flattened = True
            w = tensor(layer["weight"])  # already [out, in]
            dense = torch.nn.Linear(w.shape[1], w.shape[0], bias="bias" in layer)
            dense.weight.data.copy_(w)
            if "bias" in layer:
                dense.bias.data.copy_(tensor(layer["bias"]))
            layers.append(dense)
        elif kind == "dropout":
            continue  # identity at inference
        else:
            raise ValueError("unsupported layer type " + kind)
        act = activation(layer.get("activation"))
        if act is not None:
            layers.append(act)
    model = torch.nn.Sequential(*layers).eval()
    return spec, model.to(memory_format=torch.channels_last)


# ---------------------------------------------------------------------------------------------------------------
# Preprocessing: Keras' load_img (Pillow) + rescale.

RESAMPLE = {
    "nearest": Image.NEAREST,
    "bilinear": Image.BILINEAR,
    "bicubic": Image.BICUBIC,
    "lanczos": Image.LANCZOS,
    "box": Image.BOX,
    "hamming": Image.HAMMING,
}


class Preprocessor:
    def __init__(self, spec):
        shape = spec["input"]
        self.height, self.width, self.channels = shape["height"], shape["width"], shape["channels"]
        pre = spec.get("preprocessing") or {}
        self.mode = "L" if self.channels == 1 else "RGB"
        self.resample = RESAMPLE[(pre.get("interpolation") or "bilinear").lower()]
        rescale = pre.get("rescale") or 1.0
        # Keras multiplies float32 pixels by rescale in float32; a table gives the same values, faster
        self.table = np.arange(256, dtype=np.float32) * np.float32(rescale)

    def __call__(self, data):
        """HWC float32 array, or raises on anything that is not a decodable image."""
        with Image.open(io.BytesIO(data)) as img:
            if img.mode != self.mode:
                img = img.convert(self.mode)
            if img.size != (self.width, self.height):
                img = img.resize((self.width, self.height), self.resample)
            pixels = np.asarray(img, dtype=np.uint8)
        if pixels.ndim == 2:
            pixels = pixels[:, :, None]
        return self.table[pixels]


# ---------------------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", required=True, help="bootstrap servers")
    parser.add_argument("--input", required=True, help="images topic")
    parser.add_argument("--output", required=True, help="predictions topic")
    parser.add_argument("--group", required=True, help="consumer group id")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-wait-ms", type=int, default=20)
    parser.add_argument("--model", required=True, help="directory written by PeerWeights.exportWeights")
    parser.add_argument("--max-images", type=int, default=0,
                        help="exit after this many input records (predicted + skipped); 0: no limit")
    parser.add_argument("--idle-exit", type=float, default=0,
                        help="exit after this many seconds without input; 0: never")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: cores)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    spec, model = load_model(args.model)
    preprocess = Preprocessor(spec)
    classes = spec["classes"]
    sigmoid = spec["output"] == "sigmoid"
    model_ref = {"name": spec.get("name"), "version": spec.get("version")}

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "enable.auto.commit": False,  # offsets are committed by hand, after the predictions are flushed
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "max.partition.fetch.bytes": 16 * 1024 * 1024,
    })
    producer = Producer({
        "bootstrap.servers": args.bootstrap,
        "acks": "all",
        "enable.idempotence": True,
        "linger.ms": 5,
        "message.max.bytes": 16 * 1024 * 1024,
    })
    consumer.subscribe([args.input])

    with torch.no_grad():  # warm-up: the first forward pass allocates and picks kernels
        model(torch.zeros(args.batch_size, preprocess.channels, preprocess.height, preprocess.width)
              .to(memory_format=torch.channels_last))

    failures = []
    deliveries = {"count": 0, "first": None, "last": None}

    def delivered(err, msg):
        if err is not None:
            failures.append(str(err))
            return
        now = time.perf_counter()
        if deliveries["first"] is None:
            deliveries["first"] = now
        deliveries["last"] = now
        deliveries["count"] += 1

    last_commit = {}
    stages = {"consume": 0.0, "decode": 0.0, "forward": 0.0, "produce": 0.0, "flush": 0.0, "commit": 0.0}
    predicted = 0
    skipped = 0
    seen = 0
    started = None
    last_input = time.monotonic()
    max_wait = args.max_wait_ms / 1000.0
    log("ready: %s -> %s, batch %d, max wait %d ms, %d torch threads"
        % (args.input, args.output, args.batch_size, args.max_wait_ms, torch.get_num_threads()))

    try:
        while args.max_images <= 0 or seen < args.max_images:
            # collect one batch: up to batch-size decoded images, or max-wait after its first record
            pixels, sources, commit = [], [], {}
            batch_start = None
            while len(pixels) < args.batch_size and (args.max_images <= 0 or seen < args.max_images):
                if batch_start is None:
                    timeout = 0.1
                else:
                    timeout = batch_start + max_wait - time.monotonic()
                    if timeout <= 0:
                        break
                want = args.batch_size - len(pixels)
                if args.max_images > 0:
                    want = min(want, args.max_images - seen)
                t0 = time.perf_counter()
                messages = consumer.consume(num_messages=want, timeout=timeout)
                t1 = time.perf_counter()
                if started is not None:
                    stages["consume"] += t1 - t0
                if not messages:
                    if batch_start is None and args.idle_exit > 0 \
                            and time.monotonic() - last_input > args.idle_exit:
                        break
                    continue
                now = time.monotonic()
                last_input = now
                t0 = time.perf_counter()
                for msg in messages:
                    if msg.error() is not None:
                        if msg.error().code() != KafkaError._PARTITION_EOF:
                            log("consumer error: %s" % msg.error())
                        continue
                    if started is None:
                        started = time.perf_counter()
                    if batch_start is None:
                        batch_start = now
                    seen += 1
                    commit[(msg.topic(), msg.partition())] = msg.offset() + 1
                    try:
                        pixels.append(preprocess(msg.value() or b""))
                        sources.append(msg)
                    except Exception as e:  # not an image, truncated, too big, ...: skip, never stop
                        skipped += 1
                        if skipped <= 10:
                            log("skipped %s-%d-%d: %s" % (msg.topic(), msg.partition(), msg.offset(), e))
                stages["decode"] += time.perf_counter() - t0
            if not commit:
                if args.idle_exit > 0 and time.monotonic() - last_input > args.idle_exit:
                    log("idle for %.1f s, exiting" % args.idle_exit)
                    break
                continue

            if pixels:
                # NHWC numpy batch -> NCHW view whose strides are already channels_last
                t0 = time.perf_counter()
                batch = torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2)
                batch = batch.contiguous(memory_format=torch.channels_last)
                with torch.no_grad():
                    out = model(batch).numpy()
                if sigmoid:
                    out = np.concatenate([1.0 - out, out], axis=1)
                t1 = time.perf_counter()
                stages["forward"] += t1 - t0
                for msg, row in zip(sources, out):
                    key = msg.key()
                    image_id = key.decode("utf-8", "replace") if key is not None \
                        else "%s-%d-%d" % (msg.topic(), msg.partition(), msg.offset())
                    best = int(np.argmax(row))
                    value = {
                        "id": image_id,
                        "label": classes[best],
                        "probability": round(float(row[best]), 6),
                        "probabilities": {c: round(float(p), 6) for c, p in zip(classes, row)},
                        "model": model_ref,
                        "source": {"topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset()},
                    }
                    while True:
                        try:
                            producer.produce(args.output, key=key, value=json.dumps(value).encode("utf-8"),
                                             on_delivery=delivered)
                            break
                        except BufferError:  # local queue full: let it drain
                            producer.poll(0.05)
                    producer.poll(0)
                predicted += len(pixels)
                stages["produce"] += time.perf_counter() - t1

            # at-least-once: commit the batch's input offsets only once its predictions are acknowledged. The commit
            # itself may be asynchronous: losing it in a crash means re-classifying (duplicates), never losing.
            t0 = time.perf_counter()
            remaining = producer.flush(30)
            t1 = time.perf_counter()
            stages["flush"] += t1 - t0
            if remaining or failures:
                raise RuntimeError("predictions not delivered (%d pending; %s); offsets not committed"
                                   % (remaining, failures[:3]))
            offsets = [TopicPartition(t, p, o) for (t, p), o in commit.items()]
            consumer.commit(offsets=offsets, asynchronous=True)
            last_commit.update(commit)
            stages["commit"] += time.perf_counter() - t1
        if last_commit:  # the last positions, synchronously, before leaving
            consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in last_commit.items()],
                            asynchronous=False)
    finally:
        consumer.close()

    ended = time.perf_counter()
    first, last, count = deliveries["first"], deliveries["last"], deliveries["count"]
    # like the Java benchmark: first to last output; the first output opens the clock, so count the ones after it
    span = (last - first) if count > 1 else 0.0
    summary = {
        "images": predicted,
        "skipped": skipped,
        "seconds": round(ended - started, 6) if started is not None else 0.0,
        "images_per_s": round((count - 1) / span, 3) if span > 0 else 0.0,
        "first_to_last_output_seconds": round(span, 6),
        "batch_size": args.batch_size,
        # where the time went (consume: waiting for/fetching records after the first one arrived)
        "stage_seconds": {k: round(v, 3) for k, v in stages.items()},
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
