"""Fixtures shared by every test.

- `weight_server` (session): a loopback HTTP server (`tests/loopback.py`);
  tests publish files with `serve(name, path_or_bytes) -> url`, count GETs
  with `count(name)` and inject faults with `fail(name, Fault(...))`. Queued
  faults and the request log are cleared before each test that uses it;
  published files stay for the session.
- `tmp_cache`: an empty weight cache and Keras home for one test, with the
  store's environment cleared (no mirror, online, no progress bars).
- `shared_weights`: the folder of official files named by
  `REGISTRY_SHARED_WEIGHTS` (set by `.ci/run`); tests skip without it.
- Hypothesis profile `ci` (derandomized, bounded), loaded when `CI` is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.loopback import WeightServer

settings.register_profile("ci", derandomize=True, max_examples=25, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def weight_server() -> Iterator[WeightServer]:
    server = WeightServer().start()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _fresh_weight_server(request: pytest.FixtureRequest) -> None:
    if "weight_server" in request.fixturenames:
        request.getfixturevalue("weight_server").reset()


@pytest.fixture
def tmp_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "registry-cache"
    keras_home = tmp_path / "keras-home"
    cache.mkdir()
    keras_home.mkdir()
    monkeypatch.setenv("REGISTRY_CACHE_DIR", str(cache))
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.delenv("REGISTRY_WEIGHTS_MIRROR", raising=False)
    monkeypatch.delenv("REGISTRY_OFFLINE", raising=False)
    monkeypatch.setenv("REGISTRY_PROGRESS", "0")
    return cache


@pytest.fixture(scope="session")
def shared_weights() -> Path:
    folder = os.environ.get("REGISTRY_SHARED_WEIGHTS")
    if not folder:
        pytest.skip("REGISTRY_SHARED_WEIGHTS is unset: it names the folder of official weight files "
                    "(.ci/run sets it); these tests need the real files.")
    return Path(folder)
