"""InceptionV3's and InceptionResNetV2's own behaviour; equivalence with keras.applications is test_equivalence.py's.

Every layer (not only the weighted ones) against a reference built in a fresh
session, ours built after it so that Keras' counter has moved on; the scaled
residual sums; the feature stages; channels_first; the minimum size at the
boundary with real builds; the registered scaled-residual layer through a
`.keras` file; the preprocessing.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import functools  # noqa: E402
import gc  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from registry_inception import inception_resnet_v2, inception_v3  # noqa: E402
from registry_inception.inception_resnet_v2 import CustomScaleLayer  # noqa: E402

from registry_core import InputShapeError, registry  # noqa: E402
from registry_core._decode import decode_predictions  # noqa: E402

from .layer_checks import assert_channels_first_matches, assert_same_layers, stage_sizes  # noqa: E402
from .references import REFERENCES  # noqa: E402

MODELS = ("inception_v3", "inception_resnet_v2")
MIN_SIZE = 75
# The stages' spatial sizes at the default 299 and at the minimum 75.
STAGE_SIZES = {299: [147, 71, 35, 17, 8], MIN_SIZE: [35, 15, 7, 3, 1]}


class Case:
    """One model's builds, each made on first use and kept for the module."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.build = registry.get(name)
        self.stages = registry.info(name).feature_stages

    @functools.cached_property
    def reference(self):
        """With top and random weights, built in a fresh session."""
        return REFERENCES[self.name](weights=None)

    @functools.cached_property
    def ours(self):
        """With top and random weights, built after the reference: Keras' counter has moved on."""
        assert self.reference is not None
        return self.build(weights=None)

    @functools.cached_property
    def smallest(self):
        """Without top at the minimum size."""
        return self.build(include_top=False, weights=None, input_shape=(MIN_SIZE, MIN_SIZE, 3))


@pytest.fixture(scope="module", params=[pytest.param(m, marks=pytest.mark.xdist_group(f"inception-{m}"))
                                        for m in MODELS])
def case(request):
    yield Case(request.param)
    keras.backend.clear_session()
    gc.collect()


def test_every_layer_matches_the_fresh_reference(case):
    assert_same_layers(case.ours, case.reference)


def test_scaled_residuals_are_ours_with_the_references_scales(case):
    scales = [layer.scale for layer in case.reference.layers if type(layer).__name__ == "CustomScaleLayer"]
    assert [layer.scale for layer in case.ours.layers if isinstance(layer, CustomScaleLayer)] == scales
    assert len(scales) == (40 if case.name == "inception_resnet_v2" else 0)


def test_feature_stages_tap_each_resolution(case):
    assert list(case.stages) == ["stride2", "stride4", "stride8", "stride16", "stride32"]
    assert stage_sizes(case.ours, case.stages) == STAGE_SIZES[299]
    assert stage_sizes(case.smallest, case.stages) == STAGE_SIZES[MIN_SIZE]
    assert case.ours.get_layer("avg_pool").input is case.ours.get_layer(case.stages["stride32"]).output


def test_channels_first_matches_channels_last(case):
    assert_channels_first_matches(
        case.smallest, lambda: case.build(include_top=False, weights=None, input_shape=(3, MIN_SIZE, MIN_SIZE)),
        list(case.stages.values()),
    )


def test_minimum_size_builds_as_the_reference_does(case):
    reference = REFERENCES[case.name](include_top=False, weights=None, input_shape=(MIN_SIZE, MIN_SIZE, 3))
    ours = case.smallest
    assert ours.output.shape == reference.output.shape
    assert np.asarray(ours(np.zeros((1, MIN_SIZE, MIN_SIZE, 3), "float32"))).shape == (1, *ours.output.shape[1:])


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("below", [(MIN_SIZE - 1, MIN_SIZE, 3), (MIN_SIZE, MIN_SIZE - 1, 3)],
                         ids=["height", "width"])
def test_below_the_minimum_size_is_refused_as_the_reference_does(name, below):
    with pytest.raises(ValueError, match=str(MIN_SIZE)):
        REFERENCES[name](include_top=False, weights=None, input_shape=below)
    with pytest.raises(InputShapeError, match=f"at least {MIN_SIZE}"):
        registry.get(name)(include_top=False, weights=None, input_shape=below)


def test_scaled_residual_reloads_from_a_keras_file(tmp_path):
    inputs = [keras.Input((4, 4, 2)), keras.Input((4, 4, 2))]
    model = keras.Model(inputs, CustomScaleLayer(0.17, name="custom_scale_layer")(inputs))
    model.save(tmp_path / "scaled.keras")

    reloaded = keras.models.load_model(tmp_path / "scaled.keras")  # safe mode, no custom objects

    layer = reloaded.get_layer("custom_scale_layer")
    assert type(layer) is CustomScaleLayer and layer.scale == 0.17
    shortcut, residual = np.random.default_rng(0).normal(size=(2, 1, 4, 4, 2)).astype("float32")
    np.testing.assert_allclose(np.asarray(reloaded([shortcut, residual])), shortcut + 0.17 * residual, rtol=1e-6)


@pytest.mark.parametrize("module", [inception_v3, inception_resnet_v2], ids=MODELS)
def test_preprocessing_is_tf_mode(module):
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, 5, 3)).astype("float32")
    expected = keras.applications.imagenet_utils.preprocess_input(x.copy(), mode="tf")
    np.testing.assert_allclose(module.preprocess_input(x), expected, rtol=1e-6)
    assert module.decode_predictions is decode_predictions
