"""Fine-tune a registry model for one step across two CPU devices, in a subprocess of its own.

    python scaleout_worker.py tf-mirrored|jax-data-parallel MODEL WEIGHTS.h5 OUT.json
    python scaleout_worker.py jax-multi-process MODEL WEIGHTS.h5 OUT.json PROCESS_ID PROCESSES COORDINATOR

The README's recipe: the backbone is built, and its weights loaded, under the
distribution; its BatchNormalization layers are frozen (Keras 3 keeps their
moving statistics per replica, so training them would leave the replicas
disagreeing); a new classifier goes on top; `fit` runs one step over a batch
split between the two devices. `jax-multi-process` stands for several hosts:
each process (one device each) joins the coordinator at COORDINATOR
(host:port) and feeds its own share of the batch.

Writes {"replicas": devices holding every variable, "loss", "trainable" and
"unmoved": paths of the trainable variables and of those the step left
unchanged, "disagree": paths of variables whose copies in this process
differ, "digest": sha256 of this process's copy of every variable}.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

import numpy as np

SIZE, CLASSES, BATCH = 32, 3, 8


def _fine_tuned(name: str, weights: str):
    import keras

    from registry_core import registry

    keras.utils.set_random_seed(0)  # the new head's initial weights
    spec = registry.info(name)
    size = max(SIZE, spec.min_size)
    backbone = registry.get(name)(weights=weights, include_top=False, pooling="avg", input_shape=(size, size, 3))
    for layer in backbone.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    # Logits: a loss on clipped probabilities has no gradient once the softmax saturates.
    outputs = keras.layers.Dense(CLASSES, name="new_head")(backbone.output)
    model = keras.Model(backbone.input, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model, size


def _step(model, size: int, process: int = 0, processes: int = 1) -> tuple[float, list[str], list[str]]:
    """One `fit` step on a random batch (this process's share of it): its loss, the
    trainable variables, those that did not move."""
    rng = np.random.default_rng(process)
    batch = BATCH // processes
    x = rng.uniform(-1, 1, (batch, size, size, 3)).astype("float32")
    y = rng.integers(0, CLASSES, batch)
    before = [np.array(v.numpy()) for v in model.trainable_weights]
    loss = model.fit(x, y, batch_size=batch, epochs=1, verbose=0).history["loss"][-1]
    trainable = [v.path for v in model.trainable_weights]
    unmoved = [v.path for b, v in zip(before, model.trainable_weights) if np.array_equal(b, v.numpy())]
    return float(loss), trainable, unmoved


def _report(replicas: dict[str, list[np.ndarray]], step: tuple[float, list[str], list[str]]) -> dict:
    loss, trainable, unmoved = step
    return {
        "replicas": min(len(copies) for copies in replicas.values()),
        "loss": loss,
        "trainable": trainable,
        "unmoved": unmoved,
        "disagree": [path for path, (first, *others) in replicas.items()
                     if any(not np.array_equal(first, other) for other in others)],
        "digest": hashlib.sha256(b"".join(np.ascontiguousarray(c[0]).tobytes() for c in replicas.values())).hexdigest(),
    }


def tf_mirrored(name: str, weights: str) -> dict:
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        model, size = _fine_tuned(name, weights)
    step = _step(model, size)
    return _report(
        {v.path: [np.asarray(r) for r in strategy.experimental_local_results(v.value)] for v in model.weights}, step
    )


def jax_data_parallel(name: str, weights: str, process: int = 0, processes: int = 1,
                      coordinator: str | None = None) -> dict:
    import keras

    if coordinator is not None:
        keras.distribution.initialize(job_addresses=coordinator, num_processes=processes, process_id=process)
    distribution = keras.distribution.DataParallel()  # every device of every process
    distribution.auto_shard_dataset = False  # each process passes its own share of the batch
    keras.distribution.set_distribution(distribution)
    model, size = _fine_tuned(name, weights)
    step = _step(model, size, process, processes)
    # DataParallel replicates every variable: one full copy (shard) per device, on every device.
    report = _report({v.path: [np.asarray(s.data) for s in v.value.addressable_shards] for v in model.weights}, step)
    report["replicas"] = min(len(v.value.sharding.device_set) for v in model.weights)
    return report


if __name__ == "__main__":
    mode, model_name, weights_path, out = sys.argv[1:5]
    if mode.startswith("jax-"):
        os.environ["KERAS_BACKEND"] = "jax"
        os.environ["JAX_PLATFORMS"] = "cpu"
        # The lowest XLA optimization level only makes compiling faster.
        os.environ["XLA_FLAGS"] = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
    if mode == "jax-data-parallel":
        os.environ["XLA_FLAGS"] += " --xla_force_host_platform_device_count=2"  # two virtual CPU devices
        result = jax_data_parallel(model_name, weights_path)
    elif mode == "jax-multi-process":
        process_id, processes, coordinator = sys.argv[5:8]
        result = jax_data_parallel(model_name, weights_path, int(process_id), int(processes), coordinator)
    else:
        os.environ["KERAS_BACKEND"] = "tensorflow"
        result = tf_mirrored(model_name, weights_path)
    with open(out, "w") as f:
        json.dump(result, f)
