"""Xception (Keras module `keras.applications.xception`).

Xception: Deep Learning with Depthwise Separable Convolutions. Chollet,
CVPR 2017, https://arxiv.org/abs/1610.02357.
Entry flow: two plain convolutions, then three blocks of two separable
convolutions closed by strided max pooling and added to a strided 1x1
projection of the block's input; middle flow: eight blocks of three separable
convolutions around identity shortcuts; exit flow: one more such downsampling
block, then two separable convolutions. Keras names the main path and leaves
the projections and sums to its counter; those get the names a fresh Keras
session gives them, counted per build.
"""

from __future__ import annotations

from typing import Any

from keras import layers

from registry_core import BuildPlan, build_model
from registry_core import preprocess_input as _preprocess
from registry_core import LayerNames, pooled_head
from registry_core import decode_predictions

__all__ = ["Xception", "decode_predictions", "preprocess_input"]


class Flow:
    """The layers of one build: its channel axis and its counter names."""

    def __init__(self, plan: BuildPlan) -> None:
        self.axis = plan.channel_axis
        self.names = LayerNames()

    def bn(self, x: Any, name: str | None = None) -> Any:
        return layers.BatchNormalization(axis=self.axis, name=name or self.names("batch_normalization"))(x)

    def separable(self, x: Any, filters: int, name: str, *, relu_first: bool = True) -> Any:
        """(ReLU,) separable 3x3, BN: `{name}_act`, `{name}`, `{name}_bn`."""
        if relu_first:
            x = layers.Activation("relu", name=f"{name}_act")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name=name)(x)
        return self.bn(x, f"{name}_bn")

    def add(self, x: Any, shortcut: Any) -> Any:
        return layers.Add(name=self.names("add"))([x, shortcut])


def downsampling_block(f: Flow, x: Any, block: int, filters: tuple[int, int], *, relu_first: bool = True) -> Any:
    """Two separable units and strided pooling, plus a strided 1x1 projection of `x`."""
    shortcut = layers.Conv2D(filters[1], 1, strides=2, padding="same", use_bias=False,
                             name=f.names("conv2d"))(x)
    shortcut = f.bn(shortcut)
    x = f.separable(x, filters[0], f"block{block}_sepconv1", relu_first=relu_first)
    x = f.separable(x, filters[1], f"block{block}_sepconv2")
    x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"block{block}_pool")(x)
    return f.add(x, shortcut)


def middle_block(f: Flow, x: Any, block: int) -> Any:
    """Three separable units of 728 filters around an identity shortcut."""
    shortcut = x
    for i in range(1, 4):
        x = f.separable(x, 728, f"block{block}_sepconv{i}")
    return f.add(x, shortcut)


def conv_unit(f: Flow, x: Any, layer: Any) -> Any:
    """`layer`, BN, ReLU, named after `layer`: the units of the first and last blocks."""
    x = f.bn(layer(x), f"{layer.name}_bn")
    return layers.Activation("relu", name=f"{layer.name}_act")(x)


def xception_body(img_input: Any, plan: BuildPlan) -> Any:
    f = Flow(plan)
    x = conv_unit(f, img_input, layers.Conv2D(32, 3, strides=2, use_bias=False, name="block1_conv1"))
    x = conv_unit(f, x, layers.Conv2D(64, 3, use_bias=False, name="block1_conv2"))
    x = downsampling_block(f, x, 2, (128, 128), relu_first=False)
    x = downsampling_block(f, x, 3, (256, 256))
    x = downsampling_block(f, x, 4, (728, 728))
    for block in range(5, 13):
        x = middle_block(f, x, block)
    x = downsampling_block(f, x, 13, (728, 1024))
    for i, filters in enumerate((1536, 2048), start=1):
        x = conv_unit(f, x, layers.SeparableConv2D(filters, 3, padding="same", use_bias=False,
                                                   name=f"block14_sepconv{i}"))
    return pooled_head(x, plan, f.names)


def Xception(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "xception",
) -> Any:
    """Xception, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return build_model(
        "xception", xception_body, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, name=name,
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """TF-style: scale RGB values in 0..255 to -1..1."""
    return _preprocess(x, mode="tf", data_format=data_format)
