"""Train one step of a registry model across two CPU devices, in a subprocess.

    python scaleout_worker.py tf-mirrored|jax-data-parallel MODEL OUT.json

Writes {"loss": float, "replicas_agree": bool, "replicas": int}.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

SIZE, CLASSES, BATCH = 32, 3, 4


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.uniform(0, 255, (2 * BATCH, SIZE, SIZE, 3)).astype("float32"), rng.integers(0, CLASSES, 2 * BATCH)


def _model(name: str):
    from registry_core import registry

    model = registry.get(name)(weights=None, input_shape=(SIZE, SIZE, 3), classes=CLASSES)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def tf_mirrored(name: str) -> dict:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        model = _model(name)
    x, y = _data()
    loss = model.fit(x, y, batch_size=2 * BATCH, epochs=1, verbose=0).history["loss"][-1]
    agree = all(
        all(np.array_equal(np.asarray(r), np.asarray(replicas[0])) for r in replicas)
        for replicas in (strategy.experimental_local_results(v.value) for v in model.weights)
    )
    return {"loss": float(loss), "replicas_agree": agree, "replicas": strategy.num_replicas_in_sync}


def jax_data_parallel(name: str) -> dict:
    import keras

    devices = keras.distribution.list_devices("cpu")
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    model = _model(name)
    x, y = _data()
    loss = model.fit(x, y, batch_size=2 * BATCH, epochs=1, verbose=0).history["loss"][-1]
    agree = all(
        all(np.array_equal(np.asarray(s.data), np.asarray(v.value.addressable_shards[0].data))
            for s in v.value.addressable_shards)
        for v in model.weights
    )
    return {"loss": float(loss), "replicas_agree": agree, "replicas": len(devices)}


if __name__ == "__main__":
    mode, model_name, out = sys.argv[1:4]
    if mode == "jax-data-parallel":
        os.environ["KERAS_BACKEND"] = "jax"
        os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
        result = jax_data_parallel(model_name)
    else:
        os.environ["KERAS_BACKEND"] = "tensorflow"
        result = tf_mirrored(model_name)
    with open(out, "w") as f:
        json.dump(result, f)
