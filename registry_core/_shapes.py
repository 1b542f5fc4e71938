"""Shape and argument rules shared by every builder, in pure Python.

Keras 3.15.1's constructors are the oracle (`obtain_input_shape` plus each
constructor's own checks): a shape is accepted here exactly when Keras accepts
it, except for these deliberate departures, each listed in the README:

- a pretrained backbone may get a new head (`include_top=True, classes != 1000`);
- an input tensor that a pretrained Flatten top cannot take is refused here
  instead of failing while loading;
- `pooling` must be None, "avg" or "max" (Keras ignores any other value);
- a list `input_shape` counts as the tuple it spells (Keras refuses a list
  with a pretrained top, even one equal to the required shape).

Keras fails later, but fails all the same, on what is refused here early: a
`classes` that is not a positive integer with a top (`Dense` refuses it), a
pretrained model fed an input tensor without 3 channels (loading fails).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import InputShapeError, InvalidArgumentError
from ._spec import ModelSpec

Shape = tuple[Any, ...]
POOLING = (None, "avg", "max")


@dataclass(frozen=True)
class ShapePlan:
    """What the rules decided for one build.

    `input_shape` is in the data format's order, without the batch axis.
    `pretrained` is the weight tag to load (None for a path or no weights);
    `new_head` means a pretrained backbone whose classifier is left fresh.
    """

    input_shape: Shape
    pretrained: str | None
    weights_path: str | None
    new_head: bool


def _spatial(shape: Sequence[Any], data_format: str) -> tuple[Any, Any]:
    return (shape[1], shape[2]) if data_format == "channels_first" else (shape[0], shape[1])


def _channels(shape: Sequence[Any], data_format: str) -> Any:
    return shape[0] if data_format == "channels_first" else shape[-1]


def _square(size: int, channels: Any, data_format: str) -> Shape:
    return (channels, size, size) if data_format == "channels_first" else (size, size, channels)


def _other_format_hint(shape: Sequence[Any], data_format: str) -> str:
    """A hint when `shape` reads as the other data format's: its channels (1 or 3) where the
    model expects a spatial size."""
    other = "channels_last" if data_format == "channels_first" else "channels_first"
    if _channels(shape, other) in (1, 3) and _channels(shape, data_format) not in (1, 3):
        return (f" It looks like a {other} shape, but models build {data_format} here "
                f"(keras.config.image_data_format()); reorder it, or set the data format.")
    return ""


def check_weights(spec: ModelSpec, weights: Any) -> tuple[str | None, str | None]:
    """Split `weights` into (tag, path); refuse anything else."""
    if weights is None:
        return None, None
    if isinstance(weights, os.PathLike):
        weights = os.fspath(weights)
    if isinstance(weights, str):
        if weights in spec.weights:
            return weights, None
        if os.path.isfile(weights):
            return None, weights
    tags = ", ".join(repr(t) for t in spec.weights) or "none"
    raise InvalidArgumentError(
        f"{spec.name}: `weights` must be None (random initialization), a pretrained tag "
        f"(available: {tags}) or the path to an existing weights file. Received: weights={weights!r}. "
        "Check the path, or use one of those tags."
    )


#: What Keras' `validate_activation` accepts with loaded weights: softmax, or
#: none at all (None and "linear" are the same activation to Keras).
_PRETRAINED_ACTIVATIONS = (None, "softmax", "linear")


def check_head(spec: ModelSpec, *, include_top: bool, pretrained: str | None, classes: Any,
               pooling: Any, classifier_activation: Any, weights_path: str | None = None) -> bool:
    """Validate the head arguments; True when a pretrained backbone gets a new classifier."""
    if include_top and (not isinstance(classes, int) or classes < 1):
        raise InvalidArgumentError(
            f"{spec.name}: `classes` must be a positive integer (the width of the classifier). "
            f"Received: classes={classes!r}. Pass the number of classes of your data, e.g. classes=10."
        )
    if pooling not in POOLING:
        raise InvalidArgumentError(
            f"{spec.name}: `pooling` must be one of None, 'avg' or 'max'. Received: pooling={pooling!r}. "
            "Use None for feature maps, 'avg' or 'max' for one vector per image."
        )
    new_head = bool(pretrained and include_top and classes != 1000)
    if include_top and (pretrained or weights_path) and not new_head:
        name = getattr(classifier_activation, "__name__", classifier_activation)
        if not isinstance(name, (str, type(None))) or name not in _PRETRAINED_ACTIVATIONS:
            raise InvalidArgumentError(
                f"{spec.name}: with loaded weights and `include_top=True`, `classifier_activation` "
                f"must be None or 'softmax' (the trained classifier's). Received: "
                f"classifier_activation={classifier_activation!r}. Pass weights=None, or apply the "
                "activation after the model."
            )
    return new_head


def _not_three(spec: ModelSpec, input_shape: Any, data_format: str) -> InputShapeError:
    order = "channels, height, width" if data_format == "channels_first" else "height, width, channels"
    return InputShapeError(
        f"{spec.name}: `input_shape` must be a tuple of three integers or None ({order}). "
        f"Received: input_shape={input_shape!r}. Pass e.g. "
        f"input_shape={_square(spec.default_size, 3, data_format)}, or None for the default."
    )


def resolve_input_shape(
    spec: ModelSpec,
    *,
    input_shape: Any,
    include_top: bool,
    pretrained: bool,
    data_format: str,
    default_size: int | None = None,
) -> Shape:
    """The model's input shape from `input_shape`, following `obtain_input_shape`."""
    size = default_size or spec.default_size
    if isinstance(input_shape, list):
        input_shape = tuple(input_shape)
    if input_shape is not None and not (
        isinstance(input_shape, tuple)
        and all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in input_shape)
    ):
        raise _not_three(spec, input_shape, data_format)
    if spec.static_pretrained_shape:
        if input_shape is not None and None in input_shape and pretrained:
            raise InputShapeError(
                f"{spec.name}: with pretrained weights the input shape must be static (no None). "
                f"Received: input_shape={input_shape}. Give every size, e.g. "
                f"{_square(size, 3, data_format)}, or pass weights=None."
            )
        if not include_top and input_shape is None:
            input_shape = _square(size, 3, data_format)

    if not pretrained and input_shape is not None and len(input_shape) == 3:
        default_shape = _square(size, _channels(input_shape, data_format), data_format)
    else:
        default_shape = _square(size, 3, data_format)

    if pretrained and include_top:
        if input_shape is not None and input_shape != default_shape:
            raise InputShapeError(
                f"{spec.name}: with pretrained weights and `include_top=True` the input shape must be "
                f"{default_shape}. Received: input_shape={input_shape}. Use include_top=False for other "
                "sizes, or resize your images."
            )
        return default_shape

    if not input_shape:  # None, or () which Keras also takes for "unset"
        if include_top:
            return default_shape
        return _square(None, 3, data_format)  # type: ignore[arg-type]
    if len(input_shape) != 3:
        raise _not_three(spec, input_shape, data_format)

    if pretrained and _channels(input_shape, data_format) != 3:
        raise InputShapeError(
            f"{spec.name}: pretrained weights need exactly 3 input channels. Received: "
            f"input_shape={input_shape}. Convert images to RGB, or pass weights=None."
            + _other_format_hint(input_shape, data_format)
        )
    rows, cols = _spatial(input_shape, data_format)
    if (rows is not None and rows < spec.min_size) or (cols is not None and cols < spec.min_size):
        raise InputShapeError(
            f"{spec.name}: input height and width must be at least {spec.min_size}. Received: "
            f"input_shape={input_shape}. Resize your images to at least "
            f"{spec.min_size}x{spec.min_size}." + _other_format_hint(input_shape, data_format)
        )
    if include_top and None in input_shape:
        raise InputShapeError(
            f"{spec.name}: with `include_top=True` the input shape must be static. Received: "
            f"input_shape={input_shape}. Give every size, or use include_top=False."
        )
    return input_shape


