"""Which MobileNet or MobileNetV2 weight file a call loads, in pure Python (no keras import).

The publisher trained one file per width (`alpha`) and input size, with and
without top. Keras 3.15.1 is the oracle for the choice, with the departures
the README lists:

- without top and with `input_shape` left unset, the 224 file loads without
  a warning (Keras warns on that call);
- MobileNetV2's alpha 1.3 and 1.4 exist only at 224: with top another
  `input_shape` is refused listing the valid sizes (Keras asks for a file
  that does not exist), without top the 224 file loads with a warning;
- MobileNetV2 takes the seeds' `depth_multiplier`, and only 1, with any weights.

MobileNet picks the file from `input_shape` alone; MobileNetV2 with top also
from an `input_tensor` of a grid size when `input_shape` is unset (as Keras
does). A top pools globally, so an `input_tensor` of any other size gets the
224 file.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from registry_core import NO_TOP, TOP, InputShapeError, InvalidArgumentError

#: The size whose file loads when the input's size has none of its own.
FALLBACK_SIZE = 224
#: The width of the default configuration, whose files are the plain `top`/`no_top` variants.
DEFAULT_ALPHA = 1.0


@dataclass(frozen=True)
class Grid:
    """The published files of one model: the sizes trained at each `alpha`.

    `file_name(alpha, size, include_top)` is the official file name;
    `tensor_sets_size` marks MobileNetV2, which reads the size of an
    `input_tensor` when `input_shape` is unset; `all_sizes` are the sizes
    Keras accepts as a default size at any alpha; `depth_multiplier_free`
    means any depth multiplier builds (only 1 has weights); `min_alpha`
    keeps the narrowest layer at one filter or more.
    """

    title: str
    sizes: Mapping[float, tuple[int, ...]]
    file_name: Callable[[float, int, bool], str]
    all_sizes: tuple[int, ...]
    tensor_sets_size: bool
    depth_multiplier_free: bool
    min_alpha: float = 0.0

    @property
    def alphas(self) -> tuple[float, ...]:
        return tuple(self.sizes)

    def files(self) -> Iterator[tuple[float, int, bool]]:
        """Every (alpha, size, include_top) with a published file."""
        for alpha, sizes in self.sizes.items():
            for size in sizes:
                for include_top in (True, False):
                    yield alpha, size, include_top


def variant(alpha: float, size: int, include_top: bool) -> str:
    """The weight variant key of one file: `top`/`no_top` for the default configuration
    (alpha 1.0 at 224), which every family shares, else e.g. `alpha_0.25/128/top`."""
    top = TOP if include_top else NO_TOP
    if alpha == DEFAULT_ALPHA and size == FALLBACK_SIZE:
        return top
    return f"alpha_{float(alpha)}/{size}/{top}"


@dataclass(frozen=True)
class FileChoice:
    """What the rules decided for one call.

    `rows` is the size the model is named after (`mobilenet_0.25_128`) and the
    default size the shared shape rules check a pretrained top against;
    `variant` is the weight variant to load (None without pretrained weights);
    `warning` is set when the file was trained at another size than the input's.
    """

    rows: int | None
    variant: str | None
    warning: str | None = None


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_arguments(grid: Grid, *, alpha: Any, depth_multiplier: Any, pretrained: bool,
                    dropout: Any = None) -> float | None:
    """Validate the family arguments (`dropout` None: the model has none).

    Returns the grid's own alpha when `pretrained`, else None.
    """
    if not _is_number(alpha) or not alpha > grid.min_alpha:
        low = f"a number of at least {grid.min_alpha:g}" if grid.min_alpha else "a positive number"
        raise InvalidArgumentError(
            f"{grid.title}: `alpha` (the width multiplier) must be {low}. Received: alpha={alpha!r}."
        )
    if dropout is not None and (not _is_number(dropout) or not 0 <= dropout <= 1):
        raise InvalidArgumentError(
            f"{grid.title}: `dropout` must be a rate from 0 to 1. Received: dropout={dropout!r}."
        )
    if not _is_number(depth_multiplier) or depth_multiplier < 1 or depth_multiplier != int(depth_multiplier):
        raise InvalidArgumentError(
            f"{grid.title}: `depth_multiplier` must be a positive whole number. "
            f"Received: depth_multiplier={depth_multiplier!r}."
        )
    if not grid.depth_multiplier_free and depth_multiplier != 1:
        raise InvalidArgumentError(
            f"{grid.title} takes only depth_multiplier=1 (its blocks have no depthwise multiplier; the argument "
            f"is there for the documented signature). Received: depth_multiplier={depth_multiplier!r}."
        )
    if not pretrained:
        return None
    if depth_multiplier != 1:
        raise InvalidArgumentError(
            f"{grid.title}: ImageNet weights exist only for depth_multiplier=1. Received: "
            f"depth_multiplier={depth_multiplier!r}. Pass depth_multiplier=1, or weights=None."
        )
    for known in grid.alphas:
        if alpha == known:
            return known
    raise InvalidArgumentError(
        f"{grid.title}: ImageNet weights exist for alpha {_listing(grid.alphas)}. Received: alpha={alpha!r}. "
        "Pass one of those, or weights=None for another width."
    )


def _listing(values: tuple[Any, ...]) -> str:
    return ", ".join(f"{v:g}" for v in values[:-1]) + f" or {values[-1]:g}"


def _spatial(shape: Any, data_format: str) -> tuple[Any, Any] | None:
    """(rows, cols) of a well-formed shape without batch axis; None when unset or malformed."""
    if not isinstance(shape, (tuple, list)) or len(shape) != 3:
        return None
    if not all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape):
        return None  # the shared shape rules refuse it with the full message
    return (shape[1], shape[2]) if data_format == "channels_first" else (shape[0], shape[1])


def _square(spatial: tuple[Any, Any] | None, sizes: tuple[int, ...]) -> int | None:
    if spatial is not None and spatial[0] == spatial[1] and spatial[0] in sizes:
        return spatial[0]
    return None


def choose_file(
    grid: Grid,
    *,
    alpha: Any,
    depth_multiplier: Any = 1,
    dropout: Any = None,
    include_top: bool,
    pretrained: bool,
    input_shape: Any,
    input_tensor_shape: Any = None,
    data_format: str = "channels_last",
) -> FileChoice:
    """The file (and model-name size) for one call; raises on what the table refuses.

    `pretrained` means a published weight tag was asked for (not a path);
    shapes are without the batch axis.
    """
    known_alpha = check_arguments(grid, alpha=alpha, depth_multiplier=depth_multiplier,
                                  pretrained=pretrained, dropout=dropout)
    spatial = _spatial(input_shape, data_format)
    tensor = None
    if input_shape is None and include_top and grid.tensor_sets_size:
        tensor = _spatial(input_tensor_shape, data_format)

    if known_alpha is None:
        if spatial is not None:
            return FileChoice(spatial[0], None)
        if include_top:
            return FileChoice(_square(tensor, grid.all_sizes) or FALLBACK_SIZE, None)
        return FileChoice(None, None)

    sizes = grid.sizes[known_alpha]
    if spatial is None:
        size = _square(tensor, sizes) or FALLBACK_SIZE
        return FileChoice(size, variant(known_alpha, size, include_top))

    size = _square(spatial, sizes)
    if size is not None:
        return FileChoice(size, variant(known_alpha, size, include_top))
    listed = ", ".join(f"{s}x{s}" for s in sizes)
    if include_top:
        raise InputShapeError(
            f"{grid.title}: with ImageNet weights and `include_top=True` at alpha {known_alpha:g} the input "
            f"must be one of {listed}. Received: input_shape={tuple(input_shape)}. Resize your images to one "
            "of those, or use include_top=False for other sizes."
        )
    fallback = grid.file_name(known_alpha, FALLBACK_SIZE, False)
    warning = (
        f"{grid.title}: ImageNet weights at alpha {known_alpha:g} were trained at {listed}; input_shape="
        f"{tuple(input_shape)} is none of those, so {fallback} (trained at {FALLBACK_SIZE}x{FALLBACK_SIZE}) "
        "is loaded."
    )
    return FileChoice(FALLBACK_SIZE, variant(known_alpha, FALLBACK_SIZE, False), warning)
