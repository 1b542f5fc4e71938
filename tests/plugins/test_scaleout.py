"""Registry models train across devices on existing engines (issue 10):
tf.distribute.MirroredStrategy over two logical CPUs, and Keras' DataParallel
on JAX over two virtual CPU devices. Each in a subprocess of its own."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry_core import registry

WORKER = Path(__file__).with_name("scaleout_worker.py")
MODEL = "vgg16"


@pytest.mark.skipif(MODEL not in registry, reason=f"{MODEL} is not installed")
@pytest.mark.parametrize("mode", ["tf-mirrored", "jax-data-parallel"])
def test_one_training_step_on_two_devices(mode, tmp_path):
    out = tmp_path / "result.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, str(WORKER), mode, MODEL, str(out)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(out.read_text())
    assert result["replicas"] == 2
    assert math.isfinite(result["loss"])
    assert result["replicas_agree"]
