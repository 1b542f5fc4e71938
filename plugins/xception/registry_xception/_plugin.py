"""Xception's spec and official weight files; no keras import here."""

from __future__ import annotations

from collections.abc import Callable

from registry_core import NO_TOP, TOP, Metadata, ModelSpec, WeightFile, hookimpl

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/xception"
_STEM = "xception_weights_tf_dim_ordering_tf_kernels"
# Trained by the Keras authors and released under the MIT licence.
_LICENSE = "MIT"

# One stage per resolution, the last layer at it, as timm's feature_info taps
# Xception: the stem's second ReLU, the residual sums closing the entry
# flow's first two blocks and the middle flow, and the final ReLU. Keras leaves
# the sums to its counter; the names are the ones a fresh session gives.
_STAGES = {
    "stride2": "block1_conv2_act",
    "stride4": "add",
    "stride8": "add_1",
    "stride16": "add_10",
    "stride32": "block14_sepconv2_act",
}

SPECS = (
    ModelSpec(
        name="xception", family="xception", builder="registry_xception.xception:Xception",
        aliases=("Xception",), default_size=299, min_size=71, preprocessing="tf",
        weights={"imagenet": {
            TOP: WeightFile(f"{_STEM}.h5", f"{_BASE}/{_STEM}.h5", "0a58e3b7378bc2990ea3b43d5981f1f6", "md5",
                            license=_LICENSE),
            NO_TOP: WeightFile(f"{_STEM}_notop.h5", f"{_BASE}/{_STEM}_notop.h5",
                               "b0042744bf5b25fce3cb969f33bebb97", "md5", license=_LICENSE),
        }},
        feature_stages=_STAGES,
        metadata=Metadata(
            parameters=22_910_480, depth=126, top1=0.790, top5=0.945, size_mb=88,
            paper="Xception: Deep Learning with Depthwise Separable Convolutions, https://arxiv.org/abs/1610.02357",
            license=_LICENSE,
        ),
    ),
)


@hookimpl
def registry_register_models(register: Callable[[ModelSpec], None]) -> None:
    for spec in SPECS:
        register(spec)
