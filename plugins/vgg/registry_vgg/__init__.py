"""VGG16 and VGG19 (Simonyan & Zisserman, 2014) for registry-core.

Keras-style names resolve lazily, so importing this package never imports keras.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"VGG16": "vgg16", "VGG19": "vgg19"}

__all__ = ["VGG16", "VGG19"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
