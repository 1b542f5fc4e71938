"""VGG: Very Deep Convolutional Networks for Large-Scale Image Recognition.

Simonyan & Zisserman, ICLR 2015, https://arxiv.org/abs/1409.1556.
Stacks of 3x3 convolutions in five blocks, each closed by 2x2 max pooling,
then two 4096-wide fully connected layers. Layer names follow Keras
(`block{b}_conv{c}`, `block{b}_pool`, `fc1`, `fc2`, `predictions`), which is
what the official weight files are keyed by.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras import layers

from registry_core import BuildPlan
from registry_core import LayerNames, pooled_head

_WIDTHS = (64, 128, 256, 512, 512)


def conv_block(x: Any, block: int, convs: int, filters: int) -> Any:
    """`convs` same-padded 3x3 ReLU convolutions, then 2x2 max pooling."""
    for i in range(1, convs + 1):
        x = layers.Conv2D(filters, 3, activation="relu", padding="same", name=f"block{block}_conv{i}")(x)
    return layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)


def vgg_body(img_input: Any, plan: BuildPlan, *, convs: Sequence[int]) -> Any:
    """The generic VGG: `convs[b]` convolutions in block `b + 1`."""
    x = img_input
    for block, (n, filters) in enumerate(zip(convs, _WIDTHS), start=1):
        x = conv_block(x, block, n, filters)
    if plan.include_top:
        # In channels_first, Flatten moves the channels last before flattening,
        # so fc1 sees the features in the order the official weights were trained on.
        x = layers.Flatten(data_format=plan.data_format, name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        return layers.Dense(plan.classes, activation=plan.classifier_activation, name="predictions")(x)
    return pooled_head(x, plan, LayerNames())
