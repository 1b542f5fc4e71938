"""The `Registry`: models and weight sources gathered from plugins."""

from __future__ import annotations

import difflib
import os
import fnmatch
import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ._context import active_spec
from ._discovery import ALLOWLIST_ENV, Candidate, allowlist_from_env, discover
from ._errors import DuplicateModelError, PluginError, UnknownModelError
from ._hookspecs import WeightSource
from ._loading import Loaded, PluginInfo, load
from ._spec import ModelSpec

if TYPE_CHECKING:
    from ._store import WeightStore


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
        self._state: Loaded | None = None
        self._store: WeightStore | None = None
        self._allow: frozenset[str] | None = None

    @property
    def _loaded(self) -> Loaded:
        if self._state is None:
            candidates: list[Candidate] = []
            if self._entry_points:
                self._allow = allowlist_from_env()
                candidates.extend(discover(self._allow))
            for obj in self._explicit:
                name = getattr(obj, "__name__", None) or type(obj).__name__
                candidates.append(Candidate(name, name, None, None, plugin=obj))
            self._state = load(candidates)
        return self._state

    def _resolve(self, name: str) -> ModelSpec:
        state = self._loaded
        if not isinstance(name, str):
            raise UnknownModelError(f"A model name is a string. Received: {name!r}.")
        key = name.lower()
        if key in state.conflicts:
            raise DuplicateModelError(
                f"Model {name!r} is held back because plugins disagree: {'; '.join(state.conflicts[key])}. "
                "Uninstall one of them, or load only one with REGISTRY_PLUGINS=<entry-point names>."
            )
        if key in state.keys:
            return state.specs[state.keys[key]]
        close = difflib.get_close_matches(key, list(state.keys), n=3, cutoff=0.5)
        names = list(dict.fromkeys(state.keys[c] for c in close))
        hint = f" Did you mean {' or '.join(repr(n) for n in names)}?" if names else ""
        raise UnknownModelError(
            f"Unknown model {name!r}.{hint} Run `registry list` to see the {len(state.specs)} "
            f"loaded models. {self.missing_plugin_advice()}"
        )

    def missing_plugin_advice(self) -> str:
        """What to do when a model's plugin is not loaded: install it, or let `REGISTRY_PLUGINS` load it."""
        self._loaded  # noqa: B018 - the filter is read when plugins are loaded
        if self._allow is None:
            return "Install the plugin of the model's family, e.g. pip install registry-resnet."
        named = ", ".join(sorted(self._allow)) or "none"
        return (f"{ALLOWLIST_ENV} loads only these plugins: {named}. Name the family's plugin there, "
                f"or unset {ALLOWLIST_ENV}.")

    def get(self, name: str) -> ModelBuilder:
        """The builder of `name` (a model name or alias, case-insensitive)."""
        return ModelBuilder(self._resolve(name), self)

    def info(self, name: str) -> ModelSpec:
        """The `ModelSpec` of `name` (a model name or alias, case-insensitive)."""
        return self._resolve(name)

    def list(self, pattern: str | None = None, *, family: str | None = None,
             pretrained: bool | str | None = None) -> list[str]:
        """Model names, sorted, filtered by an fnmatch `pattern`, a family, and weights.

        `pattern` and `family` ignore case; `pretrained=True` keeps models with
        pretrained weights, `False` those without, a tag those with that tag.
        """
        out = []
        for spec in self._loaded.specs.values():
            if pattern is not None and not fnmatch.fnmatchcase(spec.name, pattern.lower()):
                continue
            if family is not None and spec.family != family.lower():
                continue
            if pretrained is not None and not (
                pretrained in spec.weights if isinstance(pretrained, str) else bool(spec.weights) == pretrained
            ):
                continue
            out.append(spec.name)
        return sorted(out)

    def specs(self) -> list[ModelSpec]:
        """Every registered `ModelSpec`, sorted by name."""
        return [self._loaded.specs[n] for n in self.list()]

    def families(self) -> list[str]:
        """The families of the registered models, sorted."""
        return sorted({s.family for s in self._loaded.specs.values()})

    def plugins(self) -> list[PluginInfo]:
        """Every plugin found, loaded or not, with its models or its error."""
        return list(self._loaded.plugins)

    def owner(self, name: str) -> str:
        """The plugin that registered `name`."""
        return self._loaded.owners[self._resolve(name).name]

    def weight_sources(self) -> list[WeightSource]:
        """The weight sources registered by plugins, in plugin order."""
        return [s.source for s in self._loaded.sources]

    @property
    def store(self) -> WeightStore:
        """The weight store, configured from the environment and plugin sources."""
        if self._store is None:
            from ._store import WeightStore

            self._store = WeightStore(sources=self._loaded.sources)  # named by plugin in errors
        return self._store

    def preprocess_input(self, name: str, x: Any, data_format: str | None = None) -> Any:
        """Preprocess images `x` (RGB, 0..255) the way model `name` expects."""
        from ._preprocess import preprocess_input

        return preprocess_input(x, mode=self._resolve(name).preprocessing, data_format=data_format)

    def load_model(self, path: str | os.PathLike[str], **kwargs: Any) -> Any:
        """Reload a `.keras` file saved from a registry model, in any process.

        `keras.models.load_model(path, **kwargs)`, after importing the modules of
        installed plugins whose layers the file uses (Keras alone would not find them).
        """
        from ._saving import load_model

        packages = {spec.builder.partition(":")[0].partition(".")[0] for spec in self._loaded.specs.values()}
        return load_model(path, packages, **kwargs)

    def __contains__(self, name: object) -> bool:
        try:
            self._resolve(name)  # type: ignore[arg-type]
        except LookupError:
            return False
        return True

    def __repr__(self) -> str:
        state = "not loaded" if self._state is None else f"{len(self._state.specs)} models"
        return f"<Registry {state}>"


#: The default registry, loaded from entry points on first use.
registry = Registry()
