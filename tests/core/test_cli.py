"""The `registry` command: list, info, plugins, and the error path."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from registry_core import Metadata, ModelSpec, Registry, WeightFile, hookimpl
from registry_core._cli import main


class _Plugin:
    __name__ = "fake"

    @hookimpl
    def registry_register_models(self, register):
        register(ModelSpec(
            name="alpha_net", family="greek", builder="nowhere:Alpha", aliases=("AlphaNet",),
            default_size=224, min_size=32, preprocessing="tf",
            weights={"imagenet": {"top": WeightFile("a.h5", "https://example.invalid/a.h5", "0" * 32, "md5"),
                                  "alpha_0.25/128/no_top": WeightFile("a_025.h5", "https://example.invalid/a.h5")}},
            feature_stages={"s1": "conv1"},
            metadata=Metadata(parameters=1_234_567, depth=10, top1=0.5, top5=0.75, size_mb=5),
        ))
        register(ModelSpec(
            name="beta_net", family="latin", builder="nowhere:Beta", default_size=96, min_size=32,
            preprocessing="caffe", metadata=Metadata(parameters=42),
        ))


class _Broken:
    __name__ = "broken"

    @hookimpl
    def registry_register_models(self, register):
        raise RuntimeError("boom")


@pytest.fixture
def reg() -> Registry:
    return Registry(plugins=[_Plugin()], entry_points=False)


def test_list_table(reg, capsys):
    assert main(["list"], reg) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["Model", "Family", "Input", "Parameters", "Depth", "Top-1", "Top-5", "Size"]
    assert out[2].split() == ["alpha_net", "greek", "224x224", "1,234,567", "10", "0.500", "0.750", "5", "MB"]
    assert out[3].split()[:4] == ["beta_net", "latin", "96x96", "42"]


def test_list_pattern_family_and_json(reg, capsys):
    assert main(["list", "b*"], reg) == 0
    assert "alpha_net" not in capsys.readouterr().out
    assert main(["list", "--family", "greek", "--json"], reg) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in data] == ["alpha_net"]
    assert set(data[0]) == {"name", "family", "aliases", "input_size", "parameters", "depth", "top1",
                            "top5", "size_mb", "formats", "pretrained"}
    assert data[0]["pretrained"] == ["imagenet"] and data[0]["aliases"] == ["AlphaNet"]


def test_info_text_and_json(reg, capsys):
    assert main(["info", "ALPHANET"], reg) == 0
    out = capsys.readouterr().out
    assert out.startswith("alpha_net") and "a.h5" in out and "md5 " + "0" * 32 in out
    assert main(["info", "beta_net", "--json"], reg) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["preprocessing"] == "caffe" and data["weights"] == {} and data["plugin"] == "fake"


def test_unknown_name_suggests_and_exits_2(reg, capsys):
    assert main(["info", "alpha_nett"], reg) == 2
    err = capsys.readouterr().err
    assert "Unknown model 'alpha_nett'" in err and "'alpha_net'" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_plugins_reports_failures(capsys):
    reg = Registry(plugins=[_Plugin(), _Broken()], entry_points=False)
    assert main(["plugins", "--json"], reg) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == ("registry: warning: Plugin broken was not loaded: "
                                    "registry_register_models failed: RuntimeError: boom")
    data = {p["name"]: p for p in json.loads(captured.out)}
    assert data["fake"]["models"] == ["alpha_net", "beta_net"] and data["fake"]["error"] is None
    assert "RuntimeError: boom" in data["broken"]["error"]
    assert main(["plugins"], reg) == 1
    assert "FAILED" in capsys.readouterr().out


def test_usage_error_exits_2(reg, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["list", "--no-such-flag"], reg)
    assert exc.value.code == 2


@pytest.mark.parametrize("command", [["info"], ["fetch"], ["predict", "--top", "1"],
                                     ["extract", "--out", "features.npz"]], ids=lambda c: c[0])
def test_subprocess_unknown_model_suggests_without_traceback(command, tmp_path):
    """Every command taking a model name, through the installed plugins (nasnet's)."""
    env = {**os.environ, "REGISTRY_PLUGINS": "nasnet", "REGISTRY_OFFLINE": "1"}
    paths = ["image.jpg"] if len(command) > 1 else []
    args = [sys.executable, "-m", "registry_core", command[0], "nasnet_larg", *paths, *command[1:]]
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"registry {command[0]}: Unknown model 'nasnet_larg'. Did you mean 'nasnet_large'")
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    debug = subprocess.run([sys.executable, "-m", "registry_core", "--debug", *args[3:]],
                           capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert debug.returncode == 2 and "Traceback" in debug.stderr


def test_subprocess_lists_installed_families():
    proc = subprocess.run([sys.executable, "-m", "registry_core", "list", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    names = {d["name"] for d in json.loads(proc.stdout)}
    assert {"vgg16", "vgg19"} <= names


class _Rival:
    __name__ = "rival"

    @hookimpl
    def registry_register_models(self, register):
        register(ModelSpec(name="alpha_net", family="greek", builder="elsewhere:Alpha", default_size=224,
                           min_size=32, preprocessing="tf", metadata=Metadata(parameters=1)))


def test_a_held_back_name_exits_2_naming_both_plugins(capsys):
    reg = Registry(plugins=[_Plugin(), _Rival()], entry_points=False)
    assert main(["info", "AlphaNet"], reg) == 2
    err = capsys.readouterr().err
    assert "registry: warning: Model name 'alpha_net' is claimed by fake (model 'alpha_net') and rival" in err
    assert err.splitlines()[-1].startswith("registry info: Model 'AlphaNet' is held back because plugins disagree")
    assert "Traceback" not in err
    assert main(["list"], reg) == 0 and "beta_net" in capsys.readouterr().out


def test_plugins_shows_models_held_back_by_a_clash(capsys):
    reg = Registry(plugins=[_Plugin(), _Rival()], entry_points=False)
    assert main(["plugins"], reg) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[2:]}
    assert rows["fake"].endswith("ok; held back (name clash): alpha_net")
    assert rows["rival"].endswith("ok; held back (name clash): alpha_net")
    assert main(["plugins", "--json"], reg) == 0
    data = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert data["fake"]["held_back"] == ["alpha_net"] and "beta_net" in data["fake"]["models"]


def test_info_aligns_the_weight_files_of_long_variant_keys(reg, capsys):
    assert main(["info", "alpha_net"], reg) == 0
    lines = capsys.readouterr().out.splitlines()
    files = [line for line in lines if ".h5" in line]
    assert len(files) == 2 and files[0].index("a.h5") == files[1].index("a_025.h5")


def test_list_of_an_unknown_family_names_the_families(capsys):
    reg = Registry(plugins=[_Plugin()], entry_points=False)
    assert main(["list", "--family", "gerek"], reg) == 0
    assert capsys.readouterr().err.strip() == "No family 'gerek'. Families: greek, latin."


def test_no_plugins_at_all(capsys):
    reg = Registry(entry_points=False)
    assert main(["list"], reg) == 0
    assert "No model plugin is loaded. Install the plugin of the model's family" in capsys.readouterr().err
    assert main(["plugins", "--json"], reg) == 0 and json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["info"]], ids=["nothing", "unknown-command", "no-name"])
