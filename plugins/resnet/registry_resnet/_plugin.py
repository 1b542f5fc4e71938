"""ResNet's, ResNetV2's and ResNeXt's specs and official weight files; no keras import here."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from registry_core import NO_TOP, TOP, Metadata, ModelSpec, WeightFile, hookimpl

# Keras 3 serves ResNet and ResNetV2 from its bucket; ResNeXt, which Keras 3
# does not ship, keeps keras_applications' release URL (both carry the same md5s).
_KERAS_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/resnet"
_RELEASE_BASE = "https://github.com/keras-team/keras-applications/releases/download/resnet"


class _Module(NamedTuple):
    """What the models of one Keras module share."""

    preprocessing: str
    base: str
    license: str
    paper: str
    classifier: str


_MODULES = {
    # Licences as the seeds give them: Kaiming He's Caffe models (MIT),
    # Facebook's fb.resnet.torch and ResNeXt models (BSD).
    "resnet": _Module("caffe", _KERAS_BASE, "MIT",
                      "Deep Residual Learning for Image Recognition, https://arxiv.org/abs/1512.03385",
                      "predictions"),
    "resnet_v2": _Module("tf", _KERAS_BASE, "BSD",
                         "Identity Mappings in Deep Residual Networks, https://arxiv.org/abs/1603.05027",
                         "predictions"),
    "resnext": _Module("torch", _RELEASE_BASE, "BSD",
                       "Aggregated Residual Transformations for Deep Neural Networks, "
                       "https://arxiv.org/abs/1611.05431",
                       "probs"),
}


#: The blocks of stages conv2..conv5, per model.
BLOCKS = {
    "resnet50": (3, 4, 6, 3),
    "resnet101": (3, 4, 23, 3),
    "resnet152": (3, 8, 36, 3),
    "resnet50_v2": (3, 4, 6, 3),
    "resnet101_v2": (3, 4, 23, 3),
    "resnet152_v2": (3, 8, 36, 3),
    "resnext50": (3, 4, 6, 3),
    "resnext101": (3, 4, 23, 3),
}


def _weights(file_stem: str, module: _Module, top_md5: str, no_top_md5: str) -> dict:
    stem = f"{file_stem}_weights_tf_dim_ordering_tf_kernels"
    return {"imagenet": {
        TOP: WeightFile(f"{stem}.h5", f"{module.base}/{stem}.h5", top_md5, "md5", license=module.license),
        NO_TOP: WeightFile(f"{stem}_notop.h5", f"{module.base}/{stem}_notop.h5", no_top_md5, "md5",
                           license=module.license),
    }}


def _stages(module: str, blocks: tuple[int, ...]) -> dict[str, str]:
    """`conv2`..`conv5`: the last layer of each stage.

    ResNetV2's block outputs are the un-normalized residual stream, and its
    last stage is normalized by `post_bn`/`post_relu`, so conv5 taps that.
    """
    stages = {f"conv{i}": f"conv{i}_block{n}_out" for i, n in enumerate(blocks, start=2)}
    if module == "resnet_v2":
        stages["conv5"] = "post_relu"
    return stages


def _spec(name: str, module_name: str, builder: str, *, md5s: tuple[str, str], parameters: int,
          size_mb: float, top1: float, top5: float) -> ModelSpec:
    """One model; its files are named after it without underscores, as Keras names them."""
    module = _MODULES[module_name]
    return ModelSpec(
        name=name, family="resnet", builder=f"registry_resnet.{module_name}:{builder}", aliases=(builder,),
        default_size=224, min_size=32, preprocessing=module.preprocessing,  # type: ignore[arg-type]
        weights=_weights(name.replace("_", ""), module, *md5s), feature_stages=_stages(module_name, BLOCKS[name]),
        classifier=module.classifier,
        metadata=Metadata(parameters=parameters, top1=top1, top5=top5, size_mb=size_mb, paper=module.paper,
                          license=module.license),
    )


SPECS = (
    _spec("resnet50", "resnet", "ResNet50",
          md5s=("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
          parameters=25_636_712, size_mb=98, top1=0.749, top5=0.921),
    _spec("resnet101", "resnet", "ResNet101",
          md5s=("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
          parameters=44_707_176, size_mb=171, top1=0.764, top5=0.928),
    _spec("resnet152", "resnet", "ResNet152",
          md5s=("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
          parameters=60_419_944, size_mb=232, top1=0.766, top5=0.931),
    _spec("resnet50_v2", "resnet_v2", "ResNet50V2",
          md5s=("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
          parameters=25_613_800, size_mb=98, top1=0.760, top5=0.930),
    _spec("resnet101_v2", "resnet_v2", "ResNet101V2",
          md5s=("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
          parameters=44_675_560, size_mb=171, top1=0.772, top5=0.938),
    _spec("resnet152_v2", "resnet_v2", "ResNet152V2",
          md5s=("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
          parameters=60_380_648, size_mb=232, top1=0.780, top5=0.942),
    _spec("resnext50", "resnext", "ResNeXt50",
          md5s=("67a5b30d522ed92f75a1f16eef299d1a", "62527c363bdd9ec598bed41947b379fc"),
          parameters=25_097_128, size_mb=96, top1=0.777, top5=0.938),
    _spec("resnext101", "resnext", "ResNeXt101",
          md5s=("34fb605428fcc7aa4d62f44404c11509", "0f678c91647380debd923963594981b3"),
          parameters=44_315_560, size_mb=170, top1=0.787, top5=0.943),
)


@hookimpl
def registry_register_models(register: Callable[[ModelSpec], None]) -> None:
    for spec in SPECS:
        register(spec)
