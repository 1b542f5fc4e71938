"""MobileNet's and MobileNetV2's specs and official weight files; no keras import here.

Each model has one file per (alpha, input size), with and without top: the
default configuration's (alpha 1.0 at 224) are the variants `top` and
`no_top` every family has, the others `alpha_<alpha>/<size>/top|no_top`. The publisher gives no hash
for any of them, so the store pins each on first download.
"""

from __future__ import annotations

from collections.abc import Callable

from registry_core import NO_TOP, TOP, Metadata, ModelSpec, WeightFile, hookimpl

from ._rules import Grid, variant

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications"
_LICENSE = "Apache-2.0"
_V1_PAPER = ("MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications, "
             "https://arxiv.org/abs/1704.04861")
_V2_PAPER = "MobileNetV2: Inverted Residuals and Linear Bottlenecks, https://arxiv.org/abs/1801.04381"
# The official names spell alpha as two digits without the point.
_V1_ALPHA_TEXT = {0.25: "2_5", 0.5: "5_0", 0.75: "7_5", 1.0: "1_0"}


def _v1_file(alpha: float, size: int, include_top: bool) -> str:
    return f"mobilenet_{_V1_ALPHA_TEXT[alpha]}_{size}_tf{'' if include_top else '_no_top'}.h5"


def _v2_file(alpha: float, size: int, include_top: bool) -> str:
    suffix = "" if include_top else "_no_top"
    return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{size}{suffix}.h5"


MOBILENET_GRID = Grid(
    title="MobileNet",
    sizes={alpha: (128, 160, 192, 224) for alpha in _V1_ALPHA_TEXT},
    file_name=_v1_file,
    all_sizes=(128, 160, 192, 224),
    tensor_sets_size=False,
    depth_multiplier_free=True,
    min_alpha=1 / 32,
)
MOBILENET_V2_GRID = Grid(
    title="MobileNetV2",
    sizes={**{alpha: (96, 128, 160, 192, 224) for alpha in (0.35, 0.5, 0.75, 1.0)}, 1.3: (224,), 1.4: (224,)},
    file_name=_v2_file,
    all_sizes=(96, 128, 160, 192, 224),
    tensor_sets_size=True,
    depth_multiplier_free=False,
)


def _weights(grid: Grid, folder: str) -> dict:
    def file(alpha: float, size: int, include_top: bool) -> WeightFile:
        name = grid.file_name(alpha, size, include_top)
        return WeightFile(name, f"{_BASE}/{folder}/{name}", license=_LICENSE)

    return {"imagenet": {variant(*key): file(*key) for key in sorted(grid.files(), key=_default_first)}}


def _default_first(key: tuple[float, int, bool]) -> tuple[bool, float, int, bool]:
    alpha, size, include_top = key
    return (variant(*key) not in (TOP, NO_TOP), alpha, size, not include_top)


SPECS = (
    ModelSpec(
        name="mobilenet", family="mobilenet", builder="registry_mobilenet.mobilenet:MobileNet",
        aliases=("MobileNet",), default_size=224, min_size=32, preprocessing="tf",
        classifier="conv_preds", weights=_weights(MOBILENET_GRID, "mobilenet"),
        feature_stages={
            "stride2": "conv_pw_1_relu", "stride4": "conv_pw_3_relu", "stride8": "conv_pw_5_relu",
            "stride16": "conv_pw_11_relu", "stride32": "conv_pw_13_relu",
        },
        metadata=Metadata(parameters=4_253_864, depth=88, top1=0.704, top5=0.895, size_mb=16,
                          paper=_V1_PAPER, license=_LICENSE),
    ),
    ModelSpec(
        name="mobilenet_v2", family="mobilenet", builder="registry_mobilenet.mobilenet_v2:MobileNetV2",
        aliases=("MobileNetV2",), default_size=224, min_size=32, preprocessing="tf",
        weights=_weights(MOBILENET_V2_GRID, "mobilenet_v2"),
        # The last block output at each resolution, and the final ReLU.
        feature_stages={
            "stride2": "expanded_conv_project_BN", "stride4": "block_2_add", "stride8": "block_5_add",
            "stride16": "block_12_add", "stride32": "out_relu",
        },
        metadata=Metadata(parameters=3_538_984, depth=88, top1=0.713, top5=0.901, size_mb=14,
                          paper=_V2_PAPER, license=_LICENSE),
    ),
)


@hookimpl
def registry_register_models(register: Callable[[ModelSpec], None]) -> None:
    for spec in SPECS:
        register(spec)
