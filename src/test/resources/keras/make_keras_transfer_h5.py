"""Writes .h5 files of transfer models exactly as tf.keras 2.x model.save('model.h5') lays them out, without
TensorFlow: a Sequential whose first layer is a nested model (VGG16's convolutional base), and a base saved on its own.

Usage: python3 make_keras_transfer_h5.py KIND OUT.h5 EXPECTED.json

KIND:
  vgg16        Sequential([VGG16(include_top=False, input_shape=(64, 64, 3)) frozen, Flatten, Dense(256, relu),
               Dropout(0.5), Dense(1, sigmoid)]): the full-size tutorial model (~59 MB), nested class "Functional"
  vgg-narrow   the same layout with 1/16 of VGG16's filters, Dense(16) and Dense(3, softmax); nested class "Model"
               (TF 2.0-2.3); block5 trainable (fine-tuned), the rest frozen, weights listed trainable first as Keras does
  vgg-base     the narrow base saved on its own (conv_base.save(...)): a Functional model at the top
  bn-gap       Sequential: Conv2D(same) BatchNormalization MaxPooling2D Conv2D BatchNormalization
               GlobalAveragePooling2D Dense(3, softmax); 20x20x1 input
  unsupported  Sequential: Conv2D then SeparableConv2D (cannot be imported)

EXPECTED.json gets a few input images (uint8 pixels, HWC) and the model's outputs for them (for vgg-base: the base's
output, flattened in (h, w, c) order), computed by an independent numpy forward pass (float64; inputs rescaled by
1/255, channels_last, Keras' flatten order).
"""
import json
import sys

import h5py
import numpy as np

KERAS_VERSION = b"2.13.1"
rng = np.random.default_rng(20261206)
VGG16_BLOCKS = [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]


def layer(kind, name, trainable=True, **config):
    config.update({"name": name, "trainable": trainable, "dtype": "float32"})
    return {"class_name": kind, "config": config, "name": name}


def conv2d(name, filters, padding="same", trainable=True):
    return layer("Conv2D", name, trainable, filters=filters, kernel_size=[3, 3], strides=[1, 1], padding=padding,
                 data_format="channels_last", dilation_rate=[1, 1], groups=1, activation="relu", use_bias=True,
                 kernel_initializer={"class_name": "GlorotUniform", "config": {"seed": None}},
                 bias_initializer={"class_name": "Zeros", "config": {}}, kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None)


def max_pooling(name, trainable=True):
    return layer("MaxPooling2D", name, trainable, pool_size=[2, 2], padding="valid", strides=[2, 2],
                 data_format="channels_last")


def dense(name, units, activation):
    return layer("Dense", name, units=units, activation=activation, use_bias=True,
                 kernel_initializer={"class_name": "GlorotUniform", "config": {"seed": None}},
                 bias_initializer={"class_name": "Zeros", "config": {}}, kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None)


def batch_norm(name):
    return layer("BatchNormalization", name, axis=[3], momentum=0.99, epsilon=0.001, center=True, scale=True)


def input_layer(name, shape):
    return {"class_name": "InputLayer", "name": name, "inbound_nodes": [],
            "config": {"batch_input_shape": [None] + list(shape), "dtype": "float32", "sparse": False,
                       "ragged": False, "name": name}}


