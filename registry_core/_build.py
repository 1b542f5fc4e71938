"""The one generic build path every architecture goes through.

An architecture module supplies `body(img_input, plan, **family_args)`, which
returns the model's output tensor (top or pooling included) and names its
layers deterministically. `build_model` applies the shared rules, resolves
the weight file *before* building (a missing file fails fast, with no keras
work wasted), creates the input, builds, and loads the weights.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._context import current
from ._shapes import Shape, plan_input
from ._spec import NO_TOP, TOP, ModelSpec


@dataclass(frozen=True)
class BuildPlan:
    """The resolved arguments an architecture body builds from."""

    spec: ModelSpec
    include_top: bool
    pooling: str | None
    classes: int
    classifier_activation: Any
    data_format: str
    input_shape: Shape
    new_head: bool

    @property
    def channel_axis(self) -> int:
        """The channel axis of a 4-D image batch in this data format."""
        return 1 if self.data_format == "channels_first" else -1


def build_model(
    model: str,
    body: Callable[..., Any],
    *,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str | None = None,
    default_size: int | None = None,
    weights_variant: str | None = None,
    **family_args: Any,
) -> Any:
    """Build registered model `model` with `body`; see the module docstring.

    `default_size` overrides the spec's (MobileNet picks it from the input);
    `weights_variant` overrides the plain `"top"`/`"no_top"` file choice.
    """
    import keras

    spec, registry = current(model)
    data_format = keras.config.image_data_format()
    tensor_shape = None if input_tensor is None else tuple(input_tensor.shape)[1:]
    plan = plan_input(
        spec, include_top=include_top, weights=weights, input_shape=input_shape,
        input_tensor_shape=tensor_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, data_format=data_format, default_size=default_size,
    )
    weights_path: str | os.PathLike[str] | None = plan.weights_path
    if plan.pretrained is not None:
        variant = weights_variant or (TOP if include_top else NO_TOP)
        weights_path = registry.store.fetch(spec.weight_file(plan.pretrained, variant))

    if input_tensor is None:
        img_input = keras.layers.Input(shape=plan.input_shape)
    elif keras.backend.is_keras_tensor(input_tensor):
        img_input = input_tensor
    else:
        img_input = keras.layers.Input(tensor=input_tensor, shape=plan.input_shape)

    build = BuildPlan(spec, include_top, pooling, classes, classifier_activation, data_format,
                      plan.input_shape, plan.new_head)
    outputs = body(img_input, build, **family_args)
    inputs = keras.utils.get_source_inputs(input_tensor) if input_tensor is not None else img_input
    result = keras.Model(inputs, outputs, name=name or spec.name)

    if weights_path is not None:
        from ._loader import load_weights

        load_weights(result, weights_path, skip=(spec.classifier,) if plan.new_head else ())
    return result
