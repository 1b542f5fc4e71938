"""Registry models fine-tune across devices on existing engines (issue 10).

tf.distribute.MirroredStrategy over two logical CPUs; Keras' DataParallel on
JAX over two virtual CPU devices, and over two processes joined by JAX's
coordinator on loopback, standing for two hosts. Each runs in subprocesses
(`scaleout_worker.py`, the README's recipe) from a legacy `.h5` written by
the tf_keras reference: after one step the loss is finite, nearly every
trainable variable moved, and every variable's replicas agree. CI runs
MobileNet (BatchNormalization, depthwise convolutions);
REGISTRY_ALL_BACKENDS=1 (`make test-backends`) runs all twenty.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from registry_core import registry

from .references import LEGACY_WRITERS

pytestmark = pytest.mark.xdist_group("scaleout")

WORKER = Path(__file__).with_name("scaleout_worker.py")
SIZE = 32  # the worker's; models with a larger minimum use their minimum


def _models() -> list[str]:
    wanted = registry.list() if os.environ.get("REGISTRY_ALL_BACKENDS") == "1" else ["mobilenet"]
    return [m for m in wanted if m in registry and m in LEGACY_WRITERS]


def _set_batch_statistics(model, x: np.ndarray) -> None:
    """Every BatchNormalization's moving statistics set to its input's on `x`, as training leaves them.

    Fresh statistics (0 and 1) let a deep model's signal vanish in inference
    mode, so a step with frozen BatchNormalization would move nothing.
    """
    import tf_keras

    norms = [layer for layer in model.layers if isinstance(layer, tf_keras.layers.BatchNormalization)]
    if not norms:
        return
    inputs = tf_keras.Model(model.input, [layer.input for layer in norms])(x, training=True)
    for layer, value in zip(norms, inputs if len(norms) > 1 else [inputs]):
        axes = tuple(range(value.shape.rank - 1))
        layer.moving_mean.assign(np.mean(value, axis=axes))
        layer.moving_variance.assign(np.var(value, axis=axes))


@pytest.fixture(scope="module", params=_models())
def legacy_h5(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(model, a legacy `.h5` without top written by the seeded reference), removed after the model's tests."""
    import tf_keras

    name = request.param
    size = max(SIZE, registry.info(name).min_size)
    path = tmp_path_factory.mktemp("scaleout") / f"{name}.h5"
    tf_keras.utils.set_random_seed(0)
    writer = LEGACY_WRITERS[name](weights=None, include_top=False, input_shape=(size, size, 3))
    _set_batch_statistics(writer, np.random.default_rng(1).uniform(-1, 1, (8, size, size, 3)).astype("float32"))
    writer.save_weights(str(path))
    yield name, path
    path.unlink()


def _worker(mode: str, name: str, weights: Path, out: Path, *args: str) -> subprocess.Popen:
    """Start the worker writing `out`, its stderr beside it (a file: two workers waiting on each
    other must never block on a full pipe)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with open(out.with_suffix(".log"), "w") as log:
        return subprocess.Popen([sys.executable, str(WORKER), mode, name, str(weights), str(out), *args],
                                env=env, stdout=subprocess.DEVNULL, stderr=log)


def _result(proc: subprocess.Popen, out: Path) -> dict:
    """The worker's result, checked: two replicas, a finite loss, (nearly) every trainable variable moved."""
    try:
        proc.wait(timeout=900)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, out.with_suffix(".log").read_text()[-4000:]
    result = json.loads(out.read_text())
    assert result["replicas"] == 2
    assert math.isfinite(result["loss"])
    # A gradient far below a weight's float32 resolution leaves it as it was;
    # nearly all must move, so that the replicas' agreement means something.
    assert len(result["unmoved"]) <= len(result["trainable"]) // 10, result["unmoved"]
    assert result["disagree"] == []
    return result


@pytest.mark.parametrize("mode", ["tf-mirrored", "jax-data-parallel"])
def test_one_fine_tuning_step_on_two_devices(legacy_h5, mode, tmp_path):
    name, weights = legacy_h5
    out = tmp_path / "result.json"
    _result(_worker(mode, name, weights, out), out)


def test_one_fine_tuning_step_on_two_hosts(legacy_h5, tmp_path):
    """Two processes joined by JAX's coordinator on loopback stand for two hosts of one device each."""
    name, weights = legacy_h5
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        coordinator = f"127.0.0.1:{s.getsockname()[1]}"
    outs = [tmp_path / f"process{i}.json" for i in range(2)]
    procs = [_worker("jax-multi-process", name, weights, out, str(i), "2", coordinator) for i, out in enumerate(outs)]
    first, second = (_result(proc, out) for proc, out in zip(procs, outs))
    assert first["loss"] == second["loss"]  # one loss over the global batch
    assert first["digest"] == second["digest"]  # both hosts hold the same weights after the step
