"""Fixtures shared by the family tests: registries whose weights come from loopback."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from registry_core import ModelSpec, Registry, hookimpl, registry  # noqa: E402


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _OnePlugin:
    """A plugin object registering fixed specs, for `Registry(plugins=[...])`."""

    def __init__(self, *specs: ModelSpec) -> None:
        self.__name__ = "loopback"
        self._specs = specs

    @hookimpl
    def registry_register_models(self, register: Callable[[ModelSpec], None]) -> None:
        for spec in self._specs:
            register(spec)


def served_spec(spec: ModelSpec, server, files: Mapping[str, Path], tag: str = "imagenet") -> ModelSpec:
    """`spec` with every file of `tag` served from `server` under its official name.

    `files` maps a variant to the generated file standing in for it; the key
    `"*"` stands in for every variant not named, so grid families (MobileNet)
    can be exercised without knowing in advance which cell a build picks.
    Each file is served with its own md5 and size, so the store verifies it.
    """
    variants = {}
    for variant, official in spec.weights[tag].items():
        path = files.get(variant, files.get("*"))
        if path is None:
            continue
        url = server.serve(official.file_name, Path(path))
        variants[variant] = dataclasses.replace(
            official, origin=url, hash=md5_of(Path(path)), hash_algorithm="md5",
            size=Path(path).stat().st_size,
        )
    return dataclasses.replace(spec, weights={tag: variants})


@pytest.fixture
def loopback_registry(weight_server, tmp_cache) -> Callable[..., Registry]:
    """`make(name, {variant: path})`: a registry of one model whose official
    files are the given generated ones, served from loopback with their own md5."""

    def make(name: str, files: Mapping[str, Path], tag: str = "imagenet") -> Registry:
        spec = served_spec(registry.info(name), weight_server, files, tag)
        return Registry(plugins=[_OnePlugin(spec)], entry_points=False)

    return make



@pytest.fixture
def channels_first_config():
    """Keras' image data format set to channels_first for one test."""
    from .layer_checks import channels_first

    with channels_first():
        yield
