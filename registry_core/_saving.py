"""Reloading saved `.keras` models whose layers come from registry plugins.

Keras registers a custom layer when its module is imported, and on reload it
imports only its own packages, so a fresh process meets a plugin's layer (ResNeXt's
`GroupSum`, InceptionResNetV2's `CustomScaleLayer`) as unknown. The file's config
names each layer's module; those of installed plugins are imported first. Modules
of anything else are left to Keras' own rules (`safe_mode`, `custom_objects`):
a file does not get to choose what is imported.
"""

from __future__ import annotations

import importlib
import json
import os
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

from ._errors import InvalidArgumentError


def config_modules(config: Any) -> Iterator[str]:
    """Every `module` a Keras serialization config names for a registered object."""
    if isinstance(config, dict):
        if isinstance(config.get("module"), str) and isinstance(config.get("registered_name"), str):
            yield config["module"]
        for value in config.values():
            yield from config_modules(value)
    elif isinstance(config, list):
        for value in config:
            yield from config_modules(value)


def _saved_config(path: str | os.PathLike[str]) -> Any:
    """The model config of a `.keras` archive; None for other formats (Keras reports those)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def import_plugin_modules(path: str | os.PathLike[str], packages: Iterable[str]) -> list[str]:
    """Import the modules of `packages` that the saved model at `path` names; return them."""
    allowed = set(packages)
    wanted = sorted({m for m in config_modules(_saved_config(path)) if m.partition(".")[0] in allowed})
    for module in wanted:
        importlib.import_module(module)
    return wanted


def load_model(path: str | os.PathLike[str], packages: Iterable[str], **kwargs: Any) -> Any:
    """`keras.models.load_model(path, **kwargs)` after importing the plugin modules it needs."""
    if not os.path.isfile(path):
        raise InvalidArgumentError(
            f"No saved model at {os.fspath(path)!r}. Pass the path of a `.keras` file written by model.save()."
        )
    import_plugin_modules(path, packages)
    import keras

    return keras.models.load_model(path, **kwargs)
