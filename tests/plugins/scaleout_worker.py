"""Fine-tune a registry model for one step across two CPU devices, in a subprocess of its own.

    python scaleout_worker.py tf-mirrored|jax-data-parallel MODEL WEIGHTS.h5 OUT.json

The README's recipe: the backbone is built, and its weights loaded, under the
distribution; its BatchNormalization layers are frozen (Keras 3 keeps their
moving statistics per replica, so training them would leave the replicas
disagreeing); a new classifier goes on top; `fit` runs one step over a batch
split between the two devices. Writes {"replicas": devices holding every
variable, "loss", "changed": whether every trainable variable moved,
"disagree": paths of variables whose replicas differ}.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

SIZE, CLASSES, BATCH = 32, 3, 8


def _fine_tuned(name: str, weights: str):
    import keras

    from registry_core import registry

    spec = registry.info(name)
    size = max(SIZE, spec.min_size)
    backbone = registry.get(name)(weights=weights, include_top=False, pooling="avg", input_shape=(size, size, 3))
    for layer in backbone.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    outputs = keras.layers.Dense(CLASSES, activation="softmax", name="new_head")(backbone.output)
    model = keras.Model(backbone.input, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    return model, size


def _step(model, size: int) -> tuple[float, bool]:
    """One `fit` step on a random batch; its loss, and whether every trainable variable moved."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (BATCH, size, size, 3)).astype("float32")
    y = rng.integers(0, CLASSES, BATCH)
    before = [np.array(v.numpy()) for v in model.trainable_weights]
    loss = model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0).history["loss"][-1]
    changed = all(not np.array_equal(b, v.numpy()) for b, v in zip(before, model.trainable_weights))
    return float(loss), changed


def _report(replicas: dict[str, list[np.ndarray]], loss: float, changed: bool) -> dict:
    return {
        "replicas": min(len(copies) for copies in replicas.values()),
        "loss": loss,
        "changed": changed,
        "disagree": [path for path, (first, *others) in replicas.items()
                     if any(not np.array_equal(first, other) for other in others)],
    }


def tf_mirrored(name: str, weights: str) -> dict:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        model, size = _fine_tuned(name, weights)
    loss, changed = _step(model, size)
    return _report(
        {v.path: [np.asarray(r) for r in strategy.experimental_local_results(v.value)] for v in model.weights},
        loss, changed,
    )


def jax_data_parallel(name: str, weights: str) -> dict:
    import keras

    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=keras.distribution.list_devices("cpu")))
    model, size = _fine_tuned(name, weights)
    loss, changed = _step(model, size)
    # DataParallel replicates every variable: one full copy (shard) per device.
    return _report({v.path: [np.asarray(s.data) for s in v.value.addressable_shards] for v in model.weights},
                   loss, changed)


if __name__ == "__main__":
    mode, model_name, weights_path, out = sys.argv[1:5]
    if mode == "jax-data-parallel":
        os.environ["KERAS_BACKEND"] = "jax"
        os.environ["JAX_PLATFORMS"] = "cpu"
        # Two virtual CPU devices; the lowest XLA optimization level only makes compiling faster.
        os.environ["XLA_FLAGS"] = ("--xla_force_host_platform_device_count=2 --xla_backend_optimization_level=0 "
                                   "--xla_llvm_disable_expensive_passes=true")
        result = jax_data_parallel(model_name, weights_path)
    else:
        os.environ["KERAS_BACKEND"] = "tensorflow"
        result = tf_mirrored(model_name, weights_path)
    with open(out, "w") as f:
        json.dump(result, f)
