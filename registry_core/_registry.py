"""The `Registry`: models and weight sources gathered from plugins."""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

from . import _hookspecs
from ._context import active_spec
from ._discovery import Candidate, allowlist_from_env, discover
from ._errors import DuplicateModelError, PluginError, UnknownModelError
from ._hookspecs import PROJECT_NAME, WeightSource
from ._spec import ModelSpec

if TYPE_CHECKING:
    from ._store import WeightStore


@dataclass(frozen=True)
class PluginInfo:
    """What `registry.plugins()` reports about one plugin."""

    name: str
    version: str | None
    distribution: str | None
    models: tuple[str, ...]
    error: str | None = None


def _keys(spec: ModelSpec) -> set[str]:
    """The lookup keys a spec claims: its name and aliases, lowercased."""
    return {spec.name.lower(), *(a.lower() for a in spec.aliases)}


class PluginLoadWarning(UserWarning):
    """A plugin failed; the registry keeps working without it."""


class ModelBuilder:
    """A callable bound to one spec: `registry.get(name)(weights=...)`.

    The builder function is imported on the first call, so listing and
    looking up models never imports keras.
    """

    def __init__(self, spec: ModelSpec, registry: Registry) -> None:
        self.spec = spec
        self._registry = registry

    def _function(self) -> Callable[..., Any]:
        module_name, _, attr = self.spec.builder.partition(":")
        try:
            module = importlib.import_module(module_name)
            return getattr(module, attr)
        except (ImportError, AttributeError) as exc:
            raise PluginError(
                f"The builder of {self.spec.name!r} ({self.spec.builder}) could not be imported: "
                f"{type(exc).__name__}: {exc}. Reinstall the plugin of family {self.spec.family!r}, "
                "with the backend extra you use (for example registry-core[tensorflow])."
            ) from exc

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        function = self._function()
        with active_spec(self.spec, self._registry):
            return function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<ModelBuilder {self.spec.name} ({self.spec.builder})>"


