"""TinyConvNet, the architecture of the example plugin.

Three stride-2 convolution stages (3x3 convolution, batch normalization,
ReLU), global average pooling and a dense classifier. Every layer is named, so
the names never depend on what was built before in the session, and weight
files saved by name reload into a fresh build.
"""

from __future__ import annotations

from typing import Any

from keras import layers

from registry_core import BuildPlan, build_model

_WIDTHS = (16, 32, 64)


def stage(x: Any, index: int, filters: int, plan: BuildPlan) -> Any:
    """3x3 stride-2 convolution, batch normalization, ReLU."""
    x = layers.Conv2D(filters, 3, strides=2, padding="same", name=f"stage{index}_conv")(x)
    x = layers.BatchNormalization(axis=plan.channel_axis, name=f"stage{index}_bn")(x)
    return layers.ReLU(name=f"stage{index}_relu")(x)


def tiny_body(img_input: Any, plan: BuildPlan) -> Any:
    """The network from input to output, as `build_model` expects."""
    x = img_input
    for index, filters in enumerate(_WIDTHS, start=1):
        x = stage(x, index, filters, plan)
    if plan.include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        return layers.Dense(plan.classes, activation=plan.classifier_activation, name="predictions")(x)
    if plan.pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if plan.pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def TinyConvNet(
    include_top: bool = True,
    weights: Any = None,
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "tiny_convnet",
) -> Any:
    """TinyConvNet with the Keras Applications arguments.

    `build_model` applies the shared rules (input shape, channels, pooling,
    classes, weights), creates the input, calls `tiny_body` and loads a
    weights file when `weights` is a path.
    """
    return build_model(
        "tiny_convnet", tiny_body, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, name=name,
    )
