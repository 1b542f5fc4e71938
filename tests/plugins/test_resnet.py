"""ResNet's, ResNetV2's and ResNeXt's own behaviour; equivalence with the references is test_equivalence.py's.

One 50-layer model of each kind stands for its kind: the feature stages and
their strides, channels_first (a departure for ResNeXt, whose reference only
builds channels_last), each Keras module's preprocessing, the ResNeXt `.keras`
round trip at unknown height and width (which the reference cannot even
build), and a new head on a pretrained backbone.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import math  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from registry_resnet import resnet, resnet50, resnet_v2, resnext  # noqa: E402

from registry_core import TOP, WeightsMismatchError, registry  # noqa: E402
from registry_core._decode import decode_predictions  # noqa: E402

from .references import LEGACY_WRITERS  # noqa: E402

SIZE = 64
# ResNetV2 downsamples in the last block of a stage, so its stages conv2..conv4
# end one stride later than ResNet's; its conv5 is the normalized `post_relu`.
STRIDES = {
    "resnet50": {"conv2": 4, "conv3": 8, "conv4": 16, "conv5": 32},
    "resnet50_v2": {"conv2": 8, "conv3": 16, "conv4": 32, "conv5": 32},
    "resnext50": {"conv2": 4, "conv3": 8, "conv4": 16, "conv5": 32},
}
MODULES = {"resnet50": resnet50, "resnet": resnet, "resnet_v2": resnet_v2, "resnext": resnext}
MODES = {"resnet50": "caffe", "resnet": "caffe", "resnet_v2": "tf", "resnext": "torch"}

# One worker builds this module's models once (its fixtures are module-scoped).
pytestmark = pytest.mark.xdist_group("resnet-family")


def _images(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (1, *shape)).astype("float32")


@pytest.fixture(scope="module", params=list(STRIDES))
def no_top(request):
    """(name, model without top at SIZE x SIZE, random weights), one kind at a time."""
    name = request.param
    yield name, registry.get(name)(include_top=False, weights=None, input_shape=(SIZE, SIZE, 3))
    keras.backend.clear_session()


def test_feature_stages_tap_each_stage_at_its_stride(no_top):
    name, model = no_top
    stages = registry.info(name).feature_stages
    sizes = {stage: model.get_layer(layer).output.shape[1] for stage, layer in stages.items()}
    assert sizes == {stage: SIZE // stride for stage, stride in STRIDES[name].items()}
    assert model.get_layer(stages["conv5"]).output is model.outputs[0]


def test_channels_first_matches_channels_last(no_top, channels_first_config):
    name, last = no_top
    first = registry.get(name)(include_top=False, weights=None, input_shape=(3, SIZE, SIZE))
    assert [layer.name for layer in first.layers[1:]] == [layer.name for layer in last.layers[1:]]
    first.set_weights(last.get_weights())
    x = _images(SIZE, SIZE, 3)
    expected = np.asarray(last(x, training=False))
    got = np.asarray(first(x.transpose(0, 3, 1, 2), training=False)).transpose(0, 2, 3, 1)
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(got / scale, expected / scale, rtol=0, atol=1e-5)


@pytest.mark.parametrize("module", list(MODULES))
def test_each_module_preprocesses_in_its_mode(module):
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, 5, 3)).astype("float32")
    expected = keras.applications.imagenet_utils.preprocess_input(x.copy(), mode=MODES[module])
    np.testing.assert_array_equal(MODULES[module].preprocess_input(x), expected)
    assert MODULES[module].decode_predictions is decode_predictions


@pytest.mark.parametrize("spec", [s for s in registry.specs() if s.family == "resnet"], ids=lambda s: s.name)
def test_spec_preprocessing_is_its_modules(spec):
    module = spec.builder.partition(":")[0].rpartition(".")[2]
    assert spec.preprocessing == MODES[module]


def test_resnext_keras_file_reloads_at_any_size_in_a_fresh_process(tmp_path):
    """Unknown height and width, no top: saved here, reloaded by `registry.load_model` in a process
    that never imported the architecture (Keras alone would not find `GroupSum` there)."""
    model = resnext.ResNeXt50(include_top=False, weights=None)
    assert model.input_shape == (None, None, None, 3)
    path = tmp_path / "resnext50.keras"
    model.save(path)
    inputs = {"square": _images(32, 32, 3), "odd": _images(45, 61, 3, seed=1)}
    np.savez(tmp_path / "inputs.npz", **inputs)
    script = textwrap.dedent("""
        import sys
        import numpy as np
        from registry_core import registry
        assert "registry_resnet.resnext" not in sys.modules
        model = registry.load_model(sys.argv[1])
        inputs = np.load(sys.argv[2])
        np.savez(sys.argv[3], **{k: np.asarray(model(inputs[k], training=False)) for k in inputs.files})
    """)
    out = tmp_path / "outputs.npz"
    proc = subprocess.run([sys.executable, "-c", script, str(path), str(tmp_path / "inputs.npz"), str(out)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-4000:]
    with np.load(out) as reloaded:
        for key, x in inputs.items():
            expected = np.asarray(model(x, training=False))
            assert reloaded[key].shape == expected.shape == (1, *(math.ceil(s / 32) for s in x.shape[1:3]), 2048)
            np.testing.assert_allclose(reloaded[key], expected, rtol=1e-6, atol=1e-6)


@pytest.fixture(scope="module")
def resnext_legacy(tmp_path_factory):
    """A ResNeXt50 `.h5` with its 1000-class top, written by the reference (the official layout)."""
    writer = LEGACY_WRITERS["resnext50"](weights=None)
    path = tmp_path_factory.mktemp("resnext-legacy") / "resnext50.h5"
    writer.save_weights(str(path))
    arrays = {layer.name: layer.get_weights() for layer in writer.layers if layer.weights}
    del writer
    return path, arrays


def test_new_head_on_a_pretrained_backbone(resnext_legacy, loopback_registry):
    path, arrays = resnext_legacy
    model = loopback_registry("resnext50", {TOP: path}).get("resnext50")(weights="imagenet", classes=10)
    classifier = model.get_layer("probs")
    assert classifier.kernel.shape == (2048, 10)
    loaded = [layer for layer in model.layers if layer.weights and layer is not classifier]
    assert [layer.name for layer in loaded] == [name for name in arrays if name != "probs"]
    for layer in loaded:
        for got, expected in zip(layer.get_weights(), arrays[layer.name], strict=True):
            np.testing.assert_array_equal(got, expected)


def test_new_head_needs_a_pretrained_tag_not_a_path(resnext_legacy):
    """With a path, a classifier of another width is a mismatch, as in Keras: files may hold any head."""
    path, _ = resnext_legacy
    with pytest.raises(WeightsMismatchError, match="'probs'"):
        resnext.ResNeXt50(weights=str(path), classes=10)
