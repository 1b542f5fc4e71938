"""ResNeXt50 and ResNeXt101 (keras_applications module `resnext`; Keras 3 no longer ships it)."""

from __future__ import annotations

from typing import Any

from registry_core import preprocess_input as _preprocess
from registry_core import decode_predictions

from ._resnet import NEXT, build

__all__ = ["ResNeXt50", "ResNeXt101", "decode_predictions", "preprocess_input"]


def ResNeXt50(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
              input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
              classifier_activation: Any = "softmax", name: str = "resnext50") -> Any:
    """ResNeXt50 (32x4d), optionally with ImageNet weights; arguments as in `keras.applications`."""
    return build("resnext50", NEXT, include_top, weights, input_tensor, input_shape, pooling, classes,
                 classifier_activation, name)


def ResNeXt101(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
               input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
               classifier_activation: Any = "softmax", name: str = "resnext101") -> Any:
    """ResNeXt101 (32x4d), optionally with ImageNet weights; arguments as in `keras.applications`."""
    return build("resnext101", NEXT, include_top, weights, input_tensor, input_shape, pooling, classes,
                 classifier_activation, name)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Torch-style: scale to [0, 1], then normalize with the ImageNet mean and std; input RGB in 0..255."""
    return _preprocess(x, mode="torch", data_format=data_format)
