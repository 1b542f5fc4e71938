"""VGG's own behaviour; equivalence with keras.applications is test_equivalence.py's.

The official weight layout in channels_first (the Flatten top must see the
features in the trained order), the Flatten top refusing input tensors it
cannot take, the feature stages, the names Keras leaves to its counter, and
the preprocessing.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from registry_vgg import vgg16, vgg19  # noqa: E402

from registry_core import InputShapeError  # noqa: E402
from registry_core._decode import decode_predictions  # noqa: E402

from .references import LEGACY_WRITERS, REFERENCES  # noqa: E402

# Large enough that the flattened block5_pool is 2x2, so its order matters.
SIZE = 64

# One worker builds this module's models once (its fixtures are module-scoped).
pytestmark = pytest.mark.xdist_group("vgg-family")


@pytest.fixture
def data_format(request):
    keras.config.set_image_data_format(request.param)
    try:
        yield request.param
    finally:
        keras.config.set_image_data_format("channels_last")


@pytest.fixture(scope="module")
def legacy_top(tmp_path_factory):
    """A VGG16 `.h5` with a Flatten top at SIZE, written by tf_keras (the official layout), and its output."""
    writer = LEGACY_WRITERS["vgg16"](weights=None, input_shape=(SIZE, SIZE, 3), classes=10)
    path = tmp_path_factory.mktemp("vgg-legacy") / "vgg16.h5"
    writer.save_weights(str(path))
    x = np.random.default_rng(0).uniform(-1, 1, (1, SIZE, SIZE, 3)).astype("float32")
    expected = np.asarray(writer.predict(x, verbose=0))
    del writer
    yield path, x, expected
    path.unlink()


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"], indirect=True)
def test_official_layout_loads_in_both_formats(legacy_top, data_format):
    path, x, expected = legacy_top
    first = data_format == "channels_first"
    shape = (3, SIZE, SIZE) if first else (SIZE, SIZE, 3)
    model = vgg16.VGG16(weights=str(path), input_shape=shape, classes=10)
    got = model.predict(x.transpose(0, 3, 1, 2) if first else x, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("tensor_shape, match", [
    ((100, 100, 3), "must be 224x224"),
    ((None, None, 3), "static height and width"),
])
def test_flatten_top_refuses_input_tensors_it_cannot_take(tensor_shape, match):
    with pytest.raises(InputShapeError, match=match):
        vgg16.VGG16(weights="imagenet", input_tensor=keras.Input(tensor_shape))


@pytest.fixture(scope="module")
def no_top():
    return vgg19.VGG19(include_top=False, weights=None, input_shape=(SIZE, SIZE, 3))


def test_feature_stages_halve_the_size_each_block(no_top):
    from registry_core import registry

    stages = registry.info("vgg19").feature_stages
    sizes = [no_top.get_layer(layer).output.shape[1] for layer in stages.values()]
    assert list(stages) == ["block1", "block2", "block3", "block4", "block5"]
    assert sizes == [SIZE // 2, SIZE // 4, SIZE // 8, SIZE // 16, SIZE // 32]
    assert no_top.get_layer(stages["block5"]).output is no_top.outputs[0]


@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_pooling_layers_have_a_fresh_sessions_names(pooling):
    expected = REFERENCES["vgg16"](weights=None, include_top=False, input_shape=(32, 32, 3), pooling=pooling)
    # Built twice in one session: Keras' counter would have moved on.
    for _ in range(2):
        ours = vgg16.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3), pooling=pooling)
        assert ours.layers[-1].name == expected.layers[-1].name


@pytest.mark.parametrize("module", [vgg16, vgg19], ids=["vgg16", "vgg19"])
def test_preprocessing_is_caffe_mode(module):
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, 5, 3)).astype("float32")
    expected = keras.applications.imagenet_utils.preprocess_input(x.copy(), mode="caffe")
    np.testing.assert_array_equal(module.preprocess_input(x), expected)
    assert module.decode_predictions is decode_predictions
