"""The weight store against a loopback server: lookup order, offline use,
cache hits that read nothing, trust on first use, and what it refuses."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from pathlib import Path

import pytest

from registry_core import (
    ChecksumMismatchError,
    OfflineError,
    Registry,
    UnsafeSourceError,
    WeightFile,
    hookimpl,
)
from registry_core import _hashing, _progress
from registry_core._paths import EntryPaths, checked_name, keras_models_dir
from registry_core._store import WeightStore
from tests.loopback import Fault


@pytest.fixture
def count_hashing(monkeypatch) -> list[str]:
    """The algorithms of every hash the store computes (each starts with `new_hash`)."""
    calls: list[str] = []
    real = _hashing.new_hash

    def new_hash(algorithm):
        calls.append(algorithm)
        return real(algorithm)

    monkeypatch.setattr(_hashing, "new_hash", new_hash)
    return calls


def test_fetch_verifies_caches_and_hits_without_reading(store, publish, weight_server, tmp_cache, count_hashing):
    data = os.urandom(150_000)
    wf = publish("plain.h5", data)
    path = store.fetch(wf)
    assert path == tmp_cache / "plain.h5" and path.read_bytes() == data
    assert weight_server.count("plain.h5") == 1 and count_hashing == ["md5"]
    count_hashing.clear()
    for _ in range(3):
        assert store.fetch(wf) == path
    assert weight_server.count("plain.h5") == 1
    assert count_hashing == [], "a hit on an unchanged file must read no content"


@pytest.mark.parametrize("keep_mtime", [False, True], ids=["edited", "edited-mtime-restored"])
def test_an_edited_file_is_caught_and_fetched_again(store, publish, weight_server, keep_mtime):
    data = os.urandom(100_000)
    wf = publish("edited.h5", data)
    path = store.fetch(wf)
    before = path.stat()
    with open(path, "r+b") as f:
        f.seek(5000)
        f.write(bytes([data[5000] ^ 0xFF]))
    if keep_mtime:  # ctime and the hash still give it away
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert store.fetch(wf).read_bytes() == data
    assert weight_server.count("edited.h5") == 2


def test_an_edited_file_is_refused_offline(store, publish, weight_server, monkeypatch):
    wf = publish("edited_offline.h5")
    path = store.fetch(wf)
    path.write_bytes(b"x" * wf.size)
    monkeypatch.setenv("REGISTRY_OFFLINE", "1")
    with pytest.raises(ChecksumMismatchError, match="changed since it was verified.*REGISTRY_OFFLINE"):
        store.fetch(wf)
    assert weight_server.count("edited_offline.h5") == 1


@pytest.mark.parametrize("against", ["the published hash", "its first-use pin", "the published size"])
def test_a_hand_placed_file_is_not_said_to_have_changed(store, publish, weight_server, tmp_cache, monkeypatch,
                                                         capsys, against):
    wf = publish(f"hand_placed_{against.split()[-1]}.h5", hashed=against == "the published hash")
    store.fetch(wf)
    EntryPaths(tmp_cache, wf.file_name).record.unlink()
    if against == "the published size":
        EntryPaths(tmp_cache, wf.file_name).pin.unlink()
    (tmp_cache / wf.file_name).write_bytes(b"x" * (wf.size - 1))  # copied there by hand, never verified
    monkeypatch.setenv("REGISTRY_OFFLINE", "1")
    with pytest.raises(ChecksumMismatchError, match=f"has no verification record and does not match {against}"):
        store.fetch(wf)
    monkeypatch.setenv("REGISTRY_OFFLINE", "0")
    monkeypatch.setenv("REGISTRY_PROGRESS", "1")
    store.fetch(wf)
    assert f"has no verification record and does not match {against}" in capsys.readouterr().err
    assert weight_server.count(wf.file_name) == 2


def test_a_touched_intact_file_is_rehashed_once(store, publish, weight_server, count_hashing):
    wf = publish("touched.h5")
    path = store.fetch(wf)
    os.utime(path, ns=(1, 1))
    count_hashing.clear()
    store.fetch(wf)
    store.fetch(wf)
    assert count_hashing == ["md5"] and weight_server.count("touched.h5") == 1


def test_offline_with_the_file_never_connects(store, publish, weight_server, monkeypatch):
    wf = publish("offline_hit.h5")
    store.fetch(wf)
    monkeypatch.setenv("REGISTRY_OFFLINE", "1")
    monkeypatch.setattr("requests.Session.get", _no_network)
    assert store.fetch(wf).exists()
    assert weight_server.count("offline_hit.h5") == 1


def _no_network(*args, **kwargs):
    raise AssertionError("the store opened a connection while offline")


def test_offline_without_the_file_names_it_and_both_remedies(store, publish, weight_server, monkeypatch):
    wf = publish("offline_miss.h5")
    monkeypatch.setenv("REGISTRY_OFFLINE", "1")
    monkeypatch.setattr("requests.Session.get", _no_network)
    with pytest.raises(OfflineError) as info:
        store.fetch(wf)
    message = str(info.value)
    assert "offline_miss.h5" in message and "REGISTRY_OFFLINE=1" in message
    assert "registry fetch" in message and "registry cache dir" in message
    assert "REGISTRY_WEIGHTS_MIRROR" in message and "file://" in message
    assert weight_server.count("offline_miss.h5") == 0


def test_mirror_comes_before_the_origin(store, publish, weight_server, monkeypatch):
    data = os.urandom(50_000)
    wf = publish("mirrored file.h5", data)
    weight_server.serve("mirror/mirrored%20file.h5", data)
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", f"{weight_server.base}/mirror/")
    assert store.fetch(wf).read_bytes() == data
    assert weight_server.count("mirror/mirrored%20file.h5") == 1
    assert weight_server.count("mirrored file.h5") == 0


@pytest.mark.parametrize("offline", ["0", "1"])
def test_file_mirror(store, publish, weight_server, monkeypatch, tmp_path, offline):
    data = os.urandom(50_000)
    wf = publish("air_gapped.h5", data)
    (tmp_path / "mirror dir").mkdir()
    (tmp_path / "mirror dir" / "air_gapped.h5").write_bytes(data)
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", (tmp_path / "mirror dir").as_uri())
    monkeypatch.setenv("REGISTRY_OFFLINE", offline)
    assert store.fetch(wf).read_bytes() == data
    assert weight_server.count("air_gapped.h5") == 0


def test_plugin_sources_come_between_mirror_and_origin(publish, weight_server, tmp_cache, monkeypatch):
    data = os.urandom(50_000)
    wf = publish("sourced.h5", data)
    weight_server.serve("plugin/sourced.h5", data)
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", f"{weight_server.base}/empty-mirror")

    class Plugin:
        __name__ = "sources"

        @hookimpl
        def registry_register_weight_sources(self, register):
            register(lambda f: [f"{weight_server.base}/plugin/{f.file_name}"])

    reg = Registry(plugins=[Plugin()], entry_points=False)
    assert reg.store.fetch(wf).read_bytes() == data
    assert weight_server.count("empty-mirror/sourced.h5") == 1
    assert weight_server.count("plugin/sourced.h5") == 1
    assert weight_server.count("sourced.h5") == 0


def test_plugin_sources_are_named_by_their_plugin_in_errors(publish, weight_server, tmp_cache):
    data = os.urandom(50_000)
    wf = publish("named.h5", data)
    weight_server.serve("plugin/named.h5", data[::-1])
    weight_server.fail("named.h5", Fault(status=404))

    class Plugin:
        __name__ = "uxnet"

        @hookimpl
        def registry_register_weight_sources(self, register):
            register(lambda f: [f"{weight_server.base}/plugin/{f.file_name}"])
            register(lambda f: 1 / 0)

    with pytest.raises(ChecksumMismatchError) as info:
        Registry(plugins=[Plugin()], entry_points=False).store.fetch(wf)
    message = str(info.value)
    assert f"plugin uxnet {weight_server.base}/plugin/named.h5: " in message
    assert "plugin uxnet raised ZeroDivisionError" in message and "tell the authors of plugin uxnet" in message
    assert "lambda" not in message


def test_broken_and_unsafe_plugin_sources_fall_through_to_the_origin(publish, weight_server, tmp_cache):
    def broken(wf):
        raise RuntimeError("no idea")

    wf = publish("fallthrough.h5")
    store = WeightStore(sources=[broken, lambda f: ["ftp://example.invalid/x.h5"]])
    assert store.fetch(wf).exists()
    assert weight_server.count("fallthrough.h5") == 1


@pytest.mark.parametrize("offline", ["0", "1"])
def test_a_file_in_keras_cache_is_verified_and_reused(store, publish, weight_server, tmp_cache, monkeypatch,
                                                      offline):
    monkeypatch.setenv("REGISTRY_OFFLINE", offline)
    data = os.urandom(60_000)
    wf = publish("from_keras.h5", data)
    keras_models = Path(os.environ["KERAS_HOME"]) / "models"
    keras_models.mkdir()
    (keras_models / "from_keras.h5").write_bytes(data)
    path = store.fetch(wf)
    assert path.parent == tmp_cache and path.read_bytes() == data
    assert weight_server.count("from_keras.h5") == 0


def test_a_bad_copy_in_keras_cache_is_refused(store, publish, weight_server):
    data = os.urandom(60_000)
    wf = publish("bad_keras.h5", data)
    keras_models = Path(os.environ["KERAS_HOME"]) / "models"
    keras_models.mkdir()
    (keras_models / "bad_keras.h5").write_bytes(bytes(len(data)))
    with pytest.warns(UserWarning, match="Keras' cache.*refused"):
        assert store.fetch(wf).read_bytes() == data
    assert weight_server.count("bad_keras.h5") == 1


def test_a_bad_copy_in_keras_cache_is_named_and_left_alone(store, publish, weight_server):
    wf = publish("bad_keras_only.h5")
    weight_server.fail(wf.file_name, Fault(status=404))
    copy = Path(os.environ["KERAS_HOME"]) / "models" / wf.file_name
    copy.parent.mkdir()
    copy.write_bytes(bytes(wf.size))
    with pytest.raises(ChecksumMismatchError) as info:
        store.fetch(wf)
    message = str(info.value)
    assert "none was kept in the cache" in message and "removed" not in message
    assert f"delete the bad copy {copy} from Keras' cache" in message
    assert copy.exists(), "Keras' cache is never changed"


def test_keras_cache_is_not_trusted_for_files_without_a_published_hash(store, publish, weight_server):
    wf = publish("unhashed_keras.h5", hashed=False)
    keras_models = Path(os.environ["KERAS_HOME"]) / "models"
    keras_models.mkdir()
    (keras_models / "unhashed_keras.h5").write_bytes(b"whatever")
    store.fetch(wf)
    assert weight_server.count("unhashed_keras.h5") == 1


def test_trust_on_first_use_pins_the_first_download(store, publish, weight_server, tmp_cache):
    first = os.urandom(40_000)
    wf = publish("mobilenet_like.h5", first, hashed=False, sized=False)
    path = store.fetch(wf)
    [entry] = store.entries()
    assert (entry.algorithm, entry.digest, entry.published) == ("sha256", hashlib.sha256(first).hexdigest(), False)
    path.unlink()
    weight_server.serve("mobilenet_like.h5", os.urandom(40_000))  # the origin now serves something else
    with pytest.raises(ChecksumMismatchError, match="sha256") as info:
        store.fetch(wf)
    assert info.value.expected == hashlib.sha256(first).hexdigest()
    assert not path.exists()
    weight_server.serve("mobilenet_like.h5", first)
    assert store.fetch(wf).read_bytes() == first


def test_environment_is_read_at_fetch_time(store, publish, monkeypatch, tmp_path):
    wf = publish("moving.h5")
    first = store.fetch(wf)
    monkeypatch.setenv("REGISTRY_CACHE_DIR", str(tmp_path / "elsewhere"))
    second = store.fetch(wf)
    assert first.parent != second.parent == tmp_path / "elsewhere"


@pytest.mark.parametrize("name", ["../evil.h5", "..", "a/b.h5", "a\\b.h5", "", ".registry", "c:evil.h5", "x\0.h5"])
def test_traversal_names_are_refused(store, publish, name, tmp_cache):
    wf = publish("innocent.h5")
    object.__setattr__(wf, "file_name", name)  # a hostile object, past WeightFile's own checks
    with pytest.raises(UnsafeSourceError, match="plain base names"):
        store.fetch(wf)
    with pytest.raises(UnsafeSourceError):
        checked_name(name)
    assert not any(tmp_cache.parent.glob("evil*"))


@pytest.mark.parametrize("origin", ["ftp://example.invalid/w.h5", "javascript:alert(1)", "/etc/passwd", "s3://b/w.h5"])
def test_unsupported_origin_schemes_are_refused(store, origin):
    wf = WeightFile("w.h5", "https://example.invalid/w.h5", "0" * 32, "md5")
    object.__setattr__(wf, "origin", origin)  # a hostile object, past WeightFile's own checks
    with pytest.raises(UnsafeSourceError, match="only https, http, file"):
        store.fetch(wf)


def test_unsupported_mirror_scheme_is_refused(store, publish, monkeypatch):
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", "ftp://mirror.invalid/weights")
    with pytest.raises(UnsafeSourceError, match="REGISTRY_WEIGHTS_MIRROR"):
        store.fetch(publish("w_mirror_scheme.h5"))


@pytest.mark.parametrize("offline", ["0", "1"])
def test_a_cached_file_without_its_record_is_served_whatever_the_mirror_says(store, publish, weight_server,
                                                                              tmp_cache, monkeypatch, offline):
    wf = publish("copied_cache.h5")
    store.fetch(wf)
    EntryPaths(tmp_cache, "copied_cache.h5").record.unlink()  # a cache directory copied without .registry
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", "ftp://mirror.invalid/weights")
    monkeypatch.setenv("REGISTRY_OFFLINE", offline)
    assert store.fetch(wf) == tmp_cache / "copied_cache.h5"
    assert weight_server.count("copied_cache.h5") == 1


def test_progress_notes_follow_registry_progress(store, publish, weight_server, monkeypatch, capsys):
    wf = publish("chatty.h5")
    weight_server.fail("chatty.h5", Fault(status=503))
    store.fetch(wf)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("REGISTRY_PROGRESS", "1")
    weight_server.fail("chatty2.h5", Fault(status=503))
    store.fetch(publish("chatty2.h5"))
    err = capsys.readouterr().err
    assert "HTTP 503; retrying" in err and "Downloading chatty2.h5" in err


def test_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    monkeypatch.setenv("REGISTRY_PROGRESS", "1")
    with _progress.bar("x.h5", 2_500_000) as quiet:
        quiet.update(2_500_000)
    assert capsys.readouterr().err == ""

    class Terminal:
        def __init__(self):
            self.text = ""

        def isatty(self):
            return True

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with _progress.bar("x.h5", 2_500_000) as shown:
        shown.update(2_500_000)
    assert "x.h5" in terminal.text and "2.38M" in terminal.text and "B/s" in terminal.text  # name, size, rate
    monkeypatch.setenv("REGISTRY_PROGRESS", "0")
    terminal.text = ""
    with _progress.bar("x.h5", 2_500_000) as quiet:
        quiet.update(2_500_000)
    assert terminal.text == ""


def test_entries_verify_and_prune(store, publish, tmp_cache):
    hashed = publish("kept.h5")
    unhashed = publish("first_use.h5", hashed=False)
    store.fetch(hashed)
    store.fetch(unhashed)
    (tmp_cache / "stray.bin").write_bytes(b"left by someone")
    partial = EntryPaths(tmp_cache, "interrupted.h5").partial
    partial.write_bytes(b"half")
    entries = {e.file_name: e for e in store.entries()}
    assert entries["kept.h5"].published and entries["kept.h5"].algorithm == "md5"
    assert not entries["first_use.h5"].published and entries["first_use.h5"].algorithm == "sha256"
    assert entries["stray.bin"].digest is None

    (tmp_cache / "kept.h5").write_bytes(b"tampered")
    results = {r.file_name: r.status for r in store.verify({"kept.h5": hashed})}
    assert results == {"kept.h5": "bad", "first_use.h5": "ok", "stray.bin": "unknown"}
    assert not (tmp_cache / "kept.h5").exists()

    assert store.prune({"first_use.h5"}, dry_run=True)
    assert (tmp_cache / "stray.bin").exists()
    removed = store.prune({"first_use.h5"})
    assert tmp_cache / "stray.bin" in removed and partial in removed
    assert [e.file_name for e in store.entries()] == ["first_use.h5"]
    assert store.fetch(unhashed).exists()


def test_registry_has_one_store_on_the_configured_cache(tmp_cache):
    reg = Registry(plugins=[], entry_points=False)
    assert isinstance(reg.store, WeightStore) and reg.store is reg.store
    assert reg.store.cache_dir() == tmp_cache


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG cache directory is Linux's")
def test_default_cache_and_keras_directories(monkeypatch, tmp_path):
    for name in ("REGISTRY_CACHE_DIR", "KERAS_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert WeightStore().cache_dir() == tmp_path / "xdg" / "registry-core"
    assert keras_models_dir() == tmp_path / "home" / ".keras" / "models"
    monkeypatch.setenv("REGISTRY_CACHE_DIR", "~/weights")
    monkeypatch.setenv("KERAS_HOME", "~/keras")
    assert WeightStore().cache_dir() == tmp_path / "home" / "weights"
    assert keras_models_dir() == tmp_path / "home" / "keras" / "models"


def test_changed_spec_hash_is_not_a_hit(store, publish, weight_server):
    data = os.urandom(30_000)
    wf = publish("respun.h5", data)
    store.fetch(wf)
    new = os.urandom(30_000)
    weight_server.serve("respun.h5", new)
    newer = dataclasses.replace(wf, hash=hashlib.md5(new).hexdigest())
    assert store.fetch(newer).read_bytes() == new
