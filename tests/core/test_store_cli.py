"""`registry fetch` and `registry cache ls|verify|prune|dir` on a loopback registry."""

from __future__ import annotations

import json
import os

import pytest

from registry_core import Metadata, ModelSpec, Registry, hookimpl
from registry_core._cli import main
from tests.loopback import Fault


@pytest.fixture
def files(publish) -> dict:
    return {
        "top": publish("cli_net.h5"),
        "no_top": publish("cli_net_notop.h5"),
        "alpha_0.5": publish("cli_net_05.h5", hashed=False),
    }


def _plugin(files: dict, name: str = "cli_plugin") -> object:
    class Plugin:
        __name__ = name

        @hookimpl
        def registry_register_models(self, register):
            register(ModelSpec(name="cli_net", family="test", builder="nowhere:CliNet", default_size=32,
                               min_size=32, preprocessing="tf", metadata=Metadata(parameters=1),
                               weights={"imagenet": files}))
            register(ModelSpec(name="bare_net", family="test", builder="nowhere:Bare", default_size=32,
                               min_size=32, preprocessing="tf", metadata=Metadata(parameters=1)))

    return Plugin()


@pytest.fixture
def reg(files) -> Registry:
    return Registry(plugins=[_plugin(files)], entry_points=False)


def test_fetch_top_no_top_and_all_variants(reg, tmp_cache, capsys):
    assert main(["fetch", "cli_net"], reg) == 0
    assert capsys.readouterr().out.split() == [str(tmp_cache / "cli_net.h5")]
    assert main(["fetch", "CLI_NET", "--no-top"], reg) == 0
    assert capsys.readouterr().out.split() == [str(tmp_cache / "cli_net_notop.h5")]
    assert main(["fetch", "cli_net", "--all-variants"], reg) == 0
    assert sorted(capsys.readouterr().out.split()) == sorted(
        str(tmp_cache / n) for n in ("cli_net.h5", "cli_net_notop.h5", "cli_net_05.h5"))


def test_fetch_failures(reg, weight_server, capsys):
    assert main(["fetch", "bare_net"], reg) == 0
    assert "bare_net has no pretrained file with top" in capsys.readouterr().err
    weight_server.fail("cli_net.h5", Fault(status=404))
    assert main(["fetch", "cli_net"], reg) == 1
    err = capsys.readouterr().err
    assert err.startswith("registry fetch: Could not download cli_net.h5") and "Traceback" not in err
    assert main(["fetch", "no_such_net"], reg) == 2
    assert "Unknown model 'no_such_net'" in capsys.readouterr().err


def test_cache_dir(reg, tmp_cache, capsys):
    assert main(["cache", "dir"], reg) == 0
    assert capsys.readouterr().out.strip() == str(tmp_cache)


def test_cache_ls_shows_trust(reg, tmp_cache, capsys):
    assert main(["cache", "ls"], reg) == 0
    assert "is empty" in capsys.readouterr().err
    main(["fetch", "cli_net", "--all-variants"], reg)
    capsys.readouterr()
    assert main(["cache", "ls"], reg) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[2:]}
    assert "md5" in lines["cli_net.h5"] and "published hash" in lines["cli_net.h5"]
    assert "sha256" in lines["cli_net_05.h5"] and "unpinned, first-use sha256" in lines["cli_net_05.h5"]
    assert "published" not in lines["cli_net_05.h5"] and "changed" not in lines["cli_net_05.h5"]
    assert "cli_net/imagenet/alpha_0.5" in lines["cli_net_05.h5"]
    assert main(["cache", "ls", "--json"], reg) == 0
    data = {e["file_name"]: e for e in json.loads(capsys.readouterr().out)}
    assert data["cli_net_05.h5"]["published"] is False and data["cli_net.h5"]["published"] is True
    assert data["cli_net_05.h5"]["verified"] is True and "pinned" not in data["cli_net_05.h5"]
    assert data["cli_net.h5"]["used_by"] == ["cli_net/imagenet/top"]


def test_cache_verify_removes_bad_files(reg, tmp_cache, capsys):
    main(["fetch", "cli_net", "--all-variants"], reg)
    (tmp_cache / "cli_net_notop.h5").write_bytes(b"tampered")
    capsys.readouterr()
    assert main(["cache", "verify"], reg) == 1
    out = capsys.readouterr().out
    assert "bad      cli_net_notop.h5  md5 is" in out and "removed" in out
    assert out.count("ok ") == 2
    assert not (tmp_cache / "cli_net_notop.h5").exists()
    assert main(["cache", "verify"], reg) == 0


def test_cache_prune(reg, tmp_cache, capsys):
    main(["fetch", "cli_net"], reg)
    (tmp_cache / "old_model.h5").write_bytes(b"no installed model uses this")
    capsys.readouterr()
    assert main(["cache", "prune", "--dry-run"], reg) == 0
    assert "would remove" in capsys.readouterr().out and (tmp_cache / "old_model.h5").exists()
    assert main(["cache", "prune"], reg) == 0
    assert f"removed {tmp_cache / 'old_model.h5'}" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_cache.iterdir() if p.is_file()) == ["cli_net.h5"]
    assert main(["cache", "prune"], reg) == 0
    assert "Nothing to prune" in capsys.readouterr().err


class _Broken:
    __name__ = "broken_plugin"

    @hookimpl
    def registry_register_models(self, register):
        raise ImportError("its architecture module is missing")


@pytest.mark.parametrize("why", ["a plugin failed", "REGISTRY_PLUGINS", "a name clash"])
def test_cache_prune_refuses_when_some_models_are_not_loaded(reg, files, tmp_cache, monkeypatch, capsys, why):
    main(["fetch", "cli_net"], reg)
    (tmp_cache / "old_model.h5").write_bytes(b"no installed model uses this")
    partial = reg
    if why == "a plugin failed":
        partial = Registry(plugins=[_plugin(files), _Broken()], entry_points=False)
    elif why == "REGISTRY_PLUGINS":
        monkeypatch.setenv("REGISTRY_PLUGINS", "cli_plugin")
    else:
        partial = Registry(plugins=[_plugin(files), _plugin(files, "twin_plugin")], entry_points=False)
    capsys.readouterr()
    for argv in (["cache", "prune"], ["cache", "prune", "--dry-run"]):
        assert main(argv, partial) == 1
        err = capsys.readouterr().err
        assert "registry cache prune: Refusing to prune" in err and "--force" in err
        assert {"a plugin failed": "plugin broken_plugin failed to load (registry_register_models failed: "
                                   "ImportError: its architecture module is missing)",
                "REGISTRY_PLUGINS": "REGISTRY_PLUGINS is set (cli_plugin)",
                "a name clash": "models bare_net, cli_net are held back"}[why] in err
    assert (tmp_cache / "old_model.h5").exists() and (tmp_cache / "cli_net.h5").exists()
    assert main(["cache", "prune", "--force"], partial) == 0
    assert f"removed {tmp_cache / 'old_model.h5'}" in capsys.readouterr().out
    assert not (tmp_cache / "old_model.h5").exists()


def test_the_cli_runs_without_keras(tmp_cache, tmp_path):
    import subprocess
    import sys

    code = ("import sys; from registry_core._cli import main; rc = main(['cache', 'dir']); "
            "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules; sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "REGISTRY_PLUGINS": ""})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_cache)
