"""Every registered model against its reference (keras.applications, or
keras_applications 1.0.8 with tf_keras for ResNeXt).

Parametrized over the registry: a family only adds a row to
`references.REFERENCES`. For each model:

1. the parameter count equals the reference's and the newer seed's table;
2. the weighted layers match the reference's in order, names and shapes;
3. with the reference's weights copied in, outputs agree within 1e-5 with
   the top, and without it for pooling None, "avg" and "max" (features and
   logits: 1e-5 of their largest magnitude);
4. a legacy `.h5` written by the tf_keras reference loads through
   `weights=<path>` and reproduces the writer's outputs;
5. `weights="imagenet"` goes end to end through the real store: that file,
   served from loopback under the official name with its own md5, is
   downloaded, verified, cached and loaded;
6. the model survives a `.keras` round trip with identical outputs;

and the spec's feature stages name layers of the model, at falling
resolutions, the last one its output without top.

Each model's builds are made once (a module-scoped fixture per model, one
xdist group per model) and dropped before the next model's.
"""

from __future__ import annotations

import functools
import gc
import shutil
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

from registry_core import TOP, registry

from .references import LEGACY_WRITERS, REFERENCES

MODELS = [m for m in registry.list() if m in REFERENCES]
# Without top, every model is compared at a small odd size: odd sizes are
# where padding rules differ, and small ones keep the suite inside its budget.
NO_TOP_SIZE = 99


def _rng_input(size: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (1, size, size, 3)).astype("float32")


def _weighted(model: Any) -> list[Any]:
    return [layer for layer in model.layers if layer.weights]


def _copy_weights(source: Any, target: Any) -> None:
    for src, dst in zip(_weighted(source), _weighted(target), strict=True):
        dst.set_weights(src.get_weights())


def _predict(model: Any, x: np.ndarray) -> np.ndarray:
    return np.asarray(model(x, training=False))


class Outputs(NamedTuple):
    probs: np.ndarray
    logits: np.ndarray


def _outputs(model: Any, x: np.ndarray) -> Outputs:
    """The top's output, and the same call with the top's activation (softmax) off.

    Random weights leave the softmax near uniform: MobileNetV2's within 1e-9 of
    1/1000, so a model that loaded nothing matches within 1e-5. The logits,
    compared relative to their largest magnitude, show any difference. Works
    for the tf_keras writers too (their Dense and Activation layers read
    `activation` when called).
    """
    probs = _predict(model, x)
    top = model.layers[-1]
    activation, top.activation = top.activation, (lambda t: t)
    try:
        logits = _predict(model, x)
    finally:
        top.activation = activation
    return Outputs(probs, logits)


def _assert_features_close(got: np.ndarray, expected: np.ndarray) -> None:
    assert got.shape == expected.shape
    scale = max(float(np.abs(expected).max()), 1e-30)
    np.testing.assert_allclose(got / scale, expected / scale, rtol=0, atol=1e-5)


def _assert_outputs_close(got: Outputs, expected: Outputs) -> None:
    assert got.probs.shape == expected.probs.shape == (1, 1000)
    np.testing.assert_allclose(got.probs, expected.probs, rtol=0, atol=1e-5)
    _assert_features_close(got.logits, expected.logits)


