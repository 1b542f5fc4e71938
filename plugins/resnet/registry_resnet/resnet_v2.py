"""ResNet50V2, ResNet101V2 and ResNet152V2 (Keras module `keras.applications.resnet_v2`)."""

from __future__ import annotations

from typing import Any

from registry_core import preprocess_input as _preprocess
from registry_core import decode_predictions

from ._resnet import V2, build

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "decode_predictions", "preprocess_input"]


def ResNet50V2(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
               input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
               classifier_activation: Any = "softmax", name: str = "resnet50v2") -> Any:
    """ResNet50V2, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return build("resnet50_v2", V2, include_top, weights, input_tensor, input_shape, pooling, classes,
                 classifier_activation, name)


def ResNet101V2(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "resnet101v2") -> Any:
    """ResNet101V2, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return build("resnet101_v2", V2, include_top, weights, input_tensor, input_shape, pooling, classes,
                 classifier_activation, name)


def ResNet152V2(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "resnet152v2") -> Any:
    """ResNet152V2, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return build("resnet152_v2", V2, include_top, weights, input_tensor, input_shape, pooling, classes,
                 classifier_activation, name)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """TF-style: scale to [-1, 1]; input RGB in 0..255."""
    return _preprocess(x, mode="tf", data_format=data_format)
