"""ResNet50, ResNet101 and ResNet152 (Keras module `keras.applications.resnet`)."""

from __future__ import annotations

from typing import Any

from registry_core import preprocess_input as _preprocess
from registry_core import decode_predictions

from ._resnet import V1, build

__all__ = ["ResNet50", "ResNet101", "ResNet152", "decode_predictions", "preprocess_input"]


def ResNet50(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
             input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
             classifier_activation: Any = "softmax", name: str = "resnet50") -> Any:
    """ResNet50, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return build("resnet50", V1, include_top, weights, input_tensor, input_shape, pooling, classes,
                 classifier_activation, name)


def ResNet101(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
              input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
              classifier_activation: Any = "softmax", name: str = "resnet101") -> Any:
    """ResNet101, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return build("resnet101", V1, include_top, weights, input_tensor, input_shape, pooling, classes,
                 classifier_activation, name)


def ResNet152(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
              input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
              classifier_activation: Any = "softmax", name: str = "resnet152") -> Any:
    """ResNet152, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return build("resnet152", V1, include_top, weights, input_tensor, input_shape, pooling, classes,
                 classifier_activation, name)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Caffe-style: RGB to BGR, minus the ImageNet mean; input RGB in 0..255."""
    return _preprocess(x, mode="caffe", data_format=data_format)