def check_input_tensor(
    spec: ModelSpec, tensor_shape: Shape, *, include_top: bool, pretrained: bool, data_format: str,
    default_size: int | None = None,
) -> None:
    """Refuse an input tensor (shape without batch axis) the model cannot take."""
    if len(tensor_shape) != 3:
        raise InputShapeError(
            f"{spec.name}: `input_tensor` must be a batch of images (4 dimensions). Received an `input_tensor` of "
            f"shape {(None, *tensor_shape)}. Pass e.g. keras.Input(shape={_square(spec.default_size, 3, data_format)})."
        )
    channels = _channels(tensor_shape, data_format)
    if pretrained and channels != 3:
        raise InputShapeError(
            f"{spec.name}: pretrained weights need exactly 3 input channels. Received an `input_tensor` "
            f"of shape {(None, *tensor_shape)} ({data_format}). Convert images to RGB, or pass weights=None."
        )
    if spec.flatten_top and include_top:
        size = default_size or spec.default_size
        spatial = _spatial(tensor_shape, data_format)
        if None in spatial:
            raise InputShapeError(
                f"{spec.name}: its top flattens the features, so `input_tensor` needs a static height and "
                f"width. Received an `input_tensor` of shape {(None, *tensor_shape)}. Use include_top=False with "
                "pooling='avg' for images of any size."
            )
        if pretrained and spatial != (size, size):
            raise InputShapeError(
                f"{spec.name}: its pretrained top flattens {size}x{size} features, so `input_tensor` must "
                f"be {size}x{size}. Received an `input_tensor` of shape {(None, *tensor_shape)}. Resize the input, "
                "or use include_top=False."
            )


def plan_input(
    spec: ModelSpec,
    *,
    include_top: bool,
    weights: Any,
    input_shape: Any,
    input_tensor_shape: Shape | None,
    pooling: Any,
    classes: Any,
    classifier_activation: Any = "softmax",
    data_format: str = "channels_last",
    default_size: int | None = None,
) -> ShapePlan:
    """Every rule, in Keras' order: weights, head, input shape, input tensor."""
    if data_format not in spec.formats:
        raise InvalidArgumentError(
            f"{spec.name} builds only in {', '.join(spec.formats)}. Received: data_format={data_format!r}. "
            "Set keras.config.set_image_data_format() accordingly."
        )
    tag, path = check_weights(spec, weights)
    new_head = check_head(spec, include_top=include_top, pretrained=tag, classes=classes,
                          pooling=pooling, classifier_activation=classifier_activation, weights_path=path)
    shape = resolve_input_shape(spec, input_shape=input_shape, include_top=include_top,
                                pretrained=tag is not None, data_format=data_format,
                                default_size=default_size)
    if input_tensor_shape is not None:
        check_input_tensor(spec, tuple(input_tensor_shape), include_top=include_top,
                           pretrained=tag is not None, data_format=data_format, default_size=default_size)
    return ShapePlan(shape, tag, path, new_head)
