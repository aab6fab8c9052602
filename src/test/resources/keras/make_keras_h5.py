"""Writes .h5 files exactly as Keras 2 / tf.keras model.save('model.h5') lays them out, without TensorFlow.

Usage: python3 make_keras_h5.py KIND OUT.h5 EXPECTED.json

KIND:
  binary64    Conv2D(32) MaxPooling2D Conv2D(32) MaxPooling2D Flatten Dense(64) Dense(1, sigmoid); 64x64x3 input,
              compiled (training_config present)
  softmax3    Conv2D(8) MaxPooling2D Flatten Dense(16) Dropout(0.5) Dense(3, softmax); 20x24x1 input, not compiled
  batchnorm   like softmax3 with a BatchNormalization layer after the Conv2D
  keras3      a Keras 3 .keras file (a zip), written to OUT (cannot be imported)

EXPECTED.json gets a few input images (uint8 pixels, HWC) and the model's outputs for them, computed here by a numpy
forward pass of the same Keras model (inputs rescaled by 1/255, channels_last, Keras' flatten order).
"""
import json
import sys
import zipfile

import h5py
import numpy as np

KERAS_VERSION = b"2.13.1"
rng = np.random.default_rng(1234)


def initializer(name):
    return {"class_name": name, "config": {"seed": None} if name == "GlorotUniform" else {}}


def common(name):
    return {"name": name, "trainable": True, "dtype": "float32"}


