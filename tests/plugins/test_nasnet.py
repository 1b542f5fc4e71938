"""NASNet's own behaviour; equivalence with keras.applications is test_equivalence.py's.

The input rules at the boundary with real builds, channels_first (Keras
refuses it), and the feature stages of NASNetMobile. The headline,
`registry.get("nasnet_large")(weights="imagenet")` end to end against the
loopback weight server, is the harness's
`test_imagenet_through_the_loopback_store[nasnet_large]`, which shares the
session's one NASNetLarge build.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from registry_nasnet import nasnet  # noqa: E402

from registry_core import InputShapeError, plan_input, registry  # noqa: E402

# NASNetMobile's stages at its default 224.
STAGE_SIZES = [111, 56, 28, 14, 7]


@pytest.fixture(scope="module")
def mobile_no_top():
    """NASNetMobile without top, random weights, input shape left unset."""
    return nasnet.NASNetMobile(include_top=False, weights=None)


def test_unset_no_top_shape_is_the_default_size(mobile_no_top):
    assert mobile_no_top.input_shape == (None, 224, 224, 3)


def test_stages_tap_each_resolution_and_the_output(mobile_no_top):
    stages = registry.info("nasnet_mobile").feature_stages
    assert list(stages) == ["stride2", "stride4", "stride8", "stride16", "stride32"]
    assert [mobile_no_top.get_layer(layer).output.shape[1] for layer in stages.values()] == STAGE_SIZES
    assert mobile_no_top.get_layer("activation_187").output is mobile_no_top.outputs[0]


def test_channels_first_matches_channels_last(mobile_no_top, channels_first_config):
    first = nasnet.NASNetMobile(include_top=False, weights=None)
    assert first.input_shape == (None, 3, 224, 224)
    assert [l.name for l in first.layers[1:]] == [l.name for l in mobile_no_top.layers[1:]]
    first.set_weights(mobile_no_top.get_weights())
    x = np.random.default_rng(0).uniform(-1, 1, (1, 224, 224, 3)).astype("float32")
    expected = mobile_no_top.predict(x, verbose=0)
    got = first.predict(x.transpose(0, 3, 1, 2), verbose=0)
    np.testing.assert_allclose(got.transpose(0, 2, 3, 1), expected, rtol=1e-4, atol=1e-5)


def test_smallest_input_without_top():
    with pytest.raises(InputShapeError, match="at least 32"):
        nasnet.NASNetMobile(include_top=False, weights=None, input_shape=(31, 32, 3))
    model = nasnet.NASNetMobile(include_top=False, weights=None, input_shape=(32, 32, 3), pooling="avg")
    assert model.predict(np.zeros((1, 32, 32, 3), "float32"), verbose=0).shape == (1, 1056)


@pytest.mark.parametrize("kwargs", [
    lambda: {"input_shape": (None, None, 3)},
    lambda: {"input_tensor": keras.Input((None, 64, 3))},
], ids=["input_shape", "input_tensor"])
def test_unknown_height_or_width_is_refused(kwargs):
    with pytest.raises(InputShapeError, match="known height and width"):
        nasnet.NASNetMobile(include_top=False, weights=None, **kwargs())


def test_preprocess_input_is_tf_mode():
    x = np.array([[[0.0, 127.5, 255.0]]])
    np.testing.assert_allclose(nasnet.preprocess_input(x), [[[-1.0, 0.0, 1.0]]])


@pytest.mark.parametrize("name, size", [("nasnet_mobile", 224), ("nasnet_large", 331)])
def test_pretrained_top_needs_the_default_input_shape(name, size, tmp_cache, monkeypatch):
    # Offline, so a rule that let the call through would fail on the download instead.
    monkeypatch.setenv("REGISTRY_OFFLINE", "1")
    builder = getattr(nasnet, registry.info(name).aliases[0])
    with pytest.raises(InputShapeError, match=rf"must be \({size}, {size}, 3\).*Received: input_shape=\(224, 225, 3\)"):
        builder(weights="imagenet", input_shape=(224, 225, 3))


def test_pretrained_top_takes_an_input_tensor_of_another_size():
    spec = registry.info("nasnet_mobile")
    plan = plan_input(spec, include_top=True, weights="imagenet", input_shape=None,
                      input_tensor_shape=(160, 160, 3), pooling=None, classes=1000)
    assert plan.pretrained == "imagenet" and not plan.new_head
    model = nasnet.NASNetMobile(weights=None, input_tensor=keras.Input((160, 160, 3)))
    assert model.output_shape == (None, 1000)
