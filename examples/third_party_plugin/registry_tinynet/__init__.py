"""TinyConvNet: an example plugin for registry-core.

The Keras-style name resolves lazily, so importing this package (which
discovery does) never imports keras.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["TinyConvNet"]


def __getattr__(name: str) -> Any:
    if name == "TinyConvNet":
        return importlib.import_module(f"{__name__}.model").TinyConvNet
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
