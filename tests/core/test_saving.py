"""Reloading `.keras` files: the modules of installed plugins a file names are imported
first; modules of anything else never are."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

from registry_core import InvalidArgumentError, Registry
from registry_core._saving import config_modules, import_plugin_modules


def _layer(module: str, name: str) -> dict:
    return {"module": module, "class_name": name, "registered_name": f"{module.partition('.')[0]}>{name}",
            "config": {"name": name.lower()}}


def _archive(path: Path, *layers: dict) -> Path:
    config = {"module": "keras", "class_name": "Functional", "registered_name": "Functional",
              "config": {"layers": [{"module": "keras.layers", "class_name": "Conv2D", "registered_name": None},
                                    *layers]}}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
    return path


def test_config_modules_walks_nested_configs():
    config = {"config": {"layers": [_layer("registry_a.blocks", "Sum"), {"inner": [_layer("other.mod", "X")]}]}}
    assert sorted(config_modules(config)) == ["other.mod", "registry_a.blocks"]


def test_only_installed_plugin_modules_are_imported(tmp_path, monkeypatch):
    package = tmp_path / "registry_fake_saving"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "layers.py").write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "registry_fake_saving.layers", raising=False)
    path = _archive(tmp_path / "model.keras", _layer("registry_fake_saving.layers", "Sum"),
                    _layer("not_a_plugin_saving.evil", "Run"))
    imported = import_plugin_modules(path, {"registry_fake_saving", "registry_other"})
    assert imported == ["registry_fake_saving.layers"]
    assert sys.modules["registry_fake_saving.layers"].LOADED
    assert "not_a_plugin_saving" not in sys.modules


@pytest.mark.parametrize("content", [b"not a zip", None])
def test_files_that_are_no_keras_archive_import_nothing(tmp_path, content):
    path = tmp_path / "model.h5"
    if content is not None:
        path.write_bytes(content)
    assert import_plugin_modules(path, {"registry_fake_saving"}) == []


def test_a_missing_file_is_refused_with_our_error(tmp_path):
    with pytest.raises(InvalidArgumentError, match=r"No saved model at '.*nope\.keras'\. Pass the path"):
        Registry(entry_points=False).load_model(tmp_path / "nope.keras")
