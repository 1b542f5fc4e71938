"""The weight loader: legacy `.h5` (by layer order) and Keras 3 `.weights.h5`
(by name), all shapes checked before anything is assigned."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from registry_core import WeightsError, WeightsMismatchError  # noqa: E402
from registry_core._loader import load_weights  # noqa: E402

h5py = pytest.importorskip("h5py")


OURS = ("conv", "bn", "pool", "predictions")
#: Keras' counter names, and a Keras 2 style name with a slash (DenseNet's
#: `conv1/conv`), which h5py stores as nested groups: only order matches these.
THEIRS = ("stem/conv", None, None, None)


def _tiny(layers, filters: int = 4, classes: int | None = 5, names: tuple[str | None, ...] = OURS):
    """Conv-BN-pool(-Dense) in `keras.layers` or `tf_keras.layers`, layers named `names`
    (None leaves the name to Keras' counter)."""
    conv, bn, pool, head = ({"name": n} if n else {} for n in names)
    inputs = layers.Input((8, 8, 3))
    x = layers.Conv2D(filters, 3, **conv)(inputs)
    x = layers.BatchNormalization(**bn)(x)
    x = layers.GlobalAveragePooling2D(**pool)(x)
    if classes is not None:
        x = layers.Dense(classes, **head)(x)
    return inputs, x


def keras_model(**kwargs):
    import keras

    return keras.Model(*_tiny(keras.layers, **kwargs), name="tiny")


def _randomize(model, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(w.shape).astype("float32") for w in model.weights]
    model.set_weights(values)
    return values


def _values(model) -> list[np.ndarray]:
    return [np.array(w) for w in model.get_weights()]


def _assert_values(model, expected: list[np.ndarray]) -> None:
    got = _values(model)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)


@pytest.fixture(scope="module")
def legacy_file(tmp_path_factory) -> tuple[Path, list[np.ndarray]]:
    """A legacy `.h5` written by tf_keras `save_weights`, like the official files."""
    import tf_keras

    tf_keras.backend.clear_session()
    model = tf_keras.Model(*_tiny(tf_keras.layers, names=THEIRS))
    values = _randomize(model, 1)
    path = tmp_path_factory.mktemp("legacy") / "tiny.h5"
    model.save_weights(str(path))
    return path, values


def test_legacy_h5_loads_by_layer_order(legacy_file):
    path, values = legacy_file
    model = keras_model()
    load_weights(model, path)
    _assert_values(model, values)


@pytest.mark.parametrize("file_name", ["tiny.weights.h5", "full.h5"], ids=["weights.h5-by-name", "model.h5-vlen-names"])
def test_keras3_files_load(tmp_path, file_name):
    """`save_weights` writes the `.weights.h5` layout; Keras 3's legacy `save("x.h5")`
    writes the legacy layout with variable-length name strings."""
    source = keras_model()
    values = _randomize(source, 2)
    path = tmp_path / file_name
    if file_name.endswith(".weights.h5"):
        source.save_weights(path)
    else:
        source.save(path)
    model = keras_model()
    load_weights(model, path)
    _assert_values(model, values)


@pytest.mark.parametrize(("other", "layer"), [({"filters": 6}, "conv"), ({"classes": 7}, "predictions")])
def test_a_file_for_another_model_is_refused_and_nothing_changes(tmp_path, other, layer):
    source = keras_model(**other)
    _randomize(source, 4)
    path = tmp_path / "other.weights.h5"
    source.save_weights(path)
    model = keras_model()
    before = _randomize(model, 5)
    with pytest.raises(WeightsMismatchError, match=f"layer '{layer}' has weights of shapes"):
        load_weights(model, path)
    _assert_values(model, before)


