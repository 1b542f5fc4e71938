"""The plugin: data first (the spec), then the hook. No keras import here.

Discovery imports this module for every `registry list`, so it must stay
cheap: the architecture lives in `model.py`, named by `builder` as a string
and imported only when someone builds the model.
"""

from __future__ import annotations

from collections.abc import Callable

from registry_core import Metadata, ModelSpec, hookimpl

SPEC = ModelSpec(
    name="tiny_convnet",
    family="tinynet",
    builder="registry_tinynet.model:TinyConvNet",
    aliases=("TinyConvNet",),
    default_size=64,
    # Three stride-2 convolutions: below 32 pixels the last feature map would be 4x4 or less,
    # which this example declares too small (the core enforces it, and reports it clearly).
    min_size=32,
    preprocessing="tf",
    feature_stages={"stage1": "stage1_relu", "stage2": "stage2_relu", "stage3": "stage3_relu"},
    # No pretrained weights: `weights` stays empty, so only weights=None or a path are accepted.
    metadata=Metadata(parameters=89_032, paper="(example model, no paper)", license="Apache-2.0"),
)


@hookimpl
def registry_register_models(register: Callable[[ModelSpec], None]) -> None:
    register(SPEC)
