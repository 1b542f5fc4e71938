"""Every model on every Keras backend, in both data formats (issue 10).

The oracle is the reference itself: tf_keras builds each model (the way the
official files were written), its constant weights are made random (a fresh
BatchNormalization computes the same on any axis, so a wrong channel axis
would go unseen), the weights are saved as a legacy `.h5`, and the
reference's output for a random batch is recorded. Each backend then builds
our model from that file in a subprocess of its own (`backend_worker.py`),
in channels_last and in channels_first (transposed input, the Keras module's
`preprocess_input` applied to a backend tensor), and must give the
reference's output within 1e-4 of its largest magnitude.

Models are built without top, so the whole last feature map is compared,
except where the top depends on the data format: a Flatten top (VGG) must
see the features in the order the official channels_last weights expect.

CI covers one model per family; REGISTRY_ALL_BACKENDS=1 (`make
test-backends`) covers all twenty. Generated files are written and removed
in chunks of about 1 GB, within the suite's disk budget.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from registry_core import registry

from .references import LEGACY_WRITERS

pytestmark = pytest.mark.xdist_group("backends")

ONE_PER_FAMILY = ("vgg16", "resnet50", "inception_v3", "xception", "mobilenet", "densenet121",
                  "nasnet_mobile")
BACKENDS = ("tensorflow", "jax", "torch")
FORMATS = ("channels_last", "channels_first")
# The last feature maps are 2x2 at 64, so the order VGG's Flatten sees matters;
# models with a larger minimum are built at their minimum.
SIZE = 64
CLASSES = 10
CHUNK_BYTES = 1 << 30
TIMEOUT = 1800
WORKER = Path(__file__).with_name("backend_worker.py")
#: For test speed only: XLA's CPU compiler at its lowest optimization level
#: compiles these models several times faster, with the same results.
BACKEND_ENV = {
    "jax": {"JAX_PLATFORMS": "cpu",
            "XLA_FLAGS": "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"},
}


def _models() -> list[str]:
    installed = registry.list()
    wanted = installed if os.environ.get("REGISTRY_ALL_BACKENDS") == "1" else ONE_PER_FAMILY
    return [m for m in wanted if m in installed and m in LEGACY_WRITERS]


@dataclass
class Results:
    """The reference's output per model; ours per (backend, model, format), or why there is none."""

    expected: dict[str, np.ndarray] = field(default_factory=dict)
    got: dict[tuple[str, str, str], np.ndarray | str] = field(default_factory=dict)


def _randomize_constants(weights: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Arrays holding one value (fresh biases, scales, statistics) get +-0.2 of noise around it."""
    return [w + rng.uniform(-0.2, 0.2, w.shape).astype(w.dtype) if w.size and np.all(w == w.flat[0]) else w
            for w in weights]


def _write_case(name: str, folder: Path, rng: np.random.Generator) -> tuple[dict, np.ndarray]:
    """Write the reference's legacy `.h5` and an input batch; the case for the workers and the expected output."""
    import tf_keras

    tf_keras.utils.set_random_seed(0)  # the reference's initial weights, so a run can be repeated
    spec = registry.info(name)
    size = max(spec.min_size, SIZE)
    top = spec.flatten_top
    head = {"classes": CLASSES, "classifier_activation": None} if top else {}
    writer = LEGACY_WRITERS[name](weights=None, include_top=top, input_shape=(size, size, 3), **head)
    writer.set_weights(_randomize_constants(writer.get_weights(), rng))
    h5, batch = folder / f"{name}.h5", folder / f"{name}.npy"
    writer.save_weights(str(h5))
    x = rng.uniform(0, 255, (1, size, size, 3)).astype("float32")
    np.save(batch, x)
    preprocess = importlib.import_module(spec.builder.partition(":")[0]).preprocess_input
    expected = np.asarray(writer(preprocess(x, data_format="channels_last"), training=False))
    case = {"model": name, "h5": str(h5), "input": str(batch), "include_top": top, "classes": CLASSES}
    return case, expected


def _run_workers(cases: list[dict], folder: Path, results: Results) -> None:
    """One worker per backend on `cases`, all at once; their outputs, or failures, into `results`."""
    (folder / "cases.json").write_text(json.dumps(cases))
    running = {}
    for backend in BACKENDS:
        out = folder / backend
        out.mkdir()
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", **BACKEND_ENV.get(backend, {})}
        with open(folder / f"{backend}.log", "w") as log:
            running[backend] = subprocess.Popen(
                [sys.executable, str(WORKER), str(folder / "cases.json"), str(out)],
                env=env, stdout=subprocess.DEVNULL, stderr=log,
            )
    for backend, proc in running.items():
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log = (folder / f"{backend}.log").read_text()[-4000:]
        failure = f"the {backend} worker exited with status {proc.returncode} before this case:\n{log}"
        ran_on = folder / backend / "backend"  # what Keras said it ran on, written at the end
        wrong = ran_on.exists() and ran_on.read_text() != backend
        for case in cases:
            for data_format in FORMATS:
                output, error = (folder / backend / f'{case["model"]}.{data_format}{ext}' for ext in (".npy", ".err"))
                results.got[backend, case["model"], data_format] = (
                    f"the {backend} worker ran on Keras' {ran_on.read_text()} backend" if wrong
                    else np.load(output) if output.exists() else error.read_text() if error.exists() else failure
                )


def _chunks(models: list[str], folder: Path, results: Results) -> Iterator[list[dict]]:
    """Write cases until about CHUNK_BYTES are on disk, yield them; the caller then removes the files."""
    rng = np.random.default_rng(0)
    cases: list[dict] = []
    for name in models:
        case, results.expected[name] = _write_case(name, folder, rng)
        cases.append(case)
        if sum(Path(c["h5"]).stat().st_size for c in cases) >= CHUNK_BYTES:
            yield cases
            cases = []
    if cases:
        yield cases


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    results, root = Results(), tmp_path_factory.mktemp("backends")
    for n, cases in enumerate(_chunks(_models(), root, results)):
        folder = root / f"chunk{n}"
        folder.mkdir()
        try:
            _run_workers(cases, folder, results)
        finally:
            for case in cases:
                Path(case["h5"]).unlink()
                Path(case["input"]).unlink()
    return results


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("model", _models())
def test_output_matches_the_reference(results, model, backend, data_format):
    got, expected = results.got[backend, model, data_format], results.expected[model]
    if isinstance(got, str):
        pytest.fail(f"{model} on {backend} in {data_format} failed:\n{got}")
    assert got.shape == expected.shape
    scale = max(float(np.abs(expected).max()), 1e-30)
    np.testing.assert_allclose(got / scale, expected / scale, rtol=0, atol=1e-4)
