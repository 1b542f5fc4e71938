"""`make demo`: its stamped install (with a stand-in Python, so no venv is made and no index
reached), and `examples/demo.py`, what it runs once `.venv` exists: through a loopback mirror,
with the real official files when they are at hand, and its failure without any source."""

from __future__ import annotations

import os
import runpy
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import MODEL, SIZE

pytestmark = pytest.mark.xdist_group("e2e")
ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "examples" / "demo.py"
# Runs the demo as `python examples/demo.py` would, then says which frameworks got imported.
WRAPPER = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    heavy = sorted(m for m in ("keras", "tensorflow", "jax", "torch") if m in sys.modules)
    print("frameworks imported:", heavy, file=sys.stderr)
"""


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("REGISTRY_") and k.lower() not in ("no_proxy", "https_proxy", "http_proxy")}
    env.update(REGISTRY_CACHE_DIR=str(tmp_path / "cache"), KERAS_HOME=str(tmp_path / "keras"),
               TF_CPP_MIN_LOG_LEVEL="3", **extra)
    return env


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("how", ["no network", "REGISTRY_OFFLINE=1"])
def test_without_any_source_the_demo_fails_fast_with_the_stores_advice(tmp_path, how):
    if how == "no network":  # every connection goes to a closed loopback port, refused at once
        proxy = f"http://127.0.0.1:{_closed_port()}"
        env = _environment(tmp_path, https_proxy=proxy, http_proxy=proxy)
    else:
        env = _environment(tmp_path, REGISTRY_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", WRAPPER, str(DEMO)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=10)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "registry predict: " in done.stderr and "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5" \
        in done.stderr
    assert "REGISTRY_WEIGHTS_MIRROR" in done.stderr and "registry cache dir" in done.stderr
    assert "frameworks imported: []" in done.stderr  # the weights were resolved before keras


def test_the_demo_classifies_its_photos_through_a_mirror(mirror, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = runpy.run_path(str(DEMO))["main"]([MODEL, "--input-size", str(SIZE)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].startswith(f"Classifying 4 photos from scikit-image with {MODEL}: a tabby cat")
    assert [line.partition(": ")[0] for line in out[1:]] == ["chelsea.jpg", "coffee.jpg", "astronaut.jpg",
                                                              "rocket.jpg"]
    assert all(line.count(", ") == 2 for line in out[1:])
    assert Path.cwd() == tmp_path


def test_the_demo_with_the_official_files_sees_the_cat(shared_weights, weight_server, tmp_path):
    """The real thing, as `make demo` runs it: official MobileNet weights and class index from a mirror."""
    for name in ("mobilenet_2_5_128_tf.h5", "imagenet_class_index.json"):
        weight_server.serve(name, shared_weights / name)
    env = _environment(tmp_path, REGISTRY_WEIGHTS_MIRROR=weight_server.base)
    done = subprocess.run([sys.executable, str(DEMO), "mobilenet", "--alpha", "0.25", "--input-size", "128"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    chelsea = next(line for line in done.stdout.splitlines() if line.startswith("chelsea.jpg: "))
    assert chelsea.partition(": ")[2].split(" ")[0] in ("Egyptian_cat", "tabby", "tiger_cat")
    assert "Traceback" not in done.stderr


# Logs each call; `-m venv DIR` makes DIR/bin/python, a copy of itself.
FAKE_PYTHON = """#!/bin/sh
echo "$*" >> "$CALLS"
if [ "$1" = -m ] && [ "$2" = venv ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi
"""


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make, which the README's commands use")
def test_make_demo_installs_once_then_only_runs_the_demo(tmp_path):
    """The first `make demo` creates .venv, installs the core with its extras and every plugin,
    then runs the demo; the second only runs the demo (the stamp is newer than what it installs)."""
    tree = tmp_path / "tree"
    plugins = sorted(p.parent.name for p in ROOT.glob("plugins/*/pyproject.toml"))
    for name in ["Makefile", "pyproject.toml", "constraints.txt", "examples/third_party_plugin/pyproject.toml",
                 *(f"plugins/{p}/pyproject.toml" for p in plugins)]:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tree / name)
    python = tmp_path / "python3"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    calls = tmp_path / "calls.txt"

    def make_demo() -> list[str]:
        calls.write_text("")
        subprocess.run(["make", "-s", "demo", f"PYTHON={python}"], cwd=tree, env={**os.environ, "CALLS": str(calls)},
                       check=True, capture_output=True, timeout=60)
        return calls.read_text().splitlines()

    first = make_demo()
    assert first[0] == "-m venv .venv" and first[-1] == "examples/demo.py"
    install = next(call for call in first if call.startswith("-m pip install") and "-e ." in call)
    assert "-c constraints.txt" in install and "examples" in install.partition("-e .")[2].split()[0]
    assert [p for p in plugins if f"-e plugins/{p}/" not in install] == []
    assert make_demo() == ["examples/demo.py"]
