"""`preprocess_input` for the three ImageNet conventions.

- caffe: RGB to BGR, then subtract the ImageNet mean per channel (no scaling);
- tf: scale to [-1, 1];
- torch: scale to [0, 1], then normalize with the ImageNet mean and std.

The arithmetic is Keras' own, operation for operation, so results match it
bit for bit. Numpy input stays numpy and is never modified in place (Keras
modifies a float array in place); anything else is treated as a backend
tensor and handled with `keras.ops`, imported only then. numpy too is
imported on first use: `registry list` never needs it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ._errors import InvalidArgumentError

if TYPE_CHECKING:
    import numpy as np

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
MODES = ("caffe", "tf", "torch")


def _data_format(data_format: str | None) -> str:
    if data_format is None:
        import keras  # only reached when the caller leaves the format to Keras' config

        return keras.config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise InvalidArgumentError(
            "`data_format` must be 'channels_last', 'channels_first' or None (Keras' setting). "
            f"Received: data_format={data_format!r}."
        )
    return data_format


def _floatx() -> str:
    """Keras' float type when keras is loaded (only then can it differ from the default)."""
    keras = sys.modules.get("keras")
    return keras.config.floatx() if keras is not None else "float32"


def _channel_axis(ndim: int, data_format: str) -> int:
    if data_format == "channels_last":
        return -1
    return 0 if ndim == 3 else 1


def _per_channel(ndim: int, data_format: str) -> tuple[int, ...]:
    """The shape that puts 3 per-channel constants on the channel axis of an `ndim` batch."""
    if data_format == "channels_last":
        return (3,)
    return (3,) + (1,) * (ndim - 1 - _channel_axis(ndim, data_format))


def _numpy(x: np.ndarray, mode: str, fmt: str) -> np.ndarray:
    import numpy as np

    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(_floatx())
    if mode == "tf":
        return x / x.dtype.type(127.5) - x.dtype.type(1.0)
    axis = _channel_axis(x.ndim, fmt)
    if x.ndim < (3 if fmt == "channels_first" else 1) or x.shape[axis] != 3:
        raise InvalidArgumentError(
            f"preprocess_input(mode={mode!r}) expects RGB images with 3 channels on the channel axis "
            f"({fmt}). Received an array of shape {x.shape}. Convert the images to RGB, or pass data_format."
        )
    shape = _per_channel(x.ndim, fmt)
    if mode == "caffe":
        return np.ascontiguousarray(np.flip(x, axis=axis) - np.asarray(_CAFFE_MEAN_BGR, x.dtype).reshape(shape))
    x = x / x.dtype.type(255.0)
    x = x - np.asarray(_TORCH_MEAN, x.dtype).reshape(shape)
    return x / np.asarray(_TORCH_STD, x.dtype).reshape(shape)


def _tensor(x: Any, mode: str, fmt: str) -> Any:
    import keras
    from keras import ops

    if not keras.backend.is_float_dtype(keras.backend.standardize_dtype(x.dtype)):
        x = ops.cast(x, keras.config.floatx())
    if mode == "tf":
        return x / 127.5 - 1.0
    ndim = len(x.shape)
    shape = _per_channel(ndim, fmt)
    if mode == "caffe":
        x = ops.flip(x, axis=_channel_axis(ndim, fmt))
        return x - ops.reshape(ops.convert_to_tensor(_CAFFE_MEAN_BGR, dtype=x.dtype), shape)
    x = x / 255.0
    x = x - ops.reshape(ops.convert_to_tensor(_TORCH_MEAN, dtype=x.dtype), shape)
    return x / ops.reshape(ops.convert_to_tensor(_TORCH_STD, dtype=x.dtype), shape)


def preprocess_input(x: Any, mode: str = "caffe", data_format: str | None = None) -> Any:
    """Preprocess a batch (or one image) of RGB values in 0..255 for `mode`.

    `x` is a numpy array (or nested lists), returned as a new numpy array, or
    a backend tensor, returned as a tensor of the same backend.
    """
    if mode not in MODES:
        raise InvalidArgumentError(
            f"`mode` must be one of {', '.join(MODES)}. Received: mode={mode!r}."
        )
    fmt = _data_format(data_format)
    import numpy as np

    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if isinstance(x, np.ndarray):
        return _numpy(x, mode, fmt)
    return _tensor(x, mode, fmt)