def vgg_base(shape, divisor, trainable_block=None):
    """VGG16's convolutional base as Keras' applications code names it, filters divided by divisor."""
    layers = [input_layer("input_1", shape)]
    for b, (filters, convs) in enumerate(VGG16_BLOCKS, start=1):
        trainable = b == trainable_block
        for i in range(1, convs + 1):
            layers.append(conv2d("block%d_conv%d" % (b, i), filters // divisor, trainable=trainable))
        layers.append(max_pooling("block%d_pool" % b, trainable=trainable))
    for previous, current in zip(layers, layers[1:]):
        current["inbound_nodes"] = [[[previous["name"], 0, 0, {}]]]
    return layers


def functional(kind, name, layers):
    return {"class_name": kind, "config": {"name": name, "layers": layers,
                                           "input_layers": [[layers[0]["name"], 0, 0]],
                                           "output_layers": [[layers[-1]["name"], 0, 0]]}}


# --- weights and the numpy forward pass -----------------------------------------------------------------------------

def init_weights(layers, shape):
    """Random weights in Keras' shapes for the chain (He-uniform for ReLU layers, so activations neither die nor
    explode through VGG16's 13 convolutions); fills layer["weights"] and returns the output shape."""
    h, w, c = shape
    flat = None
    for l in layers:
        kind, config = l["class_name"], l["config"]
        l["weights"] = []
        if kind == "Conv2D":
            f = config["filters"]
            limit = np.sqrt(6.0 / (9 * c))
            l["weights"] = [("kernel:0", rng.uniform(-limit, limit, (3, 3, c, f)).astype(np.float32)),
                            ("bias:0", rng.uniform(-0.05, 0.05, f).astype(np.float32))]
            if config["padding"] == "valid":
                h, w = h - 2, w - 2
            c = f
        elif kind == "MaxPooling2D":
            h, w = h // 2, w // 2
        elif kind == "BatchNormalization":
            n = c if flat is None else flat
            l["weights"] = [("gamma:0", rng.uniform(0.5, 1.5, n).astype(np.float32)),
                            ("beta:0", rng.uniform(-0.2, 0.2, n).astype(np.float32)),
                            ("moving_mean:0", rng.uniform(-0.1, 0.3, n).astype(np.float32)),
                            ("moving_variance:0", rng.uniform(0.05, 0.5, n).astype(np.float32))]
        elif kind == "Flatten":
            flat = h * w * c
        elif kind == "GlobalAveragePooling2D":
            flat = c
        elif kind == "Dense":
            units = config["units"]
            limit = np.sqrt(6.0 / flat)
            l["weights"] = [("kernel:0", rng.uniform(-limit, limit, (flat, units)).astype(np.float32)),
                            ("bias:0", rng.uniform(-0.05, 0.05, units).astype(np.float32))]
            flat = units
    return (h, w, c) if flat is None else (flat,)


def forward(layers, x):
    for l in layers:
        kind, config = l["class_name"], l["config"]
        weights = {k: v.astype(np.float64) for k, v in l["weights"]}
        if kind == "Conv2D":
            kernel, bias = weights["kernel:0"], weights["bias:0"]
            if config["padding"] == "same":
                x = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
            n, h, w, _ = x.shape
            out = np.zeros((n, h - 2, w - 2, kernel.shape[3]))
            for i in range(3):
                for j in range(3):
                    out += x[:, i:i + h - 2, j:j + w - 2, :] @ kernel[i, j]
            x = activate(out + bias, config["activation"])
        elif kind == "MaxPooling2D":
            n, h, w, c = x.shape
            x = x[:, :h // 2 * 2, :w // 2 * 2, :].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
        elif kind == "BatchNormalization":
            x = weights["gamma:0"] * (x - weights["moving_mean:0"]) / np.sqrt(
                weights["moving_variance:0"] + config["epsilon"]) + weights["beta:0"]
        elif kind == "GlobalAveragePooling2D":
            x = x.mean(axis=(1, 2))
        elif kind == "Flatten":
            x = x.reshape(x.shape[0], -1)  # row-major over (h, w, c): Keras' channels_last flatten
        elif kind == "Dense":
            x = activate(x @ weights["kernel:0"] + weights["bias:0"], config["activation"])
        elif kind != "Dropout":
            raise ValueError("no forward pass for " + kind)
    return x


def activate(x, name):
    if name == "relu":
        return np.maximum(x, 0)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "softmax":
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return x


def calibrate_last_dense(layers, x):
    """Scales the last Dense layer so the test images' logits spread over about [-3, 3]: saturated outputs (all 0 or
    1) would make the comparison meaningless."""
    last = layers[-1]
    hidden = forward(layers[:-1], x)
    weights = dict(last["weights"])
    logits = hidden @ weights["kernel:0"].astype(np.float64)
    scale = 1.5 / max(logits.std(), 1e-6)
    weights["kernel:0"] = (weights["kernel:0"] * scale).astype(np.float32)
    weights["bias:0"] = (-(logits.mean(axis=0)) * scale).astype(np.float32)
    last["weights"] = [(k, weights[k]) for k, _ in last["weights"]]


# --- the HDF5 layout -------------------------------------------------------------------------------------------------

def public(l):
    return {"class_name": l["class_name"], "config": l["config"], **({"name": l["name"], "inbound_nodes":
                                                                    l["inbound_nodes"]} if "inbound_nodes" in l else {})}


def write_weight_group(parent, name, layers, prefix_with_layer):
    """One group under model_weights. Keras lists a layer's trainable weights first, then the others."""
    group = parent.create_group(name)
    entries = []
    for l in layers:
        for weight, value in l["weights"]:
            entries.append((l["config"]["trainable"], l["config"]["name"] + "/" + weight, value))
    entries = [e for e in entries if e[0]] + [e for e in entries if not e[0]]
    names = [full.encode("utf8") for _, full, _ in entries]
    group.attrs["weight_names"] = np.array(names) if names else np.asarray([])
    for _, full, value in entries:
        group.create_dataset(full, data=value)


def write_h5(path, model_config, top_groups):
    """top_groups: (group name, layers whose weights it holds)."""
    with h5py.File(path, "w") as f:
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = KERAS_VERSION
        g.attrs["layer_names"] = np.array([name.encode("utf8") for name, _ in top_groups])
        for name, layers in top_groups:
            write_weight_group(g, name, layers, True)


def sequential(name, layers):
    return {"class_name": "Sequential", "config": {"name": name, "layers": layers}}


def main(kind, out, expected):
    if kind == "unsupported":
        shape = (16, 16, 1)
        layers = [conv2d("conv2d", 4, "valid"), layer("SeparableConv2D", "separable_conv2d", filters=4,
                                                        kernel_size=[3, 3])]
        layers[0]["config"]["batch_input_shape"] = [None] + list(shape)
        init_weights(layers[:1], shape)
        layers[1]["weights"] = []
        write_h5(out, sequential("sequential", [public(l) for l in layers]),
                 [(l["config"]["name"], [l]) for l in layers])
        return
    if kind == "bn-gap":
        shape = (20, 20, 1)
        layers = [conv2d("conv2d", 8, "same"), batch_norm("batch_normalization"), max_pooling("max_pooling2d"),
                  conv2d("conv2d_1", 12, "valid"), batch_norm("batch_normalization_1"),
                  layer("GlobalAveragePooling2D", "global_average_pooling2d", data_format="channels_last",
                        keepdims=False), dense("dense", 3, "softmax")]
        head = layers
        base = []
        config = sequential("sequential", [input_layer("conv2d_input", shape)] + [public(l) for l in layers])
        groups = [(l["config"]["name"], [l]) for l in layers]
    else:
        narrow = kind != "vgg16"
        shape = (64, 64, 3)
        inner = vgg_base(shape, 16 if narrow else 1, trainable_block=5 if narrow else None)
        base = inner[1:]
        if kind == "vgg-base":
            for l in base:
                l["config"]["trainable"] = True
            head = []
            config = functional("Functional", "vgg16", [public(l) for l in inner])
            groups = [(l["config"]["name"], [l]) for l in base]
        else:
            units, outputs, activation = (16, 3, "softmax") if narrow else (256, 1, "sigmoid")
            head = [layer("Flatten", "flatten", data_format="channels_last"), dense("dense", units, "relu"),
                    layer("Dropout", "dropout", rate=0.5, noise_shape=None, seed=None),
                    dense("dense_1", outputs, activation)]
            nested = functional("Model" if narrow else "Functional", "vgg16", [public(l) for l in inner])
            config = sequential("sequential", [input_layer("vgg16_input", shape), nested]
                                + [public(l) for l in head])
            groups = [("vgg16", base)] + [(l["config"]["name"], [l]) for l in head]
        layers = base + head
    init_weights(layers, shape)
    pixels = rng.integers(0, 256, size=(3,) + shape, dtype=np.uint8)
    x = pixels.astype(np.float64) / 255.0
    if head and head[-1]["class_name"] == "Dense":
        calibrate_last_dense(layers, x)
    write_h5(out, config, groups)
    outputs = forward(layers, x).reshape(len(pixels), -1)
    with open(expected, "w") as f:
        json.dump({"shape": list(shape), "pixels": [p.reshape(-1).tolist() for p in pixels],
                   "outputs": outputs.tolist()}, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