def conv2d(name, filters, first_shape=None):
    config = common(name)
    if first_shape:
        config["batch_input_shape"] = [None] + list(first_shape)
    config.update({"filters": filters, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid",
                   "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu",
                   "use_bias": True, "kernel_initializer": initializer("GlorotUniform"),
                   "bias_initializer": initializer("Zeros"), "kernel_regularizer": None, "bias_regularizer": None,
                   "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None})
    return {"class_name": "Conv2D", "config": config}


def max_pooling(name):
    config = common(name)
    config.update({"pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"})
    return {"class_name": "MaxPooling2D", "config": config}


def flatten(name):
    config = common(name)
    config["data_format"] = "channels_last"
    return {"class_name": "Flatten", "config": config}


def dense(name, units, activation):
    config = common(name)
    config.update({"units": units, "activation": activation, "use_bias": True,
                   "kernel_initializer": initializer("GlorotUniform"), "bias_initializer": initializer("Zeros"),
                   "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                   "kernel_constraint": None, "bias_constraint": None})
    return {"class_name": "Dense", "config": config}


def dropout(name, rate):
    config = common(name)
    config.update({"rate": rate, "noise_shape": None, "seed": None})
    return {"class_name": "Dropout", "config": config}


def batch_norm(name):
    config = common(name)
    config.update({"axis": [3], "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
                   "beta_initializer": initializer("Zeros"), "gamma_initializer": initializer("Ones"),
                   "moving_mean_initializer": initializer("Zeros"), "moving_variance_initializer": initializer("Ones"),
                   "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
                   "gamma_constraint": None})
    return {"class_name": "BatchNormalization", "config": config}


def uniform(shape, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def weights_for(layer):
    """Random weights in Keras' shapes: Conv2D kernel (kh, kw, in, out), Dense kernel (in, out)."""
    kind, config = layer["class_name"], layer["config"]
    if kind == "Conv2D":
        kernel = uniform((3, 3, layer["in"], config["filters"]), 9 * layer["in"], 9 * config["filters"])
        return [("kernel:0", kernel), ("bias:0", rng.uniform(-0.1, 0.1, config["filters"]).astype(np.float32))]
    if kind == "Dense":
        kernel = uniform((layer["in"], config["units"]), layer["in"], config["units"])
        return [("kernel:0", kernel), ("bias:0", rng.uniform(-0.1, 0.1, config["units"]).astype(np.float32))]
    if kind == "BatchNormalization":
        n = layer["in"]
        return [("gamma:0", np.ones(n, np.float32)), ("beta:0", np.zeros(n, np.float32)),
                ("moving_mean:0", np.zeros(n, np.float32)), ("moving_variance:0", np.ones(n, np.float32))]
    return []


def build(layers, input_shape):
    """Fills in each layer's input width (for weight shapes) by walking the shapes, Keras-style."""
    h, w, c = input_shape
    flat = None
    for layer in layers:
        kind, config = layer["class_name"], layer["config"]
        layer["in"] = c if flat is None else flat
        if kind == "Conv2D":
            h, w, c = h - 2, w - 2, config["filters"]
        elif kind == "MaxPooling2D":
            h, w = h // 2, w // 2
        elif kind == "Flatten":
            flat = h * w * c
        elif kind == "Dense":
            flat = config["units"]
        layer["weights"] = weights_for(layer)


def forward(layers, x):
    """The Keras model's inference on a batch x of shape (n, h, w, c), in numpy."""
    for layer in layers:
        kind, config = layer["class_name"], layer["config"]
        weights = dict(layer["weights"])
        if kind == "Conv2D":
            kernel, bias = weights["kernel:0"], weights["bias:0"]
            n, h, w, _ = x.shape
            out = np.zeros((n, h - 2, w - 2, kernel.shape[3]), np.float64)
            for i in range(3):
                for j in range(3):
                    out += x[:, i:i + h - 2, j:j + w - 2, :] @ kernel[i, j]
            x = activate(out + bias, config["activation"])
        elif kind == "MaxPooling2D":
            n, h, w, c = x.shape
            x = x[:, :h // 2 * 2, :w // 2 * 2, :].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
        elif kind == "Flatten":
            x = x.reshape(x.shape[0], -1)  # row-major over (h, w, c): Keras' channels_last flatten
        elif kind == "Dense":
            x = activate(x @ weights["kernel:0"] + weights["bias:0"], config["activation"])
        elif kind == "Dropout":
            pass  # identity at inference
        else:
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
    if name == "linear":
        return x
    raise ValueError(name)


def write_h5(path, layers, input_shape, training_config):
    public = [{"class_name": l["class_name"], "config": l["config"]} for l in layers]
    input_layer = {"class_name": "InputLayer", "config": {"batch_input_shape": [None] + list(input_shape),
                                                           "dtype": "float32", "sparse": False, "ragged": False,
                                                           "name": layers[0]["config"]["name"] + "_input"}}
    model_config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [input_layer] + public}}
    with h5py.File(path, "w") as f:
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
        if training_config:
            f.attrs["training_config"] = json.dumps(training_config).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = KERAS_VERSION
        g.attrs["layer_names"] = np.array([l["config"]["name"].encode("utf8") for l in layers])
        for layer in layers:
            name = layer["config"]["name"]
            lg = g.create_group(name)
            names = [(name + "/" + w).encode("utf8") for w, _ in layer["weights"]]
            lg.attrs["weight_names"] = np.array(names) if names else np.asarray([])  # Keras: np.asarray([])
            for (weight_name, value), full in zip(layer["weights"], names):
                lg.create_dataset(full.decode("utf8"), data=value)


def model(kind):
    if kind == "binary64":
        shape = (64, 64, 3)
        layers = [conv2d("conv2d", 32, shape), max_pooling("max_pooling2d"), conv2d("conv2d_1", 32),
                  max_pooling("max_pooling2d_1"), flatten("flatten"), dense("dense", 64, "relu"),
                  dense("dense_1", 1, "sigmoid")]
        training = {"loss": "binary_crossentropy", "metrics": [[{"class_name": "MeanMetricWrapper", "config": {
            "name": "accuracy", "dtype": "float32", "fn": "binary_accuracy"}}]], "weighted_metrics": None,
                    "loss_weights": None, "optimizer_config": {"class_name": "Custom>Adam", "config": {
                        "name": "Adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
                        "amsgrad": False, "is_legacy_optimizer": False}}}
        return shape, layers, training
    shape = (20, 24, 1)
    layers = [conv2d("conv2d", 8, shape), max_pooling("max_pooling2d"), flatten("flatten"),
              dense("dense", 16, "relu"), dropout("dropout", 0.5), dense("dense_1", 3, "softmax")]
    if kind == "batchnorm":
        layers.insert(1, batch_norm("batch_normalization"))
    return shape, layers, None


def main(kind, out, expected):
    if kind == "keras3":
        with zipfile.ZipFile(out, "w") as z:
            z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2026-01-01@00:00:00"}))
            z.writestr("config.json", json.dumps({"module": "keras", "class_name": "Sequential", "config": {}}))
            z.writestr("model.weights.h5", b"")
        return
    shape, layers, training = model(kind)
    build(layers, shape)
    write_h5(out, layers, shape, training)
    if kind == "batchnorm":
        return
    pixels = rng.integers(0, 256, size=(4,) + shape, dtype=np.uint8)
    outputs = forward(layers, pixels.astype(np.float64) / 255.0)
    with open(expected, "w") as f:
        json.dump({"shape": list(shape), "pixels": [p.reshape(-1).tolist() for p in pixels],
                   "outputs": outputs.tolist()}, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