class Registry:
    """Models registered by plugins.

    `Registry()` discovers plugins through entry points on first use (honouring
    `REGISTRY_PLUGINS`); `Registry(plugins=[...], entry_points=False)` uses only
    the given plugin objects (modules or instances with hook implementations).
    """

    def __init__(self, plugins: Iterable[object] = (), *, entry_points: bool = True) -> None:
        self._explicit = list(plugins)
        self._entry_points = entry_points
        self._loaded = False
        self._specs: dict[str, ModelSpec] = {}
        self._keys: dict[str, str] = {}
        self._conflicts: dict[str, list[str]] = {}
        self._owner: dict[str, str] = {}
        self._plugins: list[PluginInfo] = []
        self._sources: list[WeightSource] = []
        self._store: WeightStore | None = None

    # -- loading -------------------------------------------------------------
    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        pm = pluggy.PluginManager(PROJECT_NAME)
        pm.add_hookspecs(_hookspecs)
        candidates: list[Candidate] = []
        if self._entry_points:
            candidates.extend(discover(allowlist_from_env()))
        for obj in self._explicit:
            name = getattr(obj, "__name__", None) or type(obj).__name__
            candidates.append(Candidate(name, name, None, None, plugin=obj))
        self._load(pm, candidates)

    def _load(self, pm: pluggy.PluginManager, candidates: list[Candidate]) -> None:
        names = [c.name for c in candidates]
        errors: dict[int, str] = {}
        registered: dict[int, str] = {}
        for i, cand in enumerate(candidates):
            if cand.error is not None:
                errors[i] = cand.error
                continue
            if names.count(cand.name) > 1:
                others = [f"{c.distribution or c.value}" for c in candidates if c.name == cand.name and c is not cand]
                warnings.warn(
                    f"Plugin name {cand.name!r} is used by more than one distribution "
                    f"({cand.distribution or cand.value} and {', '.join(others)}); both are loaded. "
                    "Rename one entry point to silence this.",
                    PluginLoadWarning, stacklevel=3,
                )
            pm_name = f"{cand.name}#{i}"
            try:
                pm.register(cand.plugin, name=pm_name)
            except Exception as exc:
                errors[i] = f"registering failed: {type(exc).__name__}: {exc}"
                continue
            registered[i] = pm_name

        models: dict[int, list[str]] = {i: [] for i in range(len(candidates))}
        by_pm_name = {v: k for k, v in registered.items()}
        claims: dict[str, list[tuple[int, ModelSpec]]] = {}

        for impl in pm.hook.registry_register_models.get_hookimpls():
            i = by_pm_name[impl.plugin_name]
            staged: list[ModelSpec] = []

            def register(spec: ModelSpec, _staged: list[ModelSpec] = staged) -> None:
                if not isinstance(spec, ModelSpec):
                    raise PluginError(f"register() takes a ModelSpec. Received: {spec!r}.")
                _staged.append(spec)

            try:
                impl.function(register=register)
            except Exception as exc:
                errors[i] = f"registry_register_models failed: {type(exc).__name__}: {exc}"
                continue
            for spec in staged:
                models[i].append(spec.name)
                for key in _keys(spec):
                    claims.setdefault(key, []).append((i, spec))

        for impl in pm.hook.registry_register_weight_sources.get_hookimpls():
            i = by_pm_name[impl.plugin_name]
            sources: list[WeightSource] = []
            try:
                impl.function(register=sources.append)
            except Exception as exc:
                errors[i] = f"registry_register_weight_sources failed: {type(exc).__name__}: {exc}"
                continue
            bad = [s for s in sources if not callable(s)]
            if bad:
                errors[i] = f"register() takes a callable weight source. Received: {bad[0]!r}."
                continue
            self._sources.extend(sources)

        def label(i: int) -> str:
            c = candidates[i]
            return f"{c.name} ({c.distribution})" if c.distribution else c.name

        rivals: dict[int, list[str]] = {}
        for key, owners in claims.items():
            if len(owners) > 1:
                for _, spec in owners:
                    rivals.setdefault(id(spec), []).extend(label(i) for i, _ in owners)
        contested = set(rivals)
        for owners in claims.values():
            for _, spec in owners:
                if id(spec) in contested:
                    for key in _keys(spec):
                        self._conflicts[key] = sorted(set(rivals[id(spec)]), key=rivals[id(spec)].index)
        for owners in claims.values():
            for i, spec in owners:
                if id(spec) not in contested:
                    self._specs[spec.name] = spec
                    self._owner[spec.name] = label(i)
                    self._keys.update(dict.fromkeys(_keys(spec), spec.name))

        for i, cand in enumerate(candidates):
            info = PluginInfo(cand.name, cand.version, cand.distribution,
                              tuple(sorted(models[i])), errors.get(i))
            self._plugins.append(info)
            if info.error:
                warnings.warn(f"Plugin {label(i)} was not loaded: {info.error}", PluginLoadWarning, stacklevel=3)
        for key, owners in sorted(claims.items()):
            if len(owners) < 2:
                continue
            plugins = [label(i) for i, _ in owners]
            warnings.warn(
                f"Model name {key!r} is registered by more than one plugin ({' and '.join(plugins)}); "
                "both entries are held back.",
                PluginLoadWarning, stacklevel=3,
            )

    # -- lookups -------------------------------------------------------------
    def _resolve(self, name: str) -> ModelSpec:
        self._ensure_loaded()
        key = name.lower() if isinstance(name, str) else name
        if key in self._conflicts:
            raise DuplicateModelError(
                f"Model name {name!r} is registered by more than one plugin: "
                f"{' and '.join(self._conflicts[key])}. Uninstall one of them, or choose one with "
                "REGISTRY_PLUGINS=<entry-point names>."
            )
        try:
            return self._specs[self._keys[key]]
        except (KeyError, TypeError):
            close = difflib.get_close_matches(str(key), list(self._keys), n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(repr(self._keys[c]) for c in close)}?" if close else ""
            raise UnknownModelError(
                f"Unknown model {name!r}.{hint} Run `registry list` to see the "
                f"{len(self._specs)} installed models, or install the plugin of its family."
            ) from None

    def get(self, name: str) -> ModelBuilder:
        """The builder of `name` (a model name or alias, case-insensitive)."""
        return ModelBuilder(self._resolve(name), self)

    def info(self, name: str) -> ModelSpec:
        """The `ModelSpec` of `name`."""
        return self._resolve(name)

    def list(self, pattern: str | None = None, *, family: str | None = None,
             pretrained: bool | str | None = None) -> list[str]:
        """Model names matching an fnmatch `pattern`, a family and pretrained-ness, sorted."""
        self._ensure_loaded()
        out = []
        for spec in self._specs.values():
            if pattern is not None and not fnmatch.fnmatch(spec.name, pattern.lower()):
                continue
            if family is not None and spec.family != family:
                continue
            if pretrained is True and not spec.weights:
                continue
            if pretrained is False and spec.weights:
                continue
            if isinstance(pretrained, str) and pretrained not in spec.weights:
                continue
            out.append(spec.name)
        return sorted(out)

    def specs(self) -> list[ModelSpec]:
        """Every registered `ModelSpec`, sorted by name."""
        return [self._resolve(n) for n in self.list()]

    def families(self) -> list[str]:
        """The families of the registered models, sorted."""
        self._ensure_loaded()
        return sorted({s.family for s in self._specs.values()})

    def plugins(self) -> list[PluginInfo]:
        """Every plugin found, loaded or not, with its models or its error."""
        self._ensure_loaded()
        return list(self._plugins)

    def owner(self, name: str) -> str:
        """The plugin that registered `name`."""
        return self._owner[self._resolve(name).name]

    def weight_sources(self) -> list[WeightSource]:
        """The weight sources registered by plugins, in plugin order."""
        self._ensure_loaded()
        return list(self._sources)

    @property
    def store(self) -> WeightStore:
        """The weight store, configured from the environment and plugin sources."""
        if self._store is None:
            from ._store import WeightStore

            self._store = WeightStore(sources=self.weight_sources())
        return self._store

    def preprocess_input(self, name: str, x: Any, data_format: str | None = None) -> Any:
        """Preprocess images `x` (0..255, RGB) the way model `name` expects."""
        from ._preprocess import preprocess_input

        return preprocess_input(x, mode=self._resolve(name).preprocessing, data_format=data_format)

    def __contains__(self, name: object) -> bool:
        try:
            self._resolve(name)  # type: ignore[arg-type]
        except LookupError:
            return False
        return True

    def __repr__(self) -> str:
        state = f"{len(self._specs)} models" if self._loaded else "not loaded"
        return f"<Registry {state}>"


#: The default registry, loaded from entry points on first use.
registry = Registry()
