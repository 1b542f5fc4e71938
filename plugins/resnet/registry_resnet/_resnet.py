"""ResNet, ResNetV2 and ResNeXt: bottleneck residual networks.

- ResNet (v1): He, Zhang, Ren & Sun, "Deep Residual Learning for Image
  Recognition", CVPR 2016, https://arxiv.org/abs/1512.03385. Post-activation
  bottlenecks, the stride on the first 1x1 convolution (the Caffe models').
- ResNetV2: He, Zhang, Ren & Sun, "Identity Mappings in Deep Residual
  Networks", ECCV 2016, https://arxiv.org/abs/1603.05027. Pre-activation
  bottlenecks; each stage downsamples in its last block (fb.resnet.torch).
- ResNeXt: Xie, Girshick, Dollar, Tu & He, "Aggregated Residual
  Transformations for Deep Neural Networks", CVPR 2017,
  https://arxiv.org/abs/1611.05431. Bottlenecks whose 3x3 convolution has 32
  groups, stored as a depthwise convolution and a `GroupSum`.

All three share the stem (7x7/2 convolution, 3x3/2 max pooling), four stages
`conv2`..`conv5` of blocks `conv{s}_block{b}`, and the head. Layer names
follow Keras (and keras_applications for ResNeXt), which is what the official
weight files are keyed by; the shortcut poolings that ResNetV2 leaves to
Keras' counter get the names a fresh session gives them, counted per build.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from keras import layers

from registry_core import BuildPlan, build_model
from registry_core import LayerNames

from ._grouped import GroupSum
from ._plugin import BLOCKS

# The converted models' BN epsilon, just above Keras' minimum of 1e-5.
_EPSILON = 1.001e-5
_GROUPS = 32


class Blocks:
    """What the blocks of one build share: the channel axis and Keras' counter names."""

    def __init__(self, plan: BuildPlan) -> None:
        self.axis = plan.channel_axis
        self.data_format = plan.data_format
        self.auto = LayerNames()

    def bn(self, x: Any, name: str) -> Any:
        return layers.BatchNormalization(axis=self.axis, epsilon=_EPSILON, name=name)(x)


def _relu(x: Any, name: str) -> Any:
    return layers.Activation("relu", name=name)(x)


def block_v1(b: Blocks, x: Any, filters: int, *, stride: int, conv_shortcut: bool, name: str) -> Any:
    """ResNet bottleneck: 1x1 (strided), 3x3, 1x1 to 4x width, each BN; ReLU after the sum."""
    shortcut = x
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = b.bn(shortcut, f"{name}_0_bn")
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _relu(b.bn(x, f"{name}_1_bn"), f"{name}_1_relu")
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = _relu(b.bn(x, f"{name}_2_bn"), f"{name}_2_relu")
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = b.bn(x, f"{name}_3_bn")
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return _relu(x, f"{name}_out")


def block_v2(b: Blocks, x: Any, filters: int, *, stride: int, conv_shortcut: bool, name: str) -> Any:
    """ResNetV2 bottleneck: BN-ReLU first, then 1x1, 3x3 (strided), 1x1 to 4x width; no ReLU after the sum."""
    preact = _relu(b.bn(x, f"{name}_preact_bn"), f"{name}_preact_relu")
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    elif stride > 1:
        shortcut = layers.MaxPooling2D(1, strides=stride, name=b.auto("max_pooling2d"))(x)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = _relu(b.bn(x, f"{name}_1_bn"), f"{name}_1_relu")
    x = layers.ZeroPadding2D(1, name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, 3, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = _relu(b.bn(x, f"{name}_2_bn"), f"{name}_2_relu")
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def block_x(b: Blocks, x: Any, filters: int, *, stride: int, conv_shortcut: bool, name: str) -> Any:
    """ResNeXt bottleneck: 1x1, grouped 3x3 (strided), 1x1 to 2x width, no biases; ReLU after the sum."""
    shortcut = x
    if conv_shortcut:
        shortcut = layers.Conv2D(2 * filters, 1, strides=stride, use_bias=False, name=f"{name}_0_conv")(x)
        shortcut = b.bn(shortcut, f"{name}_0_bn")
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_1_conv")(x)
    x = _relu(b.bn(x, f"{name}_1_bn"), f"{name}_1_relu")
    width = filters // _GROUPS
    x = layers.ZeroPadding2D(1, name=f"{name}_2_pad")(x)
    x = layers.DepthwiseConv2D(3, strides=stride, depth_multiplier=width, use_bias=False,
                               name=f"{name}_2_conv")(x)
    x = GroupSum(_GROUPS, width, data_format=b.data_format, name=f"{name}_2_reduce")(x)
    x = _relu(b.bn(x, f"{name}_2_bn"), f"{name}_2_relu")
    x = layers.Conv2D(2 * filters, 1, use_bias=False, name=f"{name}_3_conv")(x)
    x = b.bn(x, f"{name}_3_bn")
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return _relu(x, f"{name}_out")


Block = Callable[..., Any]


@dataclass(frozen=True)
class Variant:
    """How one kind of residual network differs from the others.

    `widths` are the bottleneck widths of stages conv2..conv5 and `strides`
    their strides; `stride_last` puts a stage's stride in its last block
    (ResNetV2) instead of its first.
    """

    block: Block
    widths: tuple[int, int, int, int]
    strides: tuple[int, int, int, int]
    stride_last: bool
    preact: bool
    stem_bias: bool


V1 = Variant(block_v1, (64, 128, 256, 512), (1, 2, 2, 2), stride_last=False, preact=False, stem_bias=True)
V2 = Variant(block_v2, (64, 128, 256, 512), (2, 2, 2, 1), stride_last=True, preact=True, stem_bias=True)
NEXT = Variant(block_x, (128, 256, 512, 1024), (1, 2, 2, 2), stride_last=False, preact=False, stem_bias=False)


def stack(b: Blocks, x: Any, variant: Variant, filters: int, blocks: int, stride: int, name: str) -> Any:
    """One stage: a block with a projection shortcut, then `blocks - 1` more, one of them strided."""
    strided = blocks if variant.stride_last else 1
    for i in range(1, blocks + 1):
        x = variant.block(b, x, filters, stride=stride if i == strided else 1, conv_shortcut=i == 1,
                          name=f"{name}_block{i}")
    return x


def resnet_body(img_input: Any, plan: BuildPlan, *, variant: Variant, blocks: Sequence[int]) -> Any:
    """The generic residual network: `blocks[s]` blocks in stage `conv{s + 2}`."""
    b = Blocks(plan)
    x = layers.ZeroPadding2D(3, name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=variant.stem_bias, name="conv1_conv")(x)
    if not variant.preact:
        x = _relu(b.bn(x, "conv1_bn"), "conv1_relu")
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, n, stride) in enumerate(zip(variant.widths, blocks, variant.strides), start=2):
        x = stack(b, x, variant, filters, n, stride, f"conv{stage}")
    if variant.preact:
        x = _relu(b.bn(x, "post_bn"), "post_relu")
    if plan.include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        return layers.Dense(plan.classes, activation=plan.classifier_activation, name=plan.spec.classifier)(x)
    if plan.pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if plan.pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def build(model: str, variant: Variant, include_top: bool, weights: Any, input_tensor: Any, input_shape: Any,
          pooling: str | None, classes: int, classifier_activation: Any, name: str) -> Any:
    """Registered `model`, a `variant` network with the model's blocks; the builders' arguments."""
    return build_model(
        model, resnet_body, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes, classifier_activation=classifier_activation,
        name=name, variant=variant, blocks=BLOCKS[model],
    )
