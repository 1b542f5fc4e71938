"""NASNetMobile and NASNetLarge (Keras module `keras.applications.nasnet`)."""

from __future__ import annotations

from typing import Any

import keras

from registry_core import build_model
from registry_core import preprocess_input as _preprocess
from registry_core import decode_predictions

from ._nasnet import nasnet_body
from ._rules import check_static_size

__all__ = ["NASNetLarge", "NASNetMobile", "decode_predictions", "preprocess_input"]


def _build(model: str, *, input_shape: Any, input_tensor: Any, **kwargs: Any) -> Any:
    check_static_size(
        model, input_shape=input_shape,
        input_tensor_shape=None if input_tensor is None else tuple(input_tensor.shape)[1:],
        data_format=keras.config.image_data_format(),
    )
    return build_model(model, nasnet_body, input_shape=input_shape, input_tensor=input_tensor, **kwargs)


def NASNetMobile(
    input_shape: Any = None,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "nasnet_mobile",
) -> Any:
    """NASNet-A (4 @ 1056), 224x224, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return _build(
        "nasnet_mobile", input_shape=input_shape, include_top=include_top, weights=weights,
        input_tensor=input_tensor, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, name=name,
        penultimate_filters=1056, num_blocks=4, stem_filters=32, skip_reduction=False,
    )


def NASNetLarge(
    input_shape: Any = None,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "nasnet_large",
) -> Any:
    """NASNet-A (6 @ 4032), 331x331, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return _build(
        "nasnet_large", input_shape=input_shape, include_top=include_top, weights=weights,
        input_tensor=input_tensor, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, name=name,
        penultimate_filters=4032, num_blocks=6, stem_filters=96, skip_reduction=True,
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """TF-style: scale RGB values in 0..255 to -1..1."""
    return _preprocess(x, mode="tf", data_format=data_format)