def test_usage_errors_exit_2_without_traceback(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith("usage: registry") and "Traceback" not in err


@pytest.mark.parametrize(("error", "code"), [
    (RuntimeError("inside keras"), 1),
    (ValueError("a shape keras refused"), 1),  # not ours, so not a usage error
    (OSError(28, "No space left on device"), 1),
])
def test_foreign_errors_are_one_paragraph_exit_1(error, code, reg, capsys, monkeypatch):
    from registry_core import _cli

    def boom(args, reg):
        raise error

    monkeypatch.setattr(_cli, "cmd_list", boom)
    assert main(["list"], reg) == code
    err = capsys.readouterr().err
    assert err.startswith("registry list: ") and str(error) in err and "--debug" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_missing_backend_says_which_extra_to_install(reg, capsys, monkeypatch):
    from registry_core import _cli

    def needs_keras(args, reg):
        raise ModuleNotFoundError("No module named 'keras'", name="keras")

    monkeypatch.setattr(_cli, "cmd_list", needs_keras)
    assert main(["list"], reg) == 1
    err = capsys.readouterr().err
    assert "'keras' is not installed" in err and "registry-core[tensorflow]" in err and "Traceback" not in err


def test_a_closed_pipe_is_not_an_error():
    proc = subprocess.Popen([sys.executable, "-m", "registry_core", "list", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "REGISTRY_PLUGINS": ""})
    proc.stdout.close()  # the reader is gone before the first line, as with `| head -0`
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""
