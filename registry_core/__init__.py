"""registry-core: a plugin-based registry of pretrained Keras image classifiers.

    from registry_core import registry
    model = registry.get("nasnet_large")(weights="imagenet")

Importing this package never imports keras or tensorflow.
"""

from ._blocks import LayerNames, pooled_head
from ._build import BuildPlan, build_model
from ._decode import decode_predictions
from ._download import DownloadPolicy
from ._errors import (
    ChecksumMismatchError,
    DownloadError,
    DuplicateModelError,
    InputShapeError,
    InvalidArgumentError,
    InvalidSpecError,
    OfflineError,
    PluginError,
    PluginLoadWarning,
    RegistryError,
    UnknownModelError,
    UnsafeSourceError,
    WeightsError,
    WeightsMismatchError,
)
from ._hookspecs import WeightSource, hookimpl, hookspec
from ._images import load_image
from ._loading import PluginInfo
from ._preprocess import preprocess_input
from ._registry import ModelBuilder, Registry, registry
from ._shapes import ShapePlan, plan_input
from ._spec import NO_TOP, TOP, DataConfig, Metadata, ModelSpec, WeightFile
from ._store import WeightStore

__all__ = [
    "BuildPlan",
    "ChecksumMismatchError",
    "DataConfig",
    "DownloadError",
    "DownloadPolicy",
    "DuplicateModelError",
    "InputShapeError",
    "InvalidArgumentError",
    "InvalidSpecError",
    "LayerNames",
    "Metadata",
    "ModelBuilder",
    "ModelSpec",
    "NO_TOP",
    "OfflineError",
    "PluginError",
    "PluginInfo",
    "PluginLoadWarning",
    "Registry",
    "RegistryError",
    "ShapePlan",
    "TOP",
    "UnknownModelError",
    "UnsafeSourceError",
    "WeightFile",
    "WeightSource",
    "WeightStore",
    "WeightsError",
    "WeightsMismatchError",
    "build_model",
    "decode_predictions",
    "hookimpl",
    "hookspec",
    "load_image",
    "plan_input",
    "pooled_head",
    "preprocess_input",
    "registry",
]
