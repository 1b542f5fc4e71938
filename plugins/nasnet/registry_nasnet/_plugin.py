"""NASNet's specs and official weight files; no keras import here."""

from __future__ import annotations

from collections.abc import Callable

from registry_core import NO_TOP, TOP, Metadata, ModelSpec, WeightFile, hookimpl

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet"
_PAPER = "Learning Transferable Architectures for Scalable Image Recognition, https://arxiv.org/abs/1707.07012"
# Converted from the TF-slim checkpoints of tensorflow/models, published under Apache 2.0.
_LICENSE = "Apache-2.0"


def _weights(model: str, stem: str, top_md5: str, no_top_md5: str) -> dict:
    """The publisher's `{stem}.h5`, named `{model}.h5` as Keras names it, so Keras' cache is reused."""
    return {"imagenet": {
        TOP: WeightFile(f"{model}.h5", f"{_BASE}/{stem}.h5", top_md5, "md5", license=_LICENSE),
        NO_TOP: WeightFile(f"{model}_no_top.h5", f"{_BASE}/{stem}-no-top.h5", no_top_md5, "md5",
                           license=_LICENSE),
    }}


# One stage per resolution: the last cell output at that resolution after its
# ReLU, i.e. the ReLU through which the next reduction cell reads it (the same
# taps as timm's feature_info), and the final ReLU. Keras leaves these
# layers to its counter; the names are the ones a fresh session gives.
def _stages(*relus: str) -> dict[str, str]:
    names = ("activation", "activation_11", *relus)
    return dict(zip(("stride2", "stride4", "stride8", "stride16", "stride32"), names))


SPECS = (
    ModelSpec(
        name="nasnet_mobile", family="nasnet", builder="registry_nasnet.nasnet:NASNetMobile",
        aliases=("NASNetMobile",), default_size=224, min_size=32, preprocessing="tf",
        static_pretrained_shape=True,
        weights=_weights("nasnet_mobile", "NASNet-mobile", "020fb642bf7360b370c678b08e0adf61",
                         "1ed92395b5b598bdda52abe5c0dbfd63"),
        feature_stages=_stages("activation_70", "activation_129", "activation_187"),
        metadata=Metadata(parameters=5_326_716, top1=0.744, top5=0.919, size_mb=23, paper=_PAPER,
                          license=_LICENSE),
    ),
    ModelSpec(
        name="nasnet_large", family="nasnet", builder="registry_nasnet.nasnet:NASNetLarge",
        aliases=("NASNetLarge",), default_size=331, min_size=32, preprocessing="tf",
        static_pretrained_shape=True,
        weights=_weights("nasnet_large", "NASNet-large", "11577c9a518f0070763c2b964a382f17",
                         "d81d89dc07e6e56530c4e77faddd61b5"),
        feature_stages=_stages("activation_94", "activation_177", "activation_259"),
        metadata=Metadata(parameters=88_949_818, top1=0.825, top5=0.960, size_mb=343, paper=_PAPER,
                          license=_LICENSE),
    ),
)


@hookimpl
def registry_register_models(register: Callable[[ModelSpec], None]) -> None:
    for spec in SPECS:
        register(spec)
