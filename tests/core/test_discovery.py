"""Discovery and the registry's failure rules.

Real entry points: the example plugin (`registry-tinynet`), installed by the
Makefile. Failure cases: fake distributions, written as `.dist-info`
folders on a temporary `sys.path` entry, so `importlib.metadata` finds them
exactly as it finds installed ones.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from registry_core import (
    DuplicateModelError,
    Metadata,
    ModelSpec,
    PluginLoadWarning,
    Registry,
    UnknownModelError,
    WeightFile,
    hookimpl,
)
from registry_core._discovery import allowlist_from_env, discover

_MODEL_PLUGIN = """
from registry_core import Metadata, ModelSpec, hookimpl

@hookimpl
def registry_register_models(register):
    for name, aliases in {models!r}:
        register(ModelSpec(name=name, family="fake", builder="nowhere:build", aliases=tuple(aliases),
                           default_size=64, min_size=32, preprocessing="tf",
                           metadata=Metadata(parameters=1)))
"""
_counter = itertools.count()


def spec(name: str, *aliases: str, family: str = "fake", weights: bool = False) -> ModelSpec:
    files = {"imagenet": {"top": WeightFile(f"{name}.h5", f"https://example.invalid/{name}.h5")}}
    return ModelSpec(name=name, family=family, builder="nowhere:build", aliases=aliases, default_size=64,
                     min_size=32, preprocessing="tf", metadata=Metadata(parameters=1),
                     weights=files if weights else {})


class Dists:
    """Writes fake distributions into one `sys.path` entry."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: list[str] = []

    def add(self, dist: str, entry_points: dict[str, str], version: str = "1.0") -> None:
        """`entry_points` maps an entry-point name to the source of the module it names."""
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        lines = ["[registry_core]"]
        for name, source in entry_points.items():
            module = f"fake_plugin_{next(_counter)}"
            (self.root / f"{module}.py").write_text(textwrap.dedent(source))
            self.modules.append(module)
            lines.append(f"{name} = {module}")
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")

    def models(self, dist: str, name: str, *models: tuple[str, tuple[str, ...]]) -> None:
        self.add(dist, {name: _MODEL_PLUGIN.format(models=list(models))})


@pytest.fixture
def dists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Dists]:
    monkeypatch.syspath_prepend(str(tmp_path))
    made = Dists(tmp_path)
    yield made
    for module in made.modules:
        sys.modules.pop(module, None)


@pytest.fixture
def only(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set REGISTRY_PLUGINS to the given entry-point names."""
    return lambda *names: monkeypatch.setenv("REGISTRY_PLUGINS", ",".join(names))


def loaded(reg: Registry) -> tuple[dict[str, object], list[str]]:
    """(plugins by name, warning messages) of loading `reg`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plugins = {p.name: p for p in reg.plugins()}
    assert all(issubclass(w.category, PluginLoadWarning) for w in caught)
    return plugins, [str(w.message) for w in caught]


# -- real entry points ---------------------------------------------------------------------
def test_the_example_plugin_is_found_through_its_entry_point() -> None:
    (cand,) = discover(frozenset({"tinynet"}))
    assert (cand.name, cand.distribution, cand.version, cand.error) == (
        "tinynet", "registry-tinynet", "0.1.0", None)
    assert cand.plugin.__name__ == "registry_tinynet._plugin"
    reg = Registry()
    assert "tiny_convnet" in reg.list() and reg.owner("TinyConvNet") == "tinynet (registry-tinynet)"


def test_default_registry_loads_every_installed_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGISTRY_PLUGINS", raising=False)
    plugins, _ = loaded(Registry())
    assert "tinynet" in plugins
    assert all(p.error is None for p in plugins.values()), plugins


# -- the allowlist -------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [
    (None, None), ("", frozenset()), (" , ", frozenset()), ("a", {"a"}), (" a, b ,", {"a", "b"}),
])
def test_allowlist_parsing(value: str | None, expected: frozenset[str] | None) -> None:
    env = {} if value is None else {"REGISTRY_PLUGINS": value}
    assert allowlist_from_env(env) == expected


def test_allowlist_set_empty_and_unset(dists: Dists, only, monkeypatch: pytest.MonkeyPatch) -> None:
    dists.models("fake-a", "fake_a", ("alpha", ()))
    dists.models("fake-b", "fake_b", ("beta", ()))
    only("fake_a")
    assert Registry().list(family="fake") == ["alpha"]
    only("")
    assert Registry().list() == [] and Registry().plugins() == []
    monkeypatch.delenv("REGISTRY_PLUGINS")
    reg = Registry()
    assert reg.list(family="fake") == ["alpha", "beta"] and "tiny_convnet" in reg.list()


