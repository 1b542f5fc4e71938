"""InceptionResNetV2 (Keras module `keras.applications.inception_resnet_v2`).

Inception-v4, Inception-ResNet and the Impact of Residual Connections on
Learning. Szegedy, Ioffe, Vanhoucke & Alemi, AAAI 2017,
https://arxiv.org/abs/1602.07261.
The Inception stem and a 35x35 module (mixed_5b), then three stages of
residual Inception blocks (10 x block35, 20 x block17, 10 x block8) joined by
grid reductions (mixed_6a, mixed_7a). Each block adds its branches' 1x1
projection, scaled down (0.17, 0.1, 0.2) to keep training stable, to its
input. Keras leaves the units and the scaled sums to its counter; they get
the names a fresh Keras session gives them (see `_inception`).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers, ops

from registry_core import BuildPlan, build_model
from registry_core import pooled_head
from registry_core import decode_predictions

from ._inception import Kernel, Units, module_35, preprocess_input, reduction_35, stem

__all__ = ["CustomScaleLayer", "InceptionResNetV2", "decode_predictions", "preprocess_input"]

# Each block type's branches, each a chain of (filters, kernel) units.
_BRANCHES: dict[str, tuple[tuple[tuple[int, Kernel], ...], ...]] = {
    "block35": (((32, 1),), ((32, 1), (32, 3)), ((32, 1), (48, 3), (64, 3))),
    "block17": (((192, 1),), ((128, 1), (160, (1, 7)), (192, (7, 1)))),
    "block8": (((192, 1),), ((192, 1), (224, (1, 3)), (256, (3, 1)))),
}


@keras.saving.register_keras_serializable(package="registry_inception")
class CustomScaleLayer(layers.Layer):
    """The scaled residual sum `inputs[0] + scale * inputs[1]`.

    Keras' class of the same name is not registered, so its `.keras` files do
    not reload without custom objects; this one is, as
    `registry_inception>CustomScaleLayer`, once this module is imported (any
    build imports it; a fresh process imports it before `load_model`). It
    keeps Keras' class name so that layer lists compare equal.
    """

    def __init__(self, scale: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs: list[Any]) -> Any:
        shortcut, residual = inputs
        return ops.add(shortcut, ops.multiply(residual, self.scale))

    def compute_output_shape(self, input_shape: list[tuple[int | None, ...]]) -> tuple[int | None, ...]:
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale}


def residual_block(u: Units, x: Any, block_type: str, index: int, scale: float,
                   activation: str | None = "relu") -> Any:
    """`x + scale * projection(branches(x))`, then `activation`; layers named `{block_type}_{index}_*`."""
    name = f"{block_type}_{index}"
    mixed = u.concat([u.chain(x, *convs) for convs in _BRANCHES[block_type]], f"{name}_mixed")
    up = layers.Conv2D(x.shape[u.axis], 1, padding="same", name=f"{name}_conv")(mixed)
    x = CustomScaleLayer(scale, name=u.names("custom_scale_layer"))([x, up])
    if activation is None:
        return x
    return layers.Activation(activation, name=f"{name}_ac")(x)


def reduction_17(u: Units, x: Any) -> Any:
    """17x17 to 8x8 (mixed_7a): three strided branches and max pooling."""
    branches = (
        u.reduce(u.conv_bn(x, 256, 1), 384),
        u.reduce(u.conv_bn(x, 256, 1), 288),
        u.reduce(u.chain(x, (256, 1), (288, 3)), 320),
        u.max_pool(x),
    )
    return u.concat(branches, "mixed_7a")


def inception_resnet_v2_body(img_input: Any, plan: BuildPlan) -> Any:
    u = Units(plan)
    x = stem(u, img_input)
    x = module_35(u, x, filters_1x1=96, pool_filters=64, name="mixed_5b")
    for i in range(1, 11):
        x = residual_block(u, x, "block35", i, scale=0.17)
    x = reduction_35(u, x, k=256, l=256, m=384, n=384, name="mixed_6a")
    for i in range(1, 21):
        x = residual_block(u, x, "block17", i, scale=0.1)
    x = reduction_17(u, x)
    for i in range(1, 10):
        x = residual_block(u, x, "block8", i, scale=0.2)
    x = residual_block(u, x, "block8", 10, scale=1.0, activation=None)
    x = u.conv_bn(x, 1536, 1, name="conv_7b")
    return pooled_head(x, plan, u.names)


def InceptionResNetV2(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "inception_resnet_v2",
) -> Any:
    """InceptionResNetV2, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return build_model(
        "inception_resnet_v2", inception_resnet_v2_body, include_top=include_top, weights=weights,
        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, name=name,
    )
