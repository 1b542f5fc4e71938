"""The build path both MobileNets share: pick the weight file by the grid's rules, then build."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import keras

from registry_core import build_model

from ._rules import Grid, choose_file


def build_on_grid(
    model: str,
    grid: Grid,
    body: Callable[..., Any],
    *,
    name_prefix: str,
    alpha: Any,
    depth_multiplier: Any,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    name: str | None,
    dropout: Any = None,
    **kwargs: Any,
) -> Any:
    """Build `model` with the file `grid` picks; an unnamed model is named as Keras names it.

    The body gets `alpha`, plus `depth_multiplier` where the grid lets it vary
    and `dropout` where the model has one (MobileNet).
    """
    choice = choose_file(
        grid, alpha=alpha, depth_multiplier=depth_multiplier, dropout=dropout, include_top=include_top,
        pretrained=isinstance(weights, str) and weights == "imagenet", input_shape=input_shape,
        input_tensor_shape=None if input_tensor is None else tuple(input_tensor.shape)[1:],
        data_format=keras.config.image_data_format(),
    )
    family: dict[str, Any] = {"alpha": alpha}
    if grid.depth_multiplier_free:
        family["depth_multiplier"] = int(depth_multiplier)
    if dropout is not None:
        family["dropout"] = dropout
    if choice.warning:
        warnings.warn(choice.warning, UserWarning, stacklevel=3)
    return build_model(
        model, body, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, name=name or f"{name_prefix}_{alpha:0.2f}_{choice.rows}",
        default_size=choice.rows, weights_variant=choice.variant, **family, **kwargs,
    )
