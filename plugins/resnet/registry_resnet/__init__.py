"""ResNet, ResNetV2 and ResNeXt (He et al., 2015 and 2016; Xie et al., 2017) for registry-core.

Keras-style names resolve lazily, so importing this package never imports keras.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "ResNet50": "resnet",
    "ResNet101": "resnet",
    "ResNet152": "resnet",
    "ResNet50V2": "resnet_v2",
    "ResNet101V2": "resnet_v2",
    "ResNet152V2": "resnet_v2",
    "ResNeXt50": "resnext",
    "ResNeXt101": "resnext",
}

__all__ = [
    "ResNeXt101",
    "ResNeXt50",
    "ResNet101",
    "ResNet101V2",
    "ResNet152",
    "ResNet152V2",
    "ResNet50",
    "ResNet50V2",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
