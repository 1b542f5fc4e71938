"""Which spec (and registry) a builder call runs under.

`registry.get(name)(...)` sets it, so a registry whose spec points at other
weight files (a test registry, a mirror) governs the build; a Keras-style
call such as `VGG16(...)` finds none and uses the default registry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._spec import ModelSpec

_ACTIVE: ContextVar[tuple[ModelSpec, Any] | None] = ContextVar("registry_core_active_spec", default=None)


@contextlib.contextmanager
def active_spec(spec: ModelSpec, registry: Any) -> Iterator[None]:
    token = _ACTIVE.set((spec, registry))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def current(name: str) -> tuple[ModelSpec, Any]:
    """The spec named `name` and its registry: the active one, else the default's."""
    active = _ACTIVE.get()
    if active is not None and active[0].name == name:
        return active
    from ._registry import registry

    return registry.info(name), registry
