"""The example plugin's own tests: what a third party checks about its plugin.

They use only the public registry-core API and the installed entry point;
nothing in the core knows this plugin exists.
"""

from __future__ import annotations

import numpy as np
import pytest

from registry_core import InputShapeError, InvalidArgumentError, Registry, registry
from registry_tinynet import _plugin


def test_found_through_its_entry_point():
    info = {p.name: p for p in registry.plugins()}["tinynet"]
    assert info.distribution == "registry-tinynet" and info.error is None
    assert info.models == ("tiny_convnet",)
    assert registry.list(family="tinynet") == ["tiny_convnet"]
    assert registry.info("TINYCONVNET") is _plugin.SPEC


def test_registers_alone_without_entry_points():
    reg = Registry(plugins=[_plugin], entry_points=False)
    assert reg.list() == ["tiny_convnet"] and reg.families() == ["tinynet"]


@pytest.fixture(scope="module")
def model():
    return registry.get("tiny_convnet")(input_shape=(64, 64, 3))


def test_builds_and_predicts(model):
    assert model.count_params() == _plugin.SPEC.metadata.parameters
    out = model.predict(np.random.default_rng(0).random((1, 64, 64, 3), dtype=np.float32), verbose=0)
    assert out.shape == (1, 1000)
    np.testing.assert_allclose(out.sum(), 1.0, rtol=1e-5)


def test_feature_stages_name_real_layers(model):
    names = {layer.name for layer in model.layers}
    assert set(_plugin.SPEC.feature_stages.values()) <= names


def test_weights_file_round_trip(model, tmp_path):
    path = tmp_path / "tiny.weights.h5"
    model.save_weights(path)
    again = registry.get("TinyConvNet")(weights=path, input_shape=(64, 64, 3))
    for a, b in zip(model.weights, again.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_core_rules_apply_to_the_plugin():
    build = registry.get("tiny_convnet")
    with pytest.raises(InputShapeError, match="at least 32"):
        build(include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(InvalidArgumentError, match="available: none"):
        build(weights="imagenet")
    headless = build(include_top=False, pooling="avg", input_shape=(40, 48, 1))
    assert tuple(headless.output.shape) == (None, 64)
