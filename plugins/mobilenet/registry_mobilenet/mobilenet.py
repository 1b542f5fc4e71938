"""MobileNet (Keras module `keras.applications.mobilenet`).

MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications. Howard, Zhu, Chen, Kalenichenko, Wang, Weyand, Andreetto &
Adam, 2017, https://arxiv.org/abs/1704.04861.
A strided 3x3 convolution, then thirteen depthwise-separable blocks (a 3x3
depthwise convolution and a 1x1 pointwise one, each with batch norm and
ReLU6), five of them strided; `alpha` scales every width. The top pools
globally and classifies with a 1x1 convolution (`conv_preds`). Layer names
follow Keras, which is what the official weight files are keyed by.
"""

from __future__ import annotations

from typing import Any

from keras import layers

from registry_core import BuildPlan
from registry_core import preprocess_input as _preprocess
from registry_core import LayerNames, pooled_head
from registry_core import decode_predictions

from ._builder import build_on_grid
from ._plugin import MOBILENET_GRID

__all__ = ["MobileNet", "decode_predictions", "preprocess_input"]

# (pointwise filters, stride) of depthwise-separable blocks 1..13.
_BLOCKS = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
)


def stem(x: Any, filters: int, axis: int) -> Any:
    """The strided 3x3 convolution, batch norm and ReLU6."""
    x = layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=False, name="conv1")(x)
    x = layers.BatchNormalization(axis=axis, name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def separable_block(x: Any, filters: int, depth_multiplier: int, strides: int, block_id: int, axis: int) -> Any:
    """Depthwise 3x3 and pointwise 1x1 convolutions, each with batch norm and ReLU6.

    A strided block pads one row and column at the bottom and right, then
    convolves without padding, as the published weights were trained.
    """
    padding = "same"
    if strides == 2:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
        padding = "valid"
    x = layers.DepthwiseConv2D(3, strides=strides, padding=padding, depth_multiplier=depth_multiplier,
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def mobilenet_body(img_input: Any, plan: BuildPlan, *, alpha: float, depth_multiplier: int,
                   dropout: float) -> Any:
    """The generic MobileNet at width `alpha`."""
    axis = plan.channel_axis
    x = stem(img_input, int(32 * alpha), axis)
    for block_id, (filters, strides) in enumerate(_BLOCKS, start=1):
        x = separable_block(x, int(filters * alpha), depth_multiplier, strides, block_id, axis)
    if plan.include_top:
        # Keras leaves the pooling layer to its counter: this is a fresh session's name.
        x = layers.GlobalAveragePooling2D(keepdims=True, name="global_average_pooling2d")(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(plan.classes, 1, padding="same", name="conv_preds")(x)
        x = layers.Reshape((plan.classes,), name="reshape_2")(x)
        return layers.Activation(plan.classifier_activation, name="predictions")(x)
    return pooled_head(x, plan, LayerNames())


def MobileNet(
    input_shape: Any = None,
    alpha: float = 1.0,
    depth_multiplier: int = 1,
    dropout: float = 1e-3,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str | None = None,
) -> Any:
    """MobileNet at width `alpha`, optionally with ImageNet weights; arguments as in `keras.applications`.

    ImageNet weights exist for alpha 0.25, 0.5, 0.75 and 1.0 at 128, 160, 192
    and 224; the file trained at the input's size loads (at 224 when the size
    is unset, or without top off that grid, with a warning).
    """
    return build_on_grid(
        "mobilenet", MOBILENET_GRID, mobilenet_body, name_prefix="mobilenet", alpha=alpha,
        depth_multiplier=depth_multiplier, dropout=dropout, include_top=include_top, weights=weights,
        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, name=name,
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """TF-style: scale RGB values in 0..255 to -1..1."""
    return _preprocess(x, mode="tf", data_format=data_format)
