"""DenseNet's specs and official weight files; no keras import here."""

from __future__ import annotations

from collections.abc import Callable

from registry_core import NO_TOP, TOP, Metadata, ModelSpec, WeightFile, hookimpl

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/densenet"
_PAPER = "Densely Connected Convolutional Networks, https://arxiv.org/abs/1608.06993"
# The seeds publish these weights under the original DenseNet code's BSD 3-clause licence.
_LICENSE = "BSD-3-Clause"

#: Dense layers per block of each published depth; `DenseNet(blocks)` builds any other.
BLOCKS = {"densenet121": (6, 12, 24, 16), "densenet169": (6, 12, 32, 32), "densenet201": (6, 12, 48, 32)}


def _weights(model: str, top_md5: str, no_top_md5: str) -> dict:
    stem = f"{model}_weights_tf_dim_ordering_tf_kernels"
    return {"imagenet": {
        TOP: WeightFile(f"{stem}.h5", f"{_BASE}/{stem}.h5", top_md5, "md5", license=_LICENSE),
        NO_TOP: WeightFile(f"{stem}_notop.h5", f"{_BASE}/{stem}_notop.h5", no_top_md5, "md5", license=_LICENSE),
    }}


def _stages(model: str) -> dict[str, str]:
    """The stem's ReLU, each dense block's output at strides 4 to 16, and the final ReLU."""
    taps = [f"conv{i + 2}_block{n}_concat" for i, n in enumerate(BLOCKS[model][:3])]
    return dict(zip(("stride2", "stride4", "stride8", "stride16", "stride32"), ("conv1_relu", *taps, "relu")))


def _spec(model: str, alias: str, top_md5: str, no_top_md5: str, metadata: Metadata) -> ModelSpec:
    return ModelSpec(
        name=model, family="densenet", builder=f"registry_densenet.densenet:{alias}", aliases=(alias,),
        default_size=224, min_size=32, preprocessing="torch", weights=_weights(model, top_md5, no_top_md5),
        feature_stages=_stages(model), metadata=metadata,
    )


SPECS = (
    _spec("densenet121", "DenseNet121", "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738",
          Metadata(parameters=8_062_504, depth=121, top1=0.750, top5=0.923, size_mb=33, paper=_PAPER,
                   license=_LICENSE)),
    _spec("densenet169", "DenseNet169", "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b",
          Metadata(parameters=14_307_880, depth=169, top1=0.762, top5=0.932, size_mb=57, paper=_PAPER,
                   license=_LICENSE)),
    _spec("densenet201", "DenseNet201", "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1",
          Metadata(parameters=20_242_984, depth=201, top1=0.773, top5=0.936, size_mb=80, paper=_PAPER,
                   license=_LICENSE)),
)


@hookimpl
def registry_register_models(register: Callable[[ModelSpec], None]) -> None:
    for spec in SPECS:
        register(spec)
