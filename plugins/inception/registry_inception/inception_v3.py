"""InceptionV3 (Keras module `keras.applications.inception_v3`).

Rethinking the Inception Architecture for Computer Vision. Szegedy, Vanhoucke,
Ioffe, Shlens & Wojna, CVPR 2016, https://arxiv.org/abs/1512.00567.
The stem, three 35x35 modules (mixed0-2), a grid reduction (mixed3), four
17x17 modules whose 7x7 convolutions are factorized into 1x7 and 7x1
(mixed4-7), a second reduction (mixed8) and two 8x8 modules with expanded
filter banks (mixed9, mixed10). Keras names only the concatenations; every
other layer gets the name a fresh Keras session gives it (see `_inception`).
"""

from __future__ import annotations

from typing import Any

from registry_core import BuildPlan, build_model
from registry_core import pooled_head
from registry_core import decode_predictions

from ._inception import Units, module_35, preprocess_input, reduction_35, stem

__all__ = ["InceptionV3", "decode_predictions", "preprocess_input"]


def module_17(u: Units, x: Any, width: int, name: str) -> Any:
    """1x1, factorized 7x7 and double factorized 7x7 branches (inner `width`) and a pooled projection."""
    branches = (
        u.conv_bn(x, 192, 1),
        u.chain(x, (width, 1), (width, (1, 7)), (192, (7, 1))),
        u.chain(x, (width, 1), (width, (7, 1)), (width, (1, 7)), (width, (7, 1)), (192, (1, 7))),
        u.conv_bn(u.avg_pool(x), 192, 1),
    )
    return u.concat(branches, name)


def reduction_17(u: Units, x: Any) -> Any:
    """17x17 to 8x8: a strided 3x3, a factorized 7x7 then strided 3x3, and max pooling."""
    branches = (
        u.reduce(u.conv_bn(x, 192, 1), 320),
        u.reduce(u.chain(x, (192, 1), (192, (1, 7)), (192, (7, 1))), 192),
        u.max_pool(x),
    )
    return u.concat(branches, "mixed8")


def split_3x3(u: Units, x: Any, name: str | None = None) -> Any:
    """A 3x3 convolution expanded into parallel 1x3 and 3x1 halves, concatenated."""
    return u.concat((u.conv_bn(x, 384, (1, 3)), u.conv_bn(x, 384, (3, 1))), name)


def module_8(u: Units, x: Any, index: int) -> Any:
    """The 8x8 module with expanded filter banks; Keras names its outer and first inner concatenation."""
    branches = (
        u.conv_bn(x, 320, 1),
        split_3x3(u, u.conv_bn(x, 384, 1), f"mixed9_{index}"),
        split_3x3(u, u.chain(x, (448, 1), (384, 3))),
        u.conv_bn(u.avg_pool(x), 192, 1),
    )
    return u.concat(branches, f"mixed{9 + index}")


def inception_v3_body(img_input: Any, plan: BuildPlan) -> Any:
    u = Units(plan)
    x = stem(u, img_input)
    for i, pool_filters in enumerate((32, 64, 64)):
        x = module_35(u, x, filters_1x1=64, pool_filters=pool_filters, name=f"mixed{i}")
    x = reduction_35(u, x, k=64, l=96, m=96, n=384, name="mixed3")
    for i, width in enumerate((128, 160, 160, 192), start=4):
        x = module_17(u, x, width, f"mixed{i}")
    x = reduction_17(u, x)
    for i in range(2):
        x = module_8(u, x, i)
    return pooled_head(x, plan, u.names)


def InceptionV3(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "inception_v3",
) -> Any:
    """InceptionV3, optionally with ImageNet weights; arguments as in `keras.applications`."""
    return build_model(
        "inception_v3", inception_v3_body, include_top=include_top, weights=weights,
        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, name=name,
    )
