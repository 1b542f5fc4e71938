"""Registering plugin objects and collecting what their hooks register.

Each plugin is registered and each hook called on its own, guarded: a plugin
that fails is recorded with the reason, and the others keep working. A
lookup key (a model name or alias, lowercased) claimed by two different
models holds back every model involved, under all of its keys.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pluggy

from . import _hookspecs
from ._discovery import Candidate
from ._errors import PluginError, PluginLoadWarning
from ._hookspecs import PROJECT_NAME, WeightSource
from ._spec import ModelSpec, WeightFile


@dataclass(frozen=True)
class PluginInfo:
    """What `registry.plugins()` reports about one plugin.

    `name` is the entry-point name (the module or class name for explicit
    plugins), `models` what it registered, held back or not, and `error` why
    it or one of its hooks failed; None when all went well.
    """

    name: str
    version: str | None
    distribution: str | None
    models: tuple[str, ...]
    error: str | None = None


@dataclass(frozen=True)
class PluginSource:
    """A weight source and the plugin that registered it, so the store's errors can name the plugin."""

    plugin: str
    source: WeightSource

    def __call__(self, weight_file: WeightFile) -> Iterable[str]:
        return self.source(weight_file)


def lookup_keys(spec: ModelSpec) -> set[str]:
    """The lookup keys a spec claims: its name and aliases, lowercased."""
    return {spec.name.lower(), *(a.lower() for a in spec.aliases)}


@dataclass
class Loaded:
    """The outcome of loading: usable specs, held-back keys, plugins, sources."""

    specs: dict[str, ModelSpec] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # lookup key -> spec name
    owners: dict[str, str] = field(default_factory=dict)  # spec name -> plugin label
    conflicts: dict[str, list[str]] = field(default_factory=dict)  # held-back key -> reasons
    plugins: list[PluginInfo] = field(default_factory=list)
    sources: list[PluginSource] = field(default_factory=list)


class _Pass:
    """One pass over the candidates, in order."""

    def __init__(self, candidates: list[Candidate]) -> None:
        self.candidates = candidates
        self.errors: list[list[str]] = [[] for _ in candidates]
        self.models: list[set[str]] = [set() for _ in candidates]
        self.claims: dict[str, list[tuple[int, ModelSpec]]] = {}
        self.sources: list[PluginSource] = []

    def label(self, i: int) -> str:
        c = self.candidates[i]
        return f"{c.name} ({c.distribution})" if c.distribution else c.name

    def run(self) -> None:
        pm = pluggy.PluginManager(PROJECT_NAME)
        pm.add_hookspecs(_hookspecs)
        index: dict[str, int] = {}
        for i, cand in enumerate(self.candidates):
            if cand.error is not None:
                self.errors[i].append(cand.error)
            elif self._register(pm, i, cand):
                index[f"{cand.name}#{i}"] = i
        for impl in pm.hook.registry_register_models.get_hookimpls():
            self._models(index[impl.plugin_name], impl.function)
        for impl in pm.hook.registry_register_weight_sources.get_hookimpls():
            self._sources(index[impl.plugin_name], impl.function)

    def _register(self, pm: pluggy.PluginManager, i: int, cand: Candidate) -> bool:
        """Register one plugin object; False, with the reason recorded, when it is unusable."""
        try:  # pluggy checks hook signatures here; the index makes names unique
            pm.register(cand.plugin, name=f"{cand.name}#{i}")
        except Exception as exc:
            self.errors[i].append(f"registering failed: {type(exc).__name__}: {exc}")
            return False
        callers = pm.get_hookcallers(cand.plugin) or []
        unknown = sorted(c.name for c in callers if not c.has_spec())
        if unknown or not callers:
            pm.unregister(cand.plugin)
            found = f"unknown hooks ({', '.join(unknown)})" if unknown else "no hook implementation"
            self.errors[i].append(
                f"{cand.value} defines {found}. A plugin implements registry_register_models and/or "
                "registry_register_weight_sources, each decorated with registry_core.hookimpl."
            )
            return False
        return True

    def _models(self, i: int, hook: Callable[..., None]) -> None:
        staged: list[ModelSpec] = []

        def register(spec: ModelSpec) -> None:
            if not isinstance(spec, ModelSpec):
                raise PluginError(f"register() takes a ModelSpec. Received: {spec!r}.")
            staged.append(spec)

        try:
            hook(register=register)
        except Exception as exc:  # all or nothing: a hook that raises registers no model
            self.errors[i].append(f"registry_register_models failed: {type(exc).__name__}: {exc}")
            return
        for spec in staged:
            self.models[i].add(spec.name)
            for key in lookup_keys(spec):
                self.claims.setdefault(key, []).append((i, spec))

    def _sources(self, i: int, hook: Callable[..., None]) -> None:
        sources: list[WeightSource] = []
        try:
            hook(register=sources.append)
        except Exception as exc:
            self.errors[i].append(f"registry_register_weight_sources failed: {type(exc).__name__}: {exc}")
            return
        bad = [s for s in sources if not callable(s)]
        if bad:
            self.errors[i].append(f"register() takes a callable weight source. Received: {bad[0]!r}.")
            return
        self.sources.extend(PluginSource(self.candidates[i].name, s) for s in sources)

    def clashes(self) -> dict[str, str]:
        """Each key claimed by two models (or by one model name from two plugins), described."""
        return {
            key: f"{key!r} is claimed by "
            + " and ".join(f"{self.label(i)} (model {s.name!r})" for i, s in owners)
            for key, owners in self.claims.items()
            if len({(i, s.name) for i, s in owners}) > 1
        }

    def warn(self, clashes: dict[str, str]) -> None:
        users: dict[str, list[str]] = {}
        for cand in self.candidates:
            users.setdefault(cand.name, []).append(cand.distribution or cand.value)
        for name, dists in users.items():
            if len(dists) > 1:
                warnings.warn(
                    f"Plugin name {name!r} is used by {' and '.join(dists)}: all are loaded, but "
                    "REGISTRY_PLUGINS cannot choose between them. Rename one entry point.",
                    PluginLoadWarning, stacklevel=5,
                )
        for i, errors in enumerate(self.errors):
            if errors:
                warnings.warn(f"Plugin {self.label(i)} was not loaded: {'; '.join(errors)}",
                              PluginLoadWarning, stacklevel=5)
        for key in sorted(clashes):
            warnings.warn(f"Model name {clashes[key]}; both entries are held back.",
                          PluginLoadWarning, stacklevel=5)


def load(candidates: list[Candidate]) -> Loaded:
    """Register `candidates`, call their hooks, and sort out clashing names (with warnings)."""
    run = _Pass(candidates)
    run.run()
    clashes = run.clashes()
    held: dict[int, list[str]] = {}
    for key, reason in clashes.items():
        for _, spec in run.claims[key]:
            held.setdefault(id(spec), []).append(reason)
    out = Loaded(sources=run.sources)
    for owners in run.claims.values():
        for i, spec in owners:
            if id(spec) in held:
                for key in lookup_keys(spec):
                    reasons = out.conflicts.setdefault(key, [])
                    reasons.extend(r for r in held[id(spec)] if r not in reasons)
            else:
                out.specs[spec.name] = spec
                out.owners[spec.name] = run.label(i)
                out.keys.update(dict.fromkeys(lookup_keys(spec), spec.name))
    out.plugins = [
        PluginInfo(c.name, c.version, c.distribution, tuple(sorted(run.models[i])),
                   "; ".join(run.errors[i]) or None)
        for i, c in enumerate(candidates)
    ]
    run.warn(clashes)
    return out