def test_an_unknown_name_under_the_allowlist_says_the_filter_may_hide_it(dists: Dists, only,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    dists.models("fake-a", "fake_a", ("alpha", ()))
    dists.models("fake-b", "fake_b", ("beta", ()))
    only("fake_a")
    with pytest.raises(UnknownModelError, match=r"REGISTRY_PLUGINS loads only these plugins: fake_a\. "
                                                r"Name the family's plugin there, or unset REGISTRY_PLUGINS\.$"):
        Registry().get("beta")
    only("")
    assert "loads only these plugins: none." in Registry().missing_plugin_advice()
    monkeypatch.delenv("REGISTRY_PLUGINS")
    assert "REGISTRY_PLUGINS" not in Registry().missing_plugin_advice()


def test_allowlist_skips_without_importing(dists: Dists, only) -> None:
    dists.add("fake-boom", {"boom": "raise RuntimeError('imported although not allowed')"})
    dists.models("fake-a", "fake_a", ("alpha", ()))
    only("fake_a")
    plugins, messages = loaded(Registry())
    assert list(plugins) == ["fake_a"] and messages == []


def test_allowlist_naming_a_missing_plugin_warns(only) -> None:
    only("tinynet", "no_such_plugin")
    plugins, messages = loaded(Registry())
    assert list(plugins) == ["tinynet"]
    assert messages == [messages[0]] and "REGISTRY_PLUGINS names no_such_plugin" in messages[0]
    assert "tinynet" in messages[0]  # the installed names, to choose from


# -- failures ---------------------------------------------------------------------------------
@pytest.mark.parametrize("source", [
    "raise RuntimeError('broken on purpose')",
    "import sys\nsys.exit('broken on purpose')",
    "import no_such_module_broken_on_purpose",
], ids=["raises", "exits", "missing-import"])
def test_a_plugin_that_fails_to_import_is_recorded(dists: Dists, only, source: str) -> None:
    dists.add("fake-broken", {"broken": source}, version="2.5")
    dists.models("fake-a", "fake_a", ("alpha", ()))
    only("broken", "fake_a")
    reg = Registry()
    plugins, messages = loaded(reg)
    broken = plugins["broken"]
    assert (broken.distribution, broken.version, broken.models) == ("fake-broken", "2.5", ())
    assert broken.error.startswith("importing 'fake_plugin_") and "broken_on_purpose" in broken.error.replace(
        " ", "_")
    assert messages == [f"Plugin broken (fake-broken) was not loaded: {broken.error}"]
    assert plugins["fake_a"].error is None and reg.list() == ["alpha"]


def test_a_hook_that_raises_registers_nothing(dists: Dists, only) -> None:
    dists.add("fake-half", {"half": """
        from registry_core import Metadata, ModelSpec, hookimpl

        @hookimpl
        def registry_register_models(register):
            register(ModelSpec(name="first", family="fake", builder="m:f", default_size=64, min_size=32,
                               preprocessing="tf", metadata=Metadata(parameters=1)))
            raise ValueError("second model is broken")
        """})
    dists.models("fake-a", "fake_a", ("alpha", ()))
    only("half", "fake_a")
    reg = Registry()
    plugins, messages = loaded(reg)
    assert plugins["half"].error == "registry_register_models failed: ValueError: second model is broken"
    assert plugins["half"].models == () and reg.list() == ["alpha"]
    assert len(messages) == 1 and "half (fake-half)" in messages[0]


class _Models:
    def __init__(self, name: str, *specs: ModelSpec) -> None:
        self.__name__ = name
        self._specs = specs

    @hookimpl
    def registry_register_models(self, register):
        for s in self._specs:
            register(s)


def test_a_duplicated_name_holds_back_both_and_names_both_plugins(dists: Dists, only) -> None:
    dists.models("fake-a", "fake_a", ("alpha", ()), ("shared", ("Shared",)))
    dists.models("fake-b", "fake_b", ("beta", ()), ("shared", ()))
    only("fake_a", "fake_b")
    reg = Registry()
    plugins, messages = loaded(reg)
    assert reg.list() == ["alpha", "beta"]
    assert plugins["fake_a"].models == ("alpha", "shared") and plugins["fake_a"].error is None
    for name in ("shared", "SHARED"):
        with pytest.raises(DuplicateModelError) as exc:
            reg.get(name)
        assert "fake_a (fake-a)" in str(exc.value) and "fake_b (fake-b)" in str(exc.value)
        assert "REGISTRY_PLUGINS" in str(exc.value)
    assert isinstance(exc.value, LookupError) and "shared" not in reg
    assert messages == ["Model name 'shared' is claimed by fake_a (fake-a) (model 'shared') and "
                        "fake_b (fake-b) (model 'shared'); both entries are held back."]
    only("fake_b")
    assert Registry().info("shared").name == "shared"  # the allowlist resolves it


def test_an_alias_clash_holds_back_both_models_under_all_keys() -> None:
    reg = Registry(plugins=[_Models("a", spec("alpha", "Omega")), _Models("b", spec("omega")),
                            _Models("c", spec("gamma"))], entry_points=False)
    _, messages = loaded(reg)
    assert reg.list() == ["gamma"]
    for name in ("alpha", "omega", "OMEGA"):
        with pytest.raises(DuplicateModelError, match=r"'omega' is claimed by a \(model 'alpha'\) and b"):
            reg.info(name)
    assert len(messages) == 1


def test_the_same_spec_twice_from_one_plugin_is_no_clash() -> None:
    s = spec("alpha", "Alpha")
    reg = Registry(plugins=[_Models("a", s, s)], entry_points=False)
    assert reg.list() == ["alpha"] and reg.plugins()[0].models == ("alpha",)


def test_two_plugins_with_one_entry_point_name_are_both_kept(dists: Dists, only) -> None:
    dists.models("fake-a", "twin", ("alpha", ()))
    dists.models("fake-b", "twin", ("beta", ()))
    only("twin")
    reg = Registry()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        infos = reg.plugins()
    assert sorted((p.name, p.distribution, p.models) for p in infos) == [
        ("twin", "fake-a", ("alpha",)), ("twin", "fake-b", ("beta",))]
    assert reg.list() == ["alpha", "beta"]
    assert reg.owner("alpha") == "twin (fake-a)" and reg.owner("beta") == "twin (fake-b)"
    (message,) = [str(w.message) for w in caught]
    assert "'twin' is used by fake-a and fake-b" in message or "'twin' is used by fake-b and fake-a" in message


class _NoHooks:
    __name__ = "nohooks"


class _Typo:
    __name__ = "typo"

    @hookimpl
    def registry_register_model(self, register):  # one letter short
        register(spec("alpha"))


class _BadSignature:
    __name__ = "badsig"

    @hookimpl
    def registry_register_models(self, add):
        add(spec("alpha"))


class _NotASpec:
    __name__ = "notaspec"

    @hookimpl
    def registry_register_models(self, register):
        register({"name": "alpha"})


class _Sources:
    def __init__(self, name: str, *sources: object) -> None:
        self.__name__ = name
        self._sources = sources

    @hookimpl
    def registry_register_weight_sources(self, register):
        for s in self._sources:
            register(s)


def _mirror(wf: WeightFile) -> list[str]:
    return [f"file:///mirror/{wf.file_name}"]


@pytest.mark.parametrize(("plugin", "error"), [
    (_NoHooks(), "defines no hook implementation"),
    (_Typo(), "defines unknown hooks (registry_register_model)"),
    (_BadSignature(), "registering failed: PluginValidationError"),
    (_NotASpec(), "registry_register_models failed: PluginError: register() takes a ModelSpec. Received: "),
    (_Sources("badsource", "https://not-callable"), "register() takes a callable weight source."),
], ids=["no-hooks", "unknown-hook", "bad-signature", "not-a-spec", "bad-source"])
def test_malformed_plugins_are_recorded(plugin: object, error: str) -> None:
    reg = Registry(plugins=[plugin, _Models("good", spec("gamma"))], entry_points=False)
    plugins, messages = loaded(reg)
    assert error in plugins[plugin.__name__].error
    assert reg.list() == ["gamma"] and reg.weight_sources() == []
    assert len(messages) == 1 and plugin.__name__ in messages[0]


def test_weight_sources_are_collected_in_plugin_order() -> None:
    def other(wf: WeightFile) -> list[str]:
        return []

    reg = Registry(plugins=[_Sources("one", _mirror), _Sources("two", other)], entry_points=False)
    assert reg.weight_sources() == [_mirror, other] and reg.list() == []


def test_explicit_registry_ignores_entry_points(dists: Dists) -> None:
    dists.models("fake-a", "fake_a", ("alpha", ()))
    reg = Registry(plugins=[_Models("mine", spec("gamma"))], entry_points=False)
    assert reg.list() == ["gamma"] and [p.name for p in reg.plugins()] == ["mine"]


def test_loading_is_lazy_and_happens_once(dists: Dists, only) -> None:
    reg = Registry()
    assert repr(reg) == "<Registry not loaded>"
    dists.models("fake-a", "fake_a", ("alpha", ()))
    only("fake_a")
    assert reg.list() == ["alpha"] and repr(reg) == "<Registry 1 models>"
    dists.models("fake-b", "fake_b", ("beta", ()))
    only("fake_a", "fake_b")
    assert reg.list() == ["alpha"]  # a registry loads once; Registry() sees new plugins
    assert Registry().list() == ["alpha", "beta"]


# -- lookups ----------------------------------------------------------------------------------
@pytest.fixture
def reg() -> Registry:
    return Registry(plugins=[
        _Models("a", spec("resnet50", "ResNet50", family="resnet", weights=True),
                spec("resnet50_v2", "ResNet50V2", family="resnet"), spec("vgg16", "VGG16", family="vgg",
                                                                          weights=True)),
    ], entry_points=False)


def test_get_takes_names_and_aliases_in_any_case(reg: Registry) -> None:
    for name in ("resnet50", "RESNET50", "ResNet50", "resnet50V2", "vgg16"):
        assert reg.get(name).spec is reg.info(name)
        assert name in reg
    assert reg.info("ResNet50V2").name == "resnet50_v2"


@pytest.mark.parametrize(("name", "hint"), [
    ("resnet5", "Did you mean 'resnet50' or 'resnet50_v2'?"),
    ("vgg61", "Did you mean 'vgg16'?"),
    ("xception", " Run `registry list` to see the 3 loaded models. Install the plugin of the model's family"),
])
def test_unknown_names_suggest_the_closest(reg: Registry, name: str, hint: str) -> None:
    with pytest.raises(UnknownModelError) as exc:
        reg.get(name)
    assert str(exc.value).startswith(f"Unknown model {name!r}.") and hint in str(exc.value)
    assert isinstance(exc.value, LookupError) and name not in reg


def test_a_name_must_be_a_string(reg: Registry) -> None:
    with pytest.raises(UnknownModelError, match="A model name is a string. Received: 50."):
        reg.get(50)  # type: ignore[arg-type]


def test_list_filters(reg: Registry) -> None:
    assert reg.list() == ["resnet50", "resnet50_v2", "vgg16"]
    assert reg.list("resnet*") == reg.list("ResNet*") == ["resnet50", "resnet50_v2"]
    assert reg.list("*_v2") == ["resnet50_v2"] and reg.list("x*") == []
    assert reg.list(family="VGG") == ["vgg16"]
    assert reg.list(pretrained=True) == ["resnet50", "vgg16"] and reg.list(pretrained=False) == ["resnet50_v2"]
    assert reg.list(pretrained="imagenet") == ["resnet50", "vgg16"] and reg.list(pretrained="other") == []
    assert reg.list("r*", family="resnet", pretrained=True) == ["resnet50"]
    assert reg.families() == ["resnet", "vgg"]
    assert [s.name for s in reg.specs()] == reg.list()


# -- the command line, through real entry points ---------------------------------------------
def test_the_commands_report_a_broken_entry_point_and_keep_working(dists: Dists, tmp_path: Path) -> None:
    dists.add("fake-broken", {"broken": "raise RuntimeError('broken on purpose')"}, version="2.5")
    dists.models("fake-a", "fake_a", ("alpha", ()))
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "REGISTRY_PLUGINS": "broken,fake_a,tinynet"}

    def registry(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "registry_core", *args], capture_output=True, text=True,
                              env=env, timeout=60)

    warning = "registry: warning: Plugin broken (fake-broken) was not loaded: importing 'fake_plugin_"
    listing = registry("list")
    assert listing.returncode == 0 and listing.stderr.startswith(warning) and "broken on purpose" in listing.stderr
    assert len(listing.stderr.strip().splitlines()) == 1 and "Traceback" not in listing.stderr
    assert [line.split()[0] for line in listing.stdout.splitlines()[2:]] == ["alpha", "tiny_convnet"]
    plugins = registry("plugins")
    assert plugins.returncode == 1
    (row,) = [line for line in plugins.stdout.splitlines() if line.startswith("broken ")]
    assert row.split()[:4] == ["broken", "fake-broken", "2.5", "0"] and "FAILED" in row
