"""Writes Keras 2 .h5 files of VGG-style networks with BatchNormalization (the layout make_keras_h5.py writes).

Usage: python3 make_keras_vgg_h5.py KIND OUT.h5 EXPECTED.json

KIND:
  vggbn     Conv2D(8, same, relu) BatchNormalization Conv2D(8, same, relu) BatchNormalization MaxPooling2D Dropout
            Flatten Dense(16, relu) BatchNormalization Dropout Dense(3, softmax); 12x14x1 input; the batch
            normalizations hold non-trivial gamma, beta, moving mean and variance, epsilon 0.001 (Keras' default)
  avgpool   Conv2D(8) AveragePooling2D Flatten Dense(3, softmax) (cannot be imported)

EXPECTED.json: input images (uint8, HWC) and the model's outputs from a numpy forward pass.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_keras_h5 as k  # noqa: E402

rng = np.random.default_rng(4321)


def conv_same(name, filters, first_shape=None):
    layer = k.conv2d(name, filters, first_shape)
    layer["config"]["padding"] = "same"
    return layer


def bn_weights(n):
    return [("gamma:0", rng.uniform(0.5, 1.5, n).astype(np.float32)),
            ("beta:0", rng.uniform(-0.3, 0.3, n).astype(np.float32)),
            ("moving_mean:0", rng.uniform(-0.2, 0.4, n).astype(np.float32)),
            ("moving_variance:0", rng.uniform(0.2, 2.0, n).astype(np.float32))]


def build(layers, input_shape):
    h, w, c = input_shape
    flat = None
    for layer in layers:
        kind, config = layer["class_name"], layer["config"]
        layer["in"] = c if flat is None else flat
        if kind == "Conv2D":
            if config["padding"] == "valid":
                h, w = h - 2, w - 2
            c = config["filters"]
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            h, w = h // 2, w // 2
        elif kind == "Flatten":
            flat = h * w * c
        elif kind == "Dense":
            flat = config["units"]
        if kind == "BatchNormalization":
            config["axis"] = [3] if flat is None else [1]
            layer["weights"] = bn_weights(layer["in"])
        else:
            layer["weights"] = k.weights_for(layer)


def forward(layers, x):
    for layer in layers:
        kind, config = layer["class_name"], layer["config"]
        weights = dict(layer["weights"])
        if kind == "Conv2D" and config["padding"] == "same":
            padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
            kernel, bias = weights["kernel:0"], weights["bias:0"]
            n, h, w, _ = x.shape
            out = np.zeros((n, h, w, kernel.shape[3]), np.float64)
            for i in range(3):
                for j in range(3):
                    out += padded[:, i:i + h, j:j + w, :] @ kernel[i, j]
            x = k.activate(out + bias, config["activation"])
        elif kind == "BatchNormalization":
            x = (x - weights["moving_mean:0"]) / np.sqrt(weights["moving_variance:0"] + config["epsilon"]) \
                * weights["gamma:0"] + weights["beta:0"]
        else:
            x = k.forward([layer], x)
    return x


def model(kind):
    if kind == "avgpool":
        shape = (12, 14, 1)
        pool = k.max_pooling("average_pooling2d")
        pool["class_name"] = "AveragePooling2D"
        return shape, [k.conv2d("conv2d", 8, shape), pool, k.flatten("flatten"), k.dense("dense", 3, "softmax")]
    shape = (12, 14, 1)
    return shape, [conv_same("conv2d", 8, shape), k.batch_norm("batch_normalization"), conv_same("conv2d_1", 8),
                   k.batch_norm("batch_normalization_1"), k.max_pooling("max_pooling2d"), k.dropout("dropout", 0.25),
                   k.flatten("flatten"), k.dense("dense", 16, "relu"), k.batch_norm("batch_normalization_2"),
                   k.dropout("dropout_1", 0.5), k.dense("dense_1", 3, "softmax")]


def main(kind, out, expected):
    shape, layers = model(kind)
    build(layers, shape)
    k.write_h5(out, layers, shape, None)
    if kind == "avgpool":
        return
    pixels = rng.integers(0, 256, size=(5,) + shape, dtype=np.uint8)
    outputs = forward(layers, pixels.astype(np.float64) / 255.0)
    with open(expected, "w") as f:
        json.dump({"shape": list(shape), "pixels": [p.reshape(-1).tolist() for p in pixels],
                   "outputs": outputs.tolist()}, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
