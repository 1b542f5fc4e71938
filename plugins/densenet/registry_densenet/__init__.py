"""DenseNet121, DenseNet169 and DenseNet201 (Huang et al., 2017) for registry-core.

Keras-style names resolve lazily, so importing this package never imports keras.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"DenseNet": "densenet", "DenseNet121": "densenet", "DenseNet169": "densenet", "DenseNet201": "densenet"}

__all__ = ["DenseNet", "DenseNet121", "DenseNet169", "DenseNet201"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
