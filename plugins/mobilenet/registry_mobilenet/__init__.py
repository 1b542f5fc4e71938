"""MobileNet (Howard et al., 2017) and MobileNetV2 (Sandler et al., 2018) for registry-core.

Keras-style names resolve lazily, so importing this package never imports keras.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"MobileNet": "mobilenet", "MobileNetV2": "mobilenet_v2"}

__all__ = ["MobileNet", "MobileNetV2"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
