"""MobileNetV2 (Keras module `keras.applications.mobilenet_v2`).

MobileNetV2: Inverted Residuals and Linear Bottlenecks. Sandler, Howard,
Zhu, Zhmoginov & Chen, CVPR 2018, https://arxiv.org/abs/1801.04381.
A strided 3x3 convolution, then seventeen inverted residual blocks (a 1x1
expansion, a 3x3 depthwise convolution, a linear 1x1 projection, and a
shortcut where the shape allows), then a 1x1 convolution to 1280 channels;
`alpha` scales the widths, rounded to multiples of 8. Layer names follow
Keras, which is what the official weight files are keyed by.
"""

from __future__ import annotations

from typing import Any

from keras import layers

from registry_core import BuildPlan
from registry_core import preprocess_input as _preprocess
from registry_core import LayerNames, pooled_head
from registry_core import decode_predictions

from ._builder import build_on_grid
from ._plugin import MOBILENET_V2_GRID

__all__ = ["MobileNetV2", "decode_predictions", "preprocess_input"]

# The paper's table 2: (expansion t, output channels c, repeats n, first stride s).
_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
           (6, 320, 1, 1))
# The converted TF-slim checkpoints were trained with these BN settings.
_BN = {"epsilon": 1e-3, "momentum": 0.999}


def round_filters(value: float, divisor: int = 8) -> int:
    """`value` to the nearest multiple of `divisor` (at least `divisor`), never 10% or more below it."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def downsample_padding(x: Any, data_format: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Padding that makes a strided 3x3 valid convolution match TF's 'SAME'.

    One row (column) after; one before as well when the size is odd. An
    unknown size is padded as an even one.
    """
    sizes = x.shape[2:4] if data_format == "channels_first" else x.shape[1:3]
    rows, cols = ((0 if n is None else n % 2, 1) for n in sizes)
    return rows, cols


def inverted_residual_block(x: Any, plan: BuildPlan, *, expansion: int, filters: int, strides: int,
                            block_id: int) -> Any:
    """Expand (unless `expansion` is 1), depthwise 3x3, project linearly; add the input where shapes allow."""
    axis = plan.channel_axis
    in_channels = x.shape[axis]
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
    y = x
    if expansion != 1:
        y = layers.Conv2D(expansion * in_channels, 1, padding="same", use_bias=False, name=f"{prefix}expand")(y)
        y = layers.BatchNormalization(axis=axis, name=f"{prefix}expand_BN", **_BN)(y)
        y = layers.ReLU(6.0, name=f"{prefix}expand_relu")(y)
    padding = "same"
    if strides == 2:
        y = layers.ZeroPadding2D(downsample_padding(y, plan.data_format), name=f"{prefix}pad")(y)
        padding = "valid"
    y = layers.DepthwiseConv2D(3, strides=strides, padding=padding, use_bias=False, name=f"{prefix}depthwise")(y)
    y = layers.BatchNormalization(axis=axis, name=f"{prefix}depthwise_BN", **_BN)(y)
    y = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(y)
    y = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=f"{prefix}project")(y)
    y = layers.BatchNormalization(axis=axis, name=f"{prefix}project_BN", **_BN)(y)
    if strides == 1 and in_channels == filters:
        return layers.Add(name=f"{prefix}add")([x, y])
    return y


def mobilenet_v2_body(img_input: Any, plan: BuildPlan, *, alpha: float) -> Any:
    """The generic MobileNetV2 at width `alpha`."""
    axis = plan.channel_axis
    x = layers.Conv2D(round_filters(32 * alpha), 3, strides=2, padding="same", use_bias=False, name="Conv1")(img_input)
    x = layers.BatchNormalization(axis=axis, name="bn_Conv1", **_BN)(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    block_id = 0
    for expansion, channels, repeats, first_stride in _STAGES:
        for i in range(repeats):
            x = inverted_residual_block(x, plan, expansion=expansion, filters=round_filters(int(channels * alpha)),
                                        strides=first_stride if i == 0 else 1, block_id=block_id)
            block_id += 1
    # Only widening scales the last convolution; narrower models keep 1280.
    last = round_filters(1280 * alpha) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, 1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(axis=axis, name="Conv_1_bn", **_BN)(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    # Keras leaves the top's pooling layer to its counter: this is a fresh session's name.
    return pooled_head(x, plan, LayerNames(), pool_name="global_average_pooling2d")


def MobileNetV2(
    input_shape: Any = None,
    alpha: float = 1.0,
    depth_multiplier: int = 1,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str | None = None,
) -> Any:
    """MobileNetV2 at width `alpha`, optionally with ImageNet weights; arguments as in the seeds.

    ImageNet weights exist for alpha 0.35, 0.5, 0.75 and 1.0 at 96, 128, 160,
    192 and 224, and for 1.3 and 1.4 at 224; the file trained at the input's
    size loads (at 224 when the size is unset, or without top off that grid,
    with a warning). `depth_multiplier` is the seeds' argument: only 1.
    """
    return build_on_grid(
        "mobilenet_v2", MOBILENET_V2_GRID, mobilenet_v2_body, name_prefix="mobilenetv2", alpha=alpha,
        depth_multiplier=depth_multiplier, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes, classifier_activation=classifier_activation,
        name=name,
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """TF-style: scale RGB values in 0..255 to -1..1."""
    return _preprocess(x, mode="tf", data_format=data_format)
