"""Every model on every Keras backend, and in channels_first (issue 10).

Weights come from a legacy `.h5` written by the tf_keras reference, so the
legacy load path is exercised on each backend. Each backend runs in a
subprocess of its own (a process has one backend). CI covers one model per
family; `make test-backends` (REGISTRY_ALL_BACKENDS=1) covers all twenty.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from registry_core import registry

from .references import LEGACY_WRITERS

pytestmark = pytest.mark.xdist_group("backends")

ONE_PER_FAMILY = ("vgg16", "resnet50", "inception_v3", "xception", "mobilenet", "densenet121",
                  "nasnet_mobile")
SIZE = 96  # at least every model's minimum, small enough to be quick
WORKER = Path(__file__).with_name("backend_worker.py")


def _models() -> list[str]:
    installed = registry.list()
    wanted = installed if os.environ.get("REGISTRY_ALL_BACKENDS") == "1" else ONE_PER_FAMILY
    return [m for m in wanted if m in installed and m in LEGACY_WRITERS]


def _run(backend: str, jobs: list[dict], tmp: Path) -> dict[str, np.ndarray]:
    jobs_file, out = tmp / f"jobs-{backend}.json", tmp / f"out-{backend}.npz"
    jobs_file.write_text(json.dumps(jobs))
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, str(WORKER), str(jobs_file), str(out)], env=env,
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, f"{backend} worker failed:\n{proc.stderr[-4000:]}"
    with np.load(out) as data:
        assert str(data["backend"]) == backend
        return {k: data[k] for k in data.files if k != "backend"}


@pytest.fixture(scope="module")
def jobs(tmp_path_factory) -> list[dict]:
    tmp = tmp_path_factory.mktemp("backends")
    rng = np.random.default_rng(0)
    out = []
    for name in _models():
        h5 = tmp / f"{name}.h5"
        LEGACY_WRITERS[name](weights=None, include_top=False, input_shape=(SIZE, SIZE, 3)).save_weights(str(h5))
        x = tmp / f"{name}.npy"
        np.save(x, rng.uniform(-1, 1, (1, SIZE, SIZE, 3)).astype("float32"))
        for fmt in ("channels_last", "channels_first"):
            out.append({"model": name, "h5": str(h5), "input": str(x), "size": SIZE, "data_format": fmt})
    return out


@pytest.fixture(scope="module")
def outputs(jobs, tmp_path_factory) -> dict[str, dict[str, np.ndarray]]:
    tmp = tmp_path_factory.mktemp("backend-outputs")
    return {b: _run(b, jobs, tmp) for b in ("tensorflow", "jax", "torch")}


@pytest.mark.parametrize("model", _models())
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_backend_matches_tensorflow(outputs, backend, model):
    ref = outputs["tensorflow"][f"{model}/channels_last"]
    got = outputs[backend][f"{model}/channels_last"]
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, atol=1e-4 * max(1.0, float(np.abs(ref).max())), rtol=0)


@pytest.mark.parametrize("model", _models())
@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_channels_first_matches_channels_last(outputs, backend, model):
    last = outputs["tensorflow"][f"{model}/channels_last"]
    first = outputs[backend][f"{model}/channels_first"]
    np.testing.assert_allclose(first, last, atol=1e-4 * max(1.0, float(np.abs(last).max())), rtol=0)