class Case:
    """The builds of one model, each made on first use and kept for the module."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.spec = registry.info(name)
        self.build = registry.get(name)
        self.workdir = workdir
        self.reference = REFERENCES[name]
        size = self.spec.default_size
        self.x_top = _rng_input(size)
        self.x_no_top = _rng_input(NO_TOP_SIZE, seed=1)
        self._no_top: dict[str | None, Any] = {}

    def no_top_shape(self) -> tuple[int, int, int]:
        return (NO_TOP_SIZE, NO_TOP_SIZE, 3)

    @functools.cached_property
    def ref_top(self) -> Any:
        return self.reference(weights=None)

    @functools.cached_property
    def ours_top(self) -> Any:
        model = self.build(weights=None)
        _copy_weights(self.ref_top, model)
        return model

    @functools.cached_property
    def ref_no_top(self) -> Any:
        return self.reference(weights=None, include_top=False, input_shape=self.no_top_shape())

    def ours_no_top(self, pooling: str | None) -> Any:
        # Kept on the instance, not in a functools cache: a class-level cache
        # would keep every model of every case alive for the whole session.
        if pooling not in self._no_top:
            model = self.build(weights=None, include_top=False, input_shape=self.no_top_shape(), pooling=pooling)
            _copy_weights(self.ref_no_top, model)
            self._no_top[pooling] = model
        return self._no_top[pooling]

    @functools.cached_property
    def ref_top_out(self) -> Outputs:
        return _outputs(self.ref_top, self.x_top)

    @functools.cached_property
    def ref_no_top_out(self) -> np.ndarray:
        return np.asarray(self.ref_no_top.predict(self.x_no_top, verbose=0))

    @functools.cached_property
    def legacy(self) -> tuple[Path, Outputs]:
        """A legacy `.h5` with top written by the tf_keras reference, and its outputs."""
        writer = LEGACY_WRITERS[self.name](weights=None)
        path = self.workdir / f"{self.name}_legacy.h5"
        writer.save_weights(str(path))
        out = _outputs(writer, self.x_top)
        del writer
        gc.collect()
        return path, out


@pytest.fixture(scope="module", params=[pytest.param(m, marks=pytest.mark.xdist_group(f"eq-{m}")) for m in MODELS])
def case(request) -> Any:
    workdir = Path(tempfile.mkdtemp(prefix=f"equivalence-{request.param}-"))
    built = Case(request.param, workdir)
    yield built
    built.__dict__.clear()  # the builds go now, not when pytest drops its last reference
    shutil.rmtree(workdir, ignore_errors=True)
    import keras

    keras.backend.clear_session()
    gc.collect()


def test_parameter_count(case):
    expected = case.spec.metadata.parameters
    assert case.ref_top.count_params() == expected
    assert case.ours_top.count_params() == expected


def test_weighted_layers(case):
    def summary(model):
        return [(layer.name, [tuple(w.shape) for w in layer.weights]) for layer in _weighted(model)]

    assert summary(case.ours_top) == summary(case.ref_top)
    assert summary(case.ours_no_top(None)) == summary(case.ref_no_top)


def test_feature_stages_tap_falling_resolutions_up_to_the_output(case):
    model = case.ours_no_top(None)
    layers = list(case.spec.feature_stages.values())
    assert layers, "the spec names no feature stages"
    sizes = [model.get_layer(layer).output.shape[1] for layer in layers]
    assert NO_TOP_SIZE > sizes[0] and sizes == sorted(sizes, reverse=True), sizes
    assert model.get_layer(layers[-1]).output is model.outputs[0]


def test_outputs_with_top(case):
    _assert_outputs_close(_outputs(case.ours_top, case.x_top), case.ref_top_out)


@pytest.mark.parametrize("pooling", [None, "avg", "max"])
def test_outputs_without_top(case, pooling):
    expected = case.ref_no_top_out
    if pooling == "avg":
        expected = expected.mean(axis=(1, 2))
    elif pooling == "max":
        expected = expected.max(axis=(1, 2))
    _assert_features_close(_predict(case.ours_no_top(pooling), case.x_no_top), expected)


def test_legacy_h5_through_weights_path(case):
    path, expected = case.legacy
    model = case.build(weights=str(path))
    _assert_outputs_close(_outputs(model, case.x_top), expected)


def test_imagenet_through_the_loopback_store(case, loopback_registry, weight_server, tmp_cache):
    path, expected = case.legacy
    variants = case.spec.weights["imagenet"]
    files = {TOP: path} if TOP in variants else {"*": path}
    reg = loopback_registry(case.name, files)
    served = [wf.file_name for wf in reg.info(case.name).weights["imagenet"].values()]
    before = {name: weight_server.count(name) for name in served}

    model = reg.get(case.name)(weights="imagenet")

    fetched = [name for name in served if weight_server.count(name) > before[name]]
    assert len(fetched) == 1, f"expected one download, got {fetched}"
    assert any(tmp_cache.rglob(fetched[0])), "the verified file is not in the cache"
    if TOP in variants:
        assert fetched == [variants[TOP].file_name]
    _assert_outputs_close(_outputs(model, case.x_top), expected)


def test_keras_round_trip(case):
    import keras

    path = case.workdir / f"{case.name}.keras"
    case.ours_top.save(path)
    reloaded = keras.models.load_model(path)
    path.unlink()
    for got, expected in zip(_outputs(reloaded, case.x_top), _outputs(case.ours_top, case.x_top), strict=True):
        np.testing.assert_array_equal(got, expected)

