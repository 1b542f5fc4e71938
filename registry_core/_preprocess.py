"""`preprocess_input` for the three ImageNet conventions.

- caffe: RGB to BGR, then subtract the ImageNet mean per channel (no scaling);
- tf: scale to [-1, 1];
- torch: scale to [0, 1], then normalize with the ImageNet mean and std.

Numpy input stays numpy (and is never modified in place); anything else is
treated as a backend tensor and handled with `keras.ops`, imported only then.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._errors import InvalidArgumentError

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


def _constants(mode: str) -> tuple[bool, float, float, tuple[float, ...] | None, tuple[float, ...] | None]:
    """(flip to BGR, scale, offset, mean, std), applied as x * scale + offset, then mean/std."""
    if mode == "caffe":
        return True, 1.0, 0.0, _CAFFE_MEAN_BGR, None
    if mode == "tf":
        return False, 1 / 127.5, -1.0, None, None
    if mode == "torch":
        return False, 1 / 255.0, 0.0, _TORCH_MEAN, _TORCH_STD
    raise InvalidArgumentError(f"`mode` must be one of {MODES}. Received: mode={mode!r}.")


def _broadcast_shape(ndim: int, data_format: str) -> tuple[int, ...]:
    """Shape that puts per-channel constants on the channel axis of an `ndim` array."""
    if data_format == "channels_last":
        return (3,)
    return (3,) + (1,) * (ndim - (1 if ndim == 3 else 2))


def _channel_axis(ndim: int, data_format: str) -> int:
    if data_format == "channels_last":
        return -1
    return 0 if ndim == 3 else 1


def preprocess_input(x: Any, mode: str = "caffe", data_format: str | None = None) -> Any:
    """Preprocess a batch (or one image) of RGB values in 0..255 for `mode`."""
    flip, scale, offset, mean, std = _constants(mode)
    fmt = _data_format(data_format)
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if isinstance(x, np.ndarray):
        x = x.astype(np.float32 if not np.issubdtype(x.dtype, np.floating) else x.dtype, copy=True)
        ndim = x.ndim
        if x.shape[_channel_axis(ndim, fmt)] != 3:
            raise InvalidArgumentError(
                f"preprocess_input expects 3 channels on the channel axis ({fmt}). Received an array of "
                f"shape {x.shape}."
            )
        if flip:
            x = np.flip(x, axis=_channel_axis(ndim, fmt))
        x = x * x.dtype.type(scale) + x.dtype.type(offset) if mode != "caffe" else x
        shape = _broadcast_shape(ndim, fmt)
        if mean is not None:
            x = x - np.asarray(mean, dtype=x.dtype).reshape(shape)
        if std is not None:
            x = x / np.asarray(std, dtype=x.dtype).reshape(shape)
        return np.ascontiguousarray(x)

    import keras
    from keras import ops

    dtype = keras.config.floatx()
    if not str(getattr(x, "dtype", "")).startswith(("float", "bfloat", "<dtype: 'float")):
        x = ops.cast(x, dtype)
    ndim = len(x.shape)
    axis = _channel_axis(ndim, fmt)
    if flip:
        x = ops.flip(x, axis=axis)
    if mode != "caffe":
        x = x * scale + offset
    shape = _broadcast_shape(ndim, fmt)
    if mean is not None:
        x = x - ops.reshape(ops.convert_to_tensor(mean, dtype=x.dtype), shape)
    if std is not None:
        x = x / ops.reshape(ops.convert_to_tensor(std, dtype=x.dtype), shape)
    return x
