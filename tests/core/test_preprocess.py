"""`preprocess_input` against Keras' own, on random data: every mode, both formats, numpy and tensors;
per registered model and in each Keras-style submodule, against the Keras module of the same name."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from registry_core import InvalidArgumentError, Metadata, ModelSpec, Registry, hookimpl, preprocess_input, registry

MODES = ("caffe", "tf", "torch")
FORMATS = ("channels_last", "channels_first")


def images(fmt: str, batch: bool, dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (5, 7, 3) if fmt == "channels_last" else (3, 5, 7)
    x = rng.uniform(0, 255, (2, *shape) if batch else shape)
    return x.round().astype(dtype) if dtype == "uint8" else x.astype(dtype)


def keras_preprocess(x, mode: str, fmt: str):
    from keras.src.applications import imagenet_utils

    return imagenet_utils.preprocess_input(x, data_format=fmt, mode=mode)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "uint8"])
@pytest.mark.parametrize("batch", [True, False], ids=["batch", "image"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", MODES)
def test_numpy_matches_keras(mode: str, fmt: str, batch: bool, dtype: str) -> None:
    x = images(fmt, batch, dtype)
    before = x.copy()
    ours = preprocess_input(x, mode=mode, data_format=fmt)
    theirs = keras_preprocess(x.copy(), mode, fmt)
    assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(x, before)  # never in place


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "image"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", MODES)
def test_tensors_match_keras(mode: str, fmt: str, batch: bool) -> None:
    from keras import ops

    x = images(fmt, batch, "float32", seed=1)
    ours = preprocess_input(ops.convert_to_tensor(x), mode=mode, data_format=fmt)
    theirs = keras_preprocess(ops.convert_to_tensor(x), mode, fmt)
    assert not isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ops.convert_to_numpy(ours), ops.convert_to_numpy(theirs))


def test_integer_tensors_are_cast_to_floatx() -> None:
    from keras import ops

    x = images("channels_last", True, "uint8")
    ours = preprocess_input(ops.convert_to_tensor(x), mode="torch", data_format="channels_last")
    np.testing.assert_array_equal(ops.convert_to_numpy(ours), keras_preprocess(x, "torch", "channels_last"))


def test_symbolic_tensors_work_inside_a_model() -> None:
    import keras

    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, preprocess_input(inputs, mode="caffe", data_format="channels_last"))
    x = images("channels_last", True, "float32")[:, :4, :4]
    np.testing.assert_allclose(model.predict(x, verbose=0), keras_preprocess(x.copy(), "caffe", "channels_last"),
                               rtol=1e-6)


def test_data_format_none_follows_keras(monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    x = images("channels_first", True, "float32")
    monkeypatch.setattr(keras.config, "image_data_format", lambda: "channels_first")
    np.testing.assert_array_equal(preprocess_input(x, mode="caffe"),
                                  preprocess_input(x, mode="caffe", data_format="channels_first"))


def test_nested_lists_become_arrays() -> None:
    x = images("channels_last", False, "float64")
    np.testing.assert_array_equal(preprocess_input(x.tolist(), mode="torch", data_format="channels_last"),
                                  keras_preprocess(x, "torch", "channels_last"))


def test_tf_mode_takes_any_channel_count_like_keras() -> None:
    x = np.full((2, 4, 4, 1), 255.0, np.float32)
    np.testing.assert_array_equal(preprocess_input(x, mode="tf", data_format="channels_last"), np.ones_like(x))


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(mode="inception"), "`mode` must be one of caffe, tf, torch. Received: mode='inception'"),
    (dict(mode="tf", data_format="nhwc"), "Received: data_format='nhwc'"),
    (dict(mode="caffe", data_format="channels_first"), "3 channels on the channel axis (channels_first)"),
])
def test_bad_arguments_are_clear_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidArgumentError) as exc:
        preprocess_input(images("channels_last", True, "float32"), **kwargs)
    assert message in str(exc.value)


class _Plugin:
    __name__ = "modes"

    @hookimpl
    def registry_register_models(self, register):
        for mode in MODES:
            register(ModelSpec(name=f"{mode}_net", family="t", builder="m:f", default_size=64, min_size=32,
                               preprocessing=mode, metadata=Metadata(parameters=1)))


@pytest.mark.parametrize("mode", MODES)
def test_registry_preprocesses_per_model(mode: str) -> None:
    reg = Registry(plugins=[_Plugin()], entry_points=False)
    x = images("channels_last", True, "float32")
    np.testing.assert_array_equal(reg.preprocess_input(f"{mode.upper()}_NET", x, data_format="channels_last"),
                                  keras_preprocess(x.copy(), mode, "channels_last"))


def keras_module_preprocess(spec: ModelSpec):
    """The reference's own `preprocess_input` for a registered model (its Keras module's)."""
    import keras

    module = spec.builder.partition(":")[0].rpartition(".")[2]
    if module == "resnext":  # Keras 3 has no ResNeXt: keras_applications 1.0.8's, on Keras 3's backend
        from keras_applications import resnext

        return lambda x, data_format: resnext.preprocess_input(x, data_format=data_format, backend=keras.backend)
    return getattr(keras.applications, module).preprocess_input


REFERENCED = [s for s in registry.specs() if s.family != "tinynet"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("spec", REFERENCED, ids=lambda s: s.name)
def test_every_model_and_its_submodule_preprocess_like_its_keras_module(spec: ModelSpec, fmt: str) -> None:
    x = images(fmt, True, "float32", seed=2)
    theirs = keras_module_preprocess(spec)(x.copy(), data_format=fmt)
    np.testing.assert_array_equal(registry.preprocess_input(spec.name, x, data_format=fmt), theirs)
    submodule = importlib.import_module(spec.builder.partition(":")[0])
    np.testing.assert_array_equal(submodule.preprocess_input(x, data_format=fmt), theirs)
