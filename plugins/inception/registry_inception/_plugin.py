"""InceptionV3's and InceptionResNetV2's specs and official weight files; no keras import here."""

from __future__ import annotations

from collections.abc import Callable

from registry_core import NO_TOP, TOP, Metadata, ModelSpec, WeightFile, hookimpl

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications"
# Converted from the TF-slim checkpoints of tensorflow/models, published under Apache 2.0.
_LICENSE = "Apache-2.0"


def _weights(model: str, top_md5: str, no_top_md5: str) -> dict:
    stem = f"{model}_weights_tf_dim_ordering_tf_kernels"
    return {"imagenet": {
        TOP: WeightFile(f"{stem}.h5", f"{_BASE}/{model}/{stem}.h5", top_md5, "md5", license=_LICENSE),
        NO_TOP: WeightFile(f"{stem}_notop.h5", f"{_BASE}/{model}/{stem}_notop.h5", no_top_md5, "md5",
                           license=_LICENSE),
    }}


# One stage per resolution, the last layer at it, as timm's feature_info taps
# these networks: the stem's 64- and 192-filter convolutions (their ReLUs,
# before each stem pooling), then the last module of each grid. Keras leaves
# the stem's ReLUs to its counter; the names are the ones a fresh session gives.
def _stages(stride8: str, stride16: str, stride32: str) -> dict[str, str]:
    names = ("activation_2", "activation_4", stride8, stride16, stride32)
    return dict(zip(("stride2", "stride4", "stride8", "stride16", "stride32"), names))


SPECS = (
    ModelSpec(
        name="inception_v3", family="inception", builder="registry_inception.inception_v3:InceptionV3",
        aliases=("InceptionV3",), default_size=299, min_size=75, preprocessing="tf",
        weights=_weights("inception_v3", "9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63"),
        feature_stages=_stages("mixed2", "mixed7", "mixed10"),
        metadata=Metadata(
            parameters=23_851_784, depth=159, top1=0.779, top5=0.937, size_mb=92,
            paper="Rethinking the Inception Architecture for Computer Vision, https://arxiv.org/abs/1512.00567",
            license=_LICENSE,
        ),
    ),
    ModelSpec(
        name="inception_resnet_v2", family="inception",
        builder="registry_inception.inception_resnet_v2:InceptionResNetV2",
        aliases=("InceptionResNetV2",), default_size=299, min_size=75, preprocessing="tf",
        weights=_weights("inception_resnet_v2", "e693bd0210a403b3192acc6073ad2e96",
                         "d19885ff4a710c122648d3b5c3b684e4"),
        feature_stages=_stages("block35_10_ac", "block17_20_ac", "conv_7b_ac"),
        metadata=Metadata(
            parameters=55_873_736, depth=572, top1=0.803, top5=0.953, size_mb=215,
            paper="Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning, "
                  "https://arxiv.org/abs/1602.07261",
            license=_LICENSE,
        ),
    ),
)


@hookimpl
def registry_register_models(register: Callable[[ModelSpec], None]) -> None:
    for spec in SPECS:
        register(spec)
