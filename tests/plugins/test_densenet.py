"""DenseNet's own behaviour; DenseNet121/169/201's equivalence is test_equivalence.py's.

The generic `DenseNet(blocks)` builder against Keras' (parameters, every
layer, outputs), channels_first (Keras refuses it; the seeds promise it),
the feature stages, and the arguments the generic builder refuses.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from registry_densenet import densenet  # noqa: E402

from registry_core import InvalidArgumentError, registry  # noqa: E402

from .layer_checks import assert_channels_first_matches, assert_same_layers, stage_sizes  # noqa: E402

BLOCKS = [2, 4, 6, 3]
SIZE = 64


@pytest.fixture(scope="module")
def small():
    """Keras' generic DenseNet with BLOCKS and ours, ours holding the reference's weights."""
    import keras
    from keras.src.applications.densenet import DenseNet

    keras.backend.clear_session()
    kwargs = {"weights": None, "input_shape": (SIZE, SIZE, 3), "classifier_activation": None}
    reference = DenseNet(BLOCKS, **kwargs)
    ours = densenet.DenseNet(blocks=BLOCKS, **kwargs)
    ours.set_weights(reference.get_weights())
    return ours, reference


@pytest.mark.xdist_group("densenet-small")
def test_generic_builder_equals_keras(small):
    ours, reference = small
    assert ours.name == reference.name == "densenet"
    assert ours.count_params() == reference.count_params()
    assert_same_layers(ours, reference)
    x = np.random.default_rng(0).uniform(-1, 1, (1, SIZE, SIZE, 3)).astype("float32")
    expected = np.asarray(reference(x, training=False))
    np.testing.assert_allclose(np.asarray(ours(x, training=False)), expected, rtol=0,
                               atol=1e-5 * max(1.0, float(np.abs(expected).max())))


@pytest.mark.xdist_group("densenet-small")
def test_channels_first_matches_channels_last(small):
    ours, _ = small
    rng = np.random.default_rng(1)
    # Random batch-norm statistics, so the check covers them in the other layout too.
    ours.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") if "moving" in w.path else w.numpy()
                      for w in ours.weights])
    assert_channels_first_matches(
        ours,
        lambda: densenet.DenseNet(blocks=BLOCKS, weights=None, input_shape=(3, SIZE, SIZE), classifier_activation=None),
        ["conv1_relu", "conv2_block2_concat", "pool3_pool", "conv5_block3_concat", "relu"],
    )


def test_stages_tap_each_resolution():
    model = densenet.DenseNet121(include_top=False, weights=None, input_shape=(SIZE, SIZE, 3))
    stages = registry.info("densenet121").feature_stages
    assert list(stages) == ["stride2", "stride4", "stride8", "stride16", "stride32"]
    assert stage_sizes(model, stages) == [SIZE // 2, SIZE // 4, SIZE // 8, SIZE // 16, SIZE // 32]
    assert model.get_layer(stages["stride32"]).output is model.outputs[0]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"blocks": BLOCKS}, r"ImageNet weights exist only for blocks \[6, 12, 24, 16\] \(densenet121\)"),
    ({"blocks": [6, 12, 24], "weights": None}, "four positive integers"),
    ({"blocks": [6, 12, 0, 16], "weights": None}, "four positive integers"),
])
def test_generic_builder_refuses(kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message):
        densenet.DenseNet(**kwargs)


def test_preprocess_input_is_torch_mode():
    x = np.array([[[0.0, 127.5, 255.0]]])
    expected = (np.array([0.0, 0.5, 1.0]) - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    np.testing.assert_allclose(densenet.preprocess_input(x)[0, 0], expected, rtol=1e-5)
