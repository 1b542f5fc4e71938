"""Xception's own behaviour; equivalence with keras.applications is test_equivalence.py's.

Every layer (not only the weighted ones) against a reference built in a fresh
session, ours built after it so that Keras' counter has moved on (the
projections and sums are left to it); the feature stages; channels_first
(which Keras 3 builds too, though the seeds call Xception channels_last only);
the minimum size at the boundary with real builds; the preprocessing.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import gc  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from registry_xception import xception  # noqa: E402

from registry_core import InputShapeError, registry  # noqa: E402
from registry_core._decode import decode_predictions  # noqa: E402

from .layer_checks import assert_channels_first_matches, assert_same_layers, stage_sizes  # noqa: E402
from .references import REFERENCES  # noqa: E402

MIN_SIZE = 71
STAGES = registry.info("xception").feature_stages
# The stages' spatial sizes at the default 299 and at the minimum 71.
STAGE_SIZES = {299: [147, 74, 37, 19, 10], MIN_SIZE: [33, 17, 9, 5, 3]}

pytestmark = pytest.mark.xdist_group("xception")


@pytest.fixture(scope="module")
def full():
    """(ours, reference) with top and random weights; the reference built in a fresh session, ours after it."""
    reference = REFERENCES["xception"](weights=None)
    yield xception.Xception(weights=None), reference
    keras.backend.clear_session()
    gc.collect()


@pytest.fixture(scope="module")
def smallest():
    return xception.Xception(include_top=False, weights=None, input_shape=(MIN_SIZE, MIN_SIZE, 3))


def test_every_layer_matches_the_fresh_reference(full):
    assert_same_layers(*full)


def test_feature_stages_tap_each_resolution(full):
    ours, _ = full
    assert list(STAGES) == ["stride2", "stride4", "stride8", "stride16", "stride32"]
    assert stage_sizes(ours, STAGES) == STAGE_SIZES[299]
    assert ours.get_layer("avg_pool").input is ours.get_layer(STAGES["stride32"]).output


def test_channels_first_matches_channels_last(smallest):
    assert stage_sizes(smallest, STAGES) == STAGE_SIZES[MIN_SIZE]
    assert_channels_first_matches(
        smallest, lambda: xception.Xception(include_top=False, weights=None, input_shape=(3, MIN_SIZE, MIN_SIZE)),
        list(STAGES.values()),
    )


def test_minimum_size_builds_as_the_reference_does(smallest):
    reference = REFERENCES["xception"](include_top=False, weights=None, input_shape=(MIN_SIZE, MIN_SIZE, 3))
    assert smallest.output.shape == reference.output.shape
    out = np.asarray(smallest(np.zeros((1, MIN_SIZE, MIN_SIZE, 3), "float32")))
    assert out.shape == (1, *smallest.output.shape[1:])


@pytest.mark.parametrize("below", [(MIN_SIZE - 1, MIN_SIZE, 3), (MIN_SIZE, MIN_SIZE - 1, 3)],
                         ids=["height", "width"])
def test_below_the_minimum_size_is_refused_as_the_reference_does(below):
    with pytest.raises(ValueError, match=str(MIN_SIZE)):
        REFERENCES["xception"](include_top=False, weights=None, input_shape=below)
    with pytest.raises(InputShapeError, match=f"at least {MIN_SIZE}"):
        xception.Xception(include_top=False, weights=None, input_shape=below)


def test_preprocessing_is_tf_mode():
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, 5, 3)).astype("float32")
    expected = keras.applications.imagenet_utils.preprocess_input(x.copy(), mode="tf")
    np.testing.assert_allclose(xception.preprocess_input(x), expected, rtol=1e-6)
    assert xception.decode_predictions is decode_predictions
