"""DenseNet121, DenseNet169, DenseNet201 and the generic `DenseNet` (Keras module `keras.applications.densenet`).

Densely Connected Convolutional Networks. Huang, Liu, van der Maaten &
Weinberger, CVPR 2017, https://arxiv.org/abs/1608.06993.
A strided 7x7 convolution and max pooling, then four dense blocks, each
layer of which (BN-ReLU-1x1 conv, BN-ReLU-3x3 conv) adds 32 channels
concatenated to its input, joined by transitions that halve the channels
and the resolution. Layer names follow Keras, which is what the official
weight files are keyed by; the two padding layers Keras leaves to its
counter get the names a fresh session gives them. Unlike Keras, this builds
in `channels_first` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras import layers

from registry_core import BuildPlan, InvalidArgumentError, build_model
from registry_core import preprocess_input as _preprocess
from registry_core import decode_predictions

from ._plugin import BLOCKS

__all__ = ["DenseNet", "DenseNet121", "DenseNet169", "DenseNet201", "decode_predictions", "preprocess_input"]

GROWTH_RATE = 32
_BN = {"epsilon": 1.001e-5}


def conv_block(x: Any, name: str, axis: int) -> Any:
    """One dense layer: BN-ReLU-1x1 conv (4 x growth), BN-ReLU-3x3 conv (growth), concatenated to `x`."""
    y = layers.BatchNormalization(axis=axis, name=f"{name}_0_bn", **_BN)(x)
    y = layers.Activation("relu", name=f"{name}_0_relu")(y)
    y = layers.Conv2D(4 * GROWTH_RATE, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = layers.BatchNormalization(axis=axis, name=f"{name}_1_bn", **_BN)(y)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layers.Conv2D(GROWTH_RATE, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    return layers.Concatenate(axis=axis, name=f"{name}_concat")([x, y])


def dense_block(x: Any, layers_in_block: int, name: str, axis: int) -> Any:
    for i in range(1, layers_in_block + 1):
        x = conv_block(x, f"{name}_block{i}", axis)
    return x


def transition_block(x: Any, reduction: float, name: str, axis: int) -> Any:
    """BN-ReLU-1x1 conv to `reduction` of the channels, then 2x2 average pooling."""
    x = layers.BatchNormalization(axis=axis, name=f"{name}_bn", **_BN)(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[axis] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def densenet_body(img_input: Any, plan: BuildPlan, *, blocks: Sequence[int]) -> Any:
    """The generic DenseNet with `blocks[i]` dense layers in block `i + 1`."""
    axis = plan.channel_axis
    x = layers.ZeroPadding2D(((3, 3), (3, 3)), name="zero_padding2d")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=axis, name="conv1_bn", **_BN)(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(((1, 1), (1, 1)), name="zero_padding2d_1")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, layers_in_block in enumerate(blocks, start=2):
        x = dense_block(x, layers_in_block, f"conv{stage}", axis)
        if stage < 1 + len(blocks):
            x = transition_block(x, 0.5, f"pool{stage}", axis)
    x = layers.BatchNormalization(axis=axis, name="bn", **_BN)(x)
    x = layers.Activation("relu", name="relu")(x)
    if plan.include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        return layers.Dense(plan.classes, activation=plan.classifier_activation, name="predictions")(x)
    if plan.pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if plan.pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def _published(blocks: Any, weights: Any) -> str:
    """The registered model whose rules (and weights) a build with `blocks` follows."""
    if not isinstance(blocks, (list, tuple)) or len(blocks) != 4 or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in blocks
    ):
        raise InvalidArgumentError(
            f"DenseNet: `blocks` must be four positive integers, the dense layers of each block. "
            f"Received: blocks={blocks!r}. DenseNet121 uses [6, 12, 24, 16]."
        )
    for model, published in BLOCKS.items():
        if tuple(blocks) == published:
            return model
    if isinstance(weights, str) and weights == "imagenet":
        known = "; ".join(f"{list(b)} ({m})" for m, b in BLOCKS.items())
        raise InvalidArgumentError(
            f"DenseNet: ImageNet weights exist only for blocks {known}. Received: blocks={list(blocks)}. "
            "Pass weights=None (or the path to your own weights) for other depths."
        )
    return "densenet121"  # the shape rules are the same at every depth


def DenseNet(
    blocks: Sequence[int],
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "densenet",
) -> Any:
    """A DenseNet of any depth; ImageNet weights for the blocks of DenseNet121, 169 and 201."""
    return build_model(
        _published(blocks, weights), densenet_body, include_top=include_top, weights=weights,
        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, name=name, blocks=tuple(blocks),
    )


def DenseNet121(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "densenet121") -> Any:
    """DenseNet121, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return DenseNet(BLOCKS["densenet121"], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name)


def DenseNet169(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "densenet169") -> Any:
    """DenseNet169, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return DenseNet(BLOCKS["densenet169"], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name)


def DenseNet201(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "densenet201") -> Any:
    """DenseNet201, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return DenseNet(BLOCKS["densenet201"], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Torch-style: scale RGB values in 0..255 to 0..1, then normalize with the ImageNet mean and std."""
    return _preprocess(x, mode="torch", data_format=data_format)
