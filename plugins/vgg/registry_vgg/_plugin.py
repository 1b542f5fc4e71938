"""VGG's specs and official weight files; no keras import here."""

from __future__ import annotations

from collections.abc import Callable

from registry_core import NO_TOP, TOP, Metadata, ModelSpec, WeightFile, hookimpl

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications"
_PAPER = "Very Deep Convolutional Networks for Large-Scale Image Recognition, https://arxiv.org/abs/1409.1556"
_LICENSE = "CC BY 4.0"


def _weights(model: str, top_md5: str, no_top_md5: str) -> dict:
    stem = f"{model}_weights_tf_dim_ordering_tf_kernels"
    return {"imagenet": {
        TOP: WeightFile(f"{stem}.h5", f"{_BASE}/{model}/{stem}.h5", top_md5, "md5", license=_LICENSE),
        NO_TOP: WeightFile(f"{stem}_notop.h5", f"{_BASE}/{model}/{stem}_notop.h5", no_top_md5, "md5",
                           license=_LICENSE),
    }}


_STAGES = {f"block{i}": f"block{i}_pool" for i in range(1, 6)}


SPECS = (
    ModelSpec(
        name="vgg16", family="vgg", builder="registry_vgg.vgg16:VGG16", aliases=("VGG16",),
        default_size=224, min_size=32, preprocessing="caffe", flatten_top=True,
        weights=_weights("vgg16", "64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
        feature_stages=_STAGES,
        metadata=Metadata(parameters=138_357_544, depth=23, top1=0.713, top5=0.901, size_mb=528,
                          paper=_PAPER, license=_LICENSE),
    ),
    ModelSpec(
        name="vgg19", family="vgg", builder="registry_vgg.vgg19:VGG19", aliases=("VGG19",),
        default_size=224, min_size=32, preprocessing="caffe", flatten_top=True,
        weights=_weights("vgg19", "cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6"),
        feature_stages=_STAGES,
        metadata=Metadata(parameters=143_667_240, depth=26, top1=0.713, top5=0.900, size_mb=549,
                          paper=_PAPER, license=_LICENSE),
    ),
)


@hookimpl
def registry_register_models(register: Callable[[ModelSpec], None]) -> None:
    for spec in SPECS:
        register(spec)
