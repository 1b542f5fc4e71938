"""VGG16 (Keras module `keras.applications.vgg16`)."""

from __future__ import annotations

from typing import Any

from registry_core import build_model
from registry_core import preprocess_input as _preprocess
from registry_core import decode_predictions

from ._vgg import vgg_body

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]


def VGG16(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "vgg16",
) -> Any:
    """VGG16, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return build_model(
        "vgg16", vgg_body, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, name=name, convs=(2, 2, 3, 3, 3),
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Caffe-style: RGB to BGR, minus the ImageNet mean; input RGB in 0..255."""
    return _preprocess(x, mode="caffe", data_format=data_format)
