"""Finding plugins through entry points, one at a time, each guarded.

pluggy's own `load_setuptools_entrypoints` stops at the first plugin that
fails to import and silently skips a second plugin reusing an entry-point
name; here every entry point is loaded on its own and every failure is kept.
"""

from __future__ import annotations

import importlib.metadata
import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ._errors import PluginLoadWarning
from ._hookspecs import PROJECT_NAME

ALLOWLIST_ENV = "REGISTRY_PLUGINS"


@dataclass(frozen=True)
class Candidate:
    """One entry point, loaded or not."""

    name: str
    value: str
    distribution: str | None
    version: str | None
    plugin: object | None = None
    error: str | None = None


def allowlist_from_env(environ: Mapping[str, str] | None = None) -> frozenset[str] | None:
    """`REGISTRY_PLUGINS`: unset loads all (None), empty loads none."""
    env = os.environ if environ is None else environ
    raw = env.get(ALLOWLIST_ENV)
    if raw is None:
        return None
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def _entry_points(group: str) -> Iterable[importlib.metadata.EntryPoint]:
    return importlib.metadata.entry_points(group=group)


def discover(
    allow: frozenset[str] | None = None, *, group: str = PROJECT_NAME
) -> list[Candidate]:
    """Load every entry point of `group` (or those named in `allow`)."""
    found: list[Candidate] = []
    entry_points = list(_entry_points(group))
    missing = sorted((allow or set()) - {ep.name for ep in entry_points})
    if missing:
        warnings.warn(
            f"{ALLOWLIST_ENV} names {', '.join(missing)}, which no installed plugin has. Installed: "
            f"{', '.join(sorted({ep.name for ep in entry_points})) or 'none'}.",
            PluginLoadWarning, stacklevel=4,
        )
    for ep in entry_points:
        if allow is not None and ep.name not in allow:
            continue
        dist = getattr(ep, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else None
        version = dist.version if dist is not None else None
        try:
            plugin = ep.load()
        except BaseException as exc:  # a plugin's import may raise anything, SystemExit included
            if isinstance(exc, KeyboardInterrupt):
                raise
            found.append(
                Candidate(ep.name, ep.value, dist_name, version,
                          error=f"importing {ep.value!r} failed: {type(exc).__name__}: {exc}")
            )
            continue
        found.append(Candidate(ep.name, ep.value, dist_name, version, plugin=plugin))
    return found
