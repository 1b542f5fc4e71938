"""NASNet's own input rule, in pure Python (no keras import).

The reduction cells pad by the parity of each feature map's size, and the
previous cell's output is halved to match the reduced one; with an unknown
size the two disagree on odd sizes, so Keras builds a model that fails at
its first prediction. We refuse an unknown height or width when building.
"""

from __future__ import annotations

from typing import Any

from registry_core import InputShapeError


def check_static_size(model: str, *, input_shape: Any, input_tensor_shape: Any, data_format: str) -> None:
    """Refuse an `input_shape` or `input_tensor` (shape without batch) of unknown height or width."""
    for argument, shape in (("input_shape", input_shape), ("input_tensor", input_tensor_shape)):
        if not isinstance(shape, (tuple, list)) or len(shape) != 3:
            continue  # absent, or malformed: the core's rules report that
        spatial = shape[1:] if data_format == "channels_first" else shape[:2]
        if None in spatial:
            raise InputShapeError(
                f"{model}: NASNet needs a known height and width when it is built (its reduction cells "
                f"pad by the parity of each size). Received: {argument} of shape {tuple(shape)}. "
                "Give every size, or leave input_shape unset for the default size."
            )
