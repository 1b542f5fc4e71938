"""The Inception units both models are made of.

InceptionV3 and InceptionResNetV2 share the unit (a convolution without bias,
batch normalization without scale since a ReLU follows, the ReLU), the stem,
the 35x35 module of the paper's figure 5, the 35-to-17 grid reduction (the
Inception-v4 paper's Reduction-A) and the tf preprocessing. Keras leaves most
of these layers to its counter; `Units` gives them the names a fresh session
gives, counted per build, in the order the reference creates them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras import layers

from registry_core import BuildPlan
from registry_core import preprocess_input as _preprocess
from registry_core import LayerNames

Kernel = int | tuple[int, int]


class Units:
    """The layers of one build: its channel axis and its counter names."""

    def __init__(self, plan: BuildPlan) -> None:
        self.axis = plan.channel_axis
        self.names = LayerNames()

    def conv_bn(self, x: Any, filters: int, kernel: Kernel, *, strides: int = 1, padding: str = "same",
                name: str | None = None) -> Any:
        """Conv, BN, ReLU; a `name` gives `name`, `name_bn`, `name_ac` (InceptionResNetV2's convention)."""
        x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False,
                          name=name or self.names("conv2d"))(x)
        x = layers.BatchNormalization(axis=self.axis, scale=False,
                                      name=f"{name}_bn" if name else self.names("batch_normalization"))(x)
        return layers.Activation("relu", name=f"{name}_ac" if name else self.names("activation"))(x)

    def chain(self, x: Any, *convs: tuple[int, Kernel]) -> Any:
        """Same-padded units one after the other, each given as (filters, kernel)."""
        for filters, kernel in convs:
            x = self.conv_bn(x, filters, kernel)
        return x

    def reduce(self, x: Any, filters: int) -> Any:
        """The 3x3 stride-2 valid unit that halves the grid."""
        return self.conv_bn(x, filters, 3, strides=2, padding="valid")

    def avg_pool(self, x: Any) -> Any:
        return layers.AveragePooling2D(3, strides=1, padding="same", name=self.names("average_pooling2d"))(x)

    def max_pool(self, x: Any) -> Any:
        return layers.MaxPooling2D(3, strides=2, name=self.names("max_pooling2d"))(x)

    def concat(self, branches: Sequence[Any], name: str | None = None) -> Any:
        return layers.Concatenate(axis=self.axis, name=name or self.names("concatenate"))(list(branches))


def stem(u: Units, x: Any) -> Any:
    """Five units and two poolings: 299x299x3 to 35x35x192."""
    x = u.conv_bn(x, 32, 3, strides=2, padding="valid")
    x = u.conv_bn(x, 32, 3, padding="valid")
    x = u.conv_bn(x, 64, 3)
    x = u.max_pool(x)
    x = u.conv_bn(x, 80, 1, padding="valid")
    x = u.conv_bn(x, 192, 3, padding="valid")
    return u.max_pool(x)


def module_35(u: Units, x: Any, *, filters_1x1: int, pool_filters: int, name: str) -> Any:
    """1x1, 5x5 and double 3x3 branches and a pooled projection, concatenated."""
    branches = (
        u.conv_bn(x, filters_1x1, 1),
        u.chain(x, (48, 1), (64, 5)),
        u.chain(x, (64, 1), (96, 3), (96, 3)),
        u.conv_bn(u.avg_pool(x), pool_filters, 1),
    )
    return u.concat(branches, name)


def reduction_35(u: Units, x: Any, *, k: int, l: int, m: int, n: int, name: str) -> Any:
    """Reduction-A: a strided 3x3 (n), a strided double 3x3 (k, l, m) and max pooling."""
    branches = (
        u.reduce(x, n),
        u.reduce(u.chain(x, (k, 1), (l, 3)), m),
        u.max_pool(x),
    )
    return u.concat(branches, name)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """TF-style: scale RGB values in 0..255 to -1..1."""
    return _preprocess(x, mode="tf", data_format=data_format)
