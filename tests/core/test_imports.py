"""Importing the core, discovering, listing and the `registry` commands never import a framework.

Each check runs in a fresh interpreter whose `sitecustomize` (from a temporary
`PYTHONPATH` entry) prints, at exit, the top-level modules it imported.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry_core import registry

FRAMEWORKS = ("keras", "tensorflow", "tf_keras", "jax", "torch")

PLUGIN_MODULES = sorted({ep.value for ep in importlib.metadata.entry_points(group="registry_core")})
PLUGIN_PACKAGES = sorted({m.split(".")[0] for m in PLUGIN_MODULES})

_API = """
import registry_core
from registry_core import registry
names = registry.list()
assert names, "no model registered"
for name in names:
    registry.info(name), registry.get(name)
registry.families(), registry.plugins()
for module in {modules!r}:
    __import__(module)
"""

_REPORT = """
import atexit, json, sys

@atexit.register
def _report():
    sys.stderr.write("\\nMODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})) + "\\n")
"""


@pytest.fixture(scope="module")
def reporting(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose processes report the modules they imported."""
    folder = tmp_path_factory.mktemp("site")
    (folder / "sitecustomize.py").write_text(_REPORT)
    env = {k: v for k, v in os.environ.items() if k != "REGISTRY_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))
    # An empty cache, offline: `fetch` goes all the way to the download it may not make.
    env.update(REGISTRY_CACHE_DIR=str(tmp_path_factory.mktemp("cache")), REGISTRY_OFFLINE="1")
    return env


def imported(args: list[str], env: dict[str, str], status: int = 0) -> set[str]:
    """The top-level modules a fresh process running `args` (exiting with `status`) imports."""
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == status, proc.stderr[-2000:]
    (line,) = [line for line in proc.stderr.splitlines() if line.startswith("MODULES ")]
    return set(json.loads(line.removeprefix("MODULES ")))


def assert_no_framework(modules: set[str]) -> None:
    assert not modules & set(FRAMEWORKS), sorted(modules & set(FRAMEWORKS))


def test_the_api_and_every_plugin_package_import_no_framework(reporting: dict[str, str]) -> None:
    assert PLUGIN_PACKAGES, "no plugin installed"
    code = _API.format(modules=PLUGIN_PACKAGES + PLUGIN_MODULES)
    modules = imported([sys.executable, "-c", code], reporting)
    assert {"registry_core", "pluggy", *PLUGIN_PACKAGES} <= modules  # the report sees imports
    assert_no_framework(modules)


#: One model of each installed family, so `info` reads every plugin's specs.
ONE_PER_FAMILY = sorted({s.family: s.name for s in registry.specs()}.values())


@pytest.mark.parametrize(("command", "status"), [
    (["list"], 0), (["list", "--json"], 0), (["list", "res*", "--family", "resnet"], 0),
    *((["info", name], 0) for name in ONE_PER_FAMILY), (["info", "tiny_convnet", "--json"], 0),
    (["info", "no_such_model"], 2), (["plugins"], 0), (["plugins", "--json"], 0),
    (["cache", "dir"], 0), (["cache", "ls"], 0), (["cache", "verify"], 0), (["fetch", "vgg16"], 1),
], ids=lambda v: " ".join(v) if isinstance(v, list) else f"exit{v}")
def test_the_commands_import_no_framework(command: list[str], status: int, reporting: dict[str, str]) -> None:
    script = Path(sys.executable).with_name("registry")
    assert_no_framework(imported([str(script), *command], reporting, status))


def test_the_module_entry_point_imports_no_framework(reporting: dict[str, str]) -> None:
    assert_no_framework(imported([sys.executable, "-m", "registry_core", "list"], reporting))


def test_listing_imports_neither_numpy_nor_the_http_stack(reporting: dict[str, str]) -> None:
    # `registry list` must answer at once: numpy and requests/urllib.request each cost
    # tens of milliseconds of its ~0.12 s, and listing needs neither.
    script = Path(sys.executable).with_name("registry")
    modules = imported([str(script), "list"], reporting)
    assert not modules & {"numpy", "requests", "urllib3", "PIL"}, sorted(modules & {"numpy", "requests", "urllib3", "PIL"})
