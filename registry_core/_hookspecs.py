"""The hooks a plugin may implement.

A plugin module (the target of an entry point in the `registry_core` group)
defines functions decorated with `hookimpl`; each receives a `register`
callback and calls it once per item, so the core can validate every entry and
knows which plugin sent it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pluggy

from ._spec import ModelSpec, WeightFile

PROJECT_NAME = "registry_core"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: Maps a weight file to candidate URLs (https, http or file), best first.
WeightSource = Callable[[WeightFile], Iterable[str]]


@hookspec
def registry_register_models(register: Callable[[ModelSpec], None]) -> None:
    """Register models: call `register(spec)` once per `ModelSpec`."""


@hookspec
def registry_register_weight_sources(register: Callable[[WeightSource], None]) -> None:
    """Register weight sources: call `register(source)` once per source.

    A source is a callable taking a `WeightFile` and returning candidate URLs.
    The store tries them after `REGISTRY_WEIGHTS_MIRROR` and before the origin.
    """
