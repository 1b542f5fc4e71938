"""Registry models fine-tune across devices on existing engines (issue 10).

tf.distribute.MirroredStrategy over two logical CPUs, and Keras'
DataParallel on JAX over two virtual CPU devices, each in a subprocess of its
own (`scaleout_worker.py`, the README's recipe) starting from a legacy `.h5`
written by the tf_keras reference: after one step the loss is finite, every
trainable variable moved, and every variable's replicas agree. CI runs
MobileNet (BatchNormalization, depthwise convolutions);
REGISTRY_ALL_BACKENDS=1 (`make test-backends`) runs all twenty.
"""

from __future__ import annotations

import json
import math
import os
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
    """(model, a legacy `.h5` without top written by the reference), removed after the model's tests."""
    name = request.param
    size = max(SIZE, registry.info(name).min_size)
    path = tmp_path_factory.mktemp("scaleout") / f"{name}.h5"
    writer = LEGACY_WRITERS[name](weights=None, include_top=False, input_shape=(size, size, 3))
    _set_batch_statistics(writer, np.random.default_rng(1).uniform(-1, 1, (8, size, size, 3)).astype("float32"))
    writer.save_weights(str(path))
    yield name, path
    path.unlink()


@pytest.mark.parametrize("mode", ["tf-mirrored", "jax-data-parallel"])
def test_one_fine_tuning_step_on_two_devices(legacy_h5, mode, tmp_path):
    name, weights = legacy_h5
    out = tmp_path / "result.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, str(WORKER), mode, name, str(weights), str(out)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(out.read_text())
    assert result["replicas"] == 2
    assert math.isfinite(result["loss"])
    assert result["changed"], "a trainable variable did not move in the step"
    assert result["disagree"] == []