def test_a_legacy_file_for_another_model_names_the_first_mismatching_layer(legacy_file):
    path, _ = legacy_file
    model = keras_model(classes=9)
    before = _randomize(model, 6)
    with pytest.raises(WeightsMismatchError, match=r"layer 'predictions' has weights of shapes \[\(4, 9\), \(9,\)\], "
                                                   r"the file's layer 'dense' has \[\(4, 5\), \(5,\)\]"):
        load_weights(model, path)
    _assert_values(model, before)


def test_a_file_with_top_into_a_model_without_top(legacy_file):
    path, _ = legacy_file
    with pytest.raises(WeightsMismatchError, match="the first one only the file has is 'dense'.*include_top"):
        load_weights(keras_model(classes=None), path)


def test_skip_leaves_a_new_head_as_built(legacy_file):
    path, values = legacy_file
    model = keras_model(classes=3)
    head = [np.array(w) for w in model.get_layer("predictions").weights]
    load_weights(model, path, skip={"predictions"})
    _assert_values(model, values[:6] + head)


def _text(name) -> str:
    return name.decode() if isinstance(name, bytes) else str(name)


def _rewrite(source: Path, target: Path, change) -> Path:
    target.write_bytes(source.read_bytes())
    with h5py.File(target, "r+") as f:
        change(f)
    return target


def test_split_layer_names_and_compressed_arrays(legacy_file, tmp_path):
    """Keras splits long name lists into `layer_names0`, `layer_names1`...; h5py
    may store arrays chunked and compressed: both load."""
    path, values = legacy_file

    def change(f):
        names = f.attrs["layer_names"]
        del f.attrs["layer_names"]
        f.attrs["layer_names0"], f.attrs["layer_names1"] = names[:2], names[2:]
        group = f["stem/conv"]
        kernel_name = [_text(n) for n in group.attrs["weight_names"] if "kernel" in _text(n)][0]
        kernel = group[kernel_name][()]
        del group[kernel_name]
        group.create_dataset(kernel_name, data=kernel, compression="gzip", chunks=True)

    model = keras_model()
    load_weights(model, _rewrite(path, tmp_path / "split.h5", change))
    _assert_values(model, values)


def test_unreadable_files_are_clear_errors(legacy_file, tmp_path):
    path, _ = legacy_file
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(WeightsError, match="Cannot read weights from .*text.h5"):
        load_weights(keras_model(), tmp_path / "text.h5")
    with h5py.File(tmp_path / "empty.h5", "w") as f:
        f.create_dataset("x", data=np.zeros(3))
    with pytest.raises(WeightsError, match="holds no Keras weights"):
        load_weights(keras_model(), tmp_path / "empty.h5")
    data = path.read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[:len(data) // 2])
    with pytest.raises(WeightsError, match="cut.h5"):
        load_weights(keras_model(), tmp_path / "cut.h5")

    def point_at_nothing(f):
        names = f["stem/conv"].attrs["weight_names"]
        f["stem/conv"].attrs["weight_names"] = [b"stem/conv/nothing:0"] * len(names)

    broken = _rewrite(path, tmp_path / "broken.h5", point_at_nothing)
    with pytest.raises(WeightsError, match="damaged or not a Keras weight file"):
        load_weights(keras_model(), broken)


def test_keras3_file_missing_a_layer(tmp_path):
    import keras

    inputs, outputs = _tiny(keras.layers, classes=None)
    keras.Model(inputs, outputs).save_weights(tmp_path / "no_top.weights.h5")
    with pytest.raises(WeightsMismatchError, match="no weights for layer 'predictions'"):
        load_weights(keras_model(), tmp_path / "no_top.weights.h5")


def test_the_official_mobilenet_file_loads_as_keras_loads_it(shared_weights):
    import keras

    path = shared_weights / "mobilenet_2_5_128_tf.h5"
    keras.backend.clear_session()
    reference = keras.applications.MobileNet(alpha=0.25, input_shape=(128, 128, 3), weights=None)
    reference.load_weights(path)
    expected = _values(reference)
    _randomize(reference, 7)
    load_weights(reference, path)
    _assert_values(reference, expected)
