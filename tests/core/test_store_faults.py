"""The store against a misbehaving loopback server: dropped connections,
server errors, rate limits, missing files, ignored ranges, wrong bodies,
tampered mirrors, unreachable hosts and filesystems without locks."""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import socket
import time

import pytest

from registry_core import ChecksumMismatchError, DownloadError, OfflineError, WeightFile, WeightsError
from registry_core._download import DownloadPolicy
from registry_core._paths import EntryPaths
from registry_core._store import WeightStore
from tests.loopback import Fault

SIZE = 200_000


def _leftovers(cache) -> list[str]:
    meta = cache / ".registry"
    return sorted(p.name for p in meta.iterdir() if p.suffix in {".part", ".tmp", ".json"}) if meta.exists() else []


def test_a_connection_dropped_mid_body_resumes(store, publish, weight_server):
    data = os.urandom(SIZE)
    wf = publish("dropped.h5", data)
    weight_server.fail("dropped.h5", Fault(drop_after=70_000))
    assert store.fetch(wf).read_bytes() == data
    first, second = weight_server.log("dropped.h5")
    assert (first.sent, second.range, second.status, second.sent) == (70_000, "bytes=70000-", 206, SIZE - 70_000)
    assert second.if_range == weight_server.etag("dropped.h5"), "a resume must carry If-Range"


def test_500_then_200(store, publish, weight_server):
    data = os.urandom(SIZE)
    wf = publish("flaky.h5", data)
    weight_server.fail("flaky.h5", Fault(status=500), Fault(status=502))
    assert store.fetch(wf).read_bytes() == data
    assert [r.status for r in weight_server.log("flaky.h5")] == [500, 502, 200]


def test_429_honours_retry_after(store, publish, weight_server):
    wf = publish("limited.h5")
    weight_server.fail("limited.h5", Fault(status=429, headers={"Retry-After": "1"}))
    start = time.monotonic()
    store.fetch(wf)
    assert time.monotonic() - start >= 0.95, "the store retried before Retry-After allowed"
    assert weight_server.count("limited.h5") == 2


def test_retry_after_beyond_the_budget_fails_at_once(store, publish, weight_server):
    wf = publish("throttled.h5")
    weight_server.fail("throttled.h5", Fault(status=503, headers={"Retry-After": "3600"}))
    start = time.monotonic()
    with pytest.raises(DownloadError, match="HTTP 503.*time budget"):
        store.fetch(wf)
    assert time.monotonic() - start < 1


@pytest.mark.parametrize("status", [403, 404])
def test_403_and_404_fail_at_once(store, publish, weight_server, tmp_cache, status):
    wf = publish(f"missing{status}.h5")
    weight_server.fail(wf.file_name, Fault(status=status))
    with pytest.raises(DownloadError, match=f"origin {wf.origin}: HTTP {status}") as info:
        store.fetch(wf)
    assert "REGISTRY_WEIGHTS_MIRROR" in str(info.value)
    assert weight_server.count(wf.file_name) == 1
    assert not (tmp_cache / wf.file_name).exists() and _leftovers(tmp_cache) == []


def test_a_server_ignoring_range_is_restarted_cleanly(store, publish, weight_server):
    data = os.urandom(SIZE)
    wf = publish("no_ranges.h5", data)
    weight_server.fail("no_ranges.h5", Fault(drop_after=50_000), Fault(ignore_range=True))
    assert store.fetch(wf).read_bytes() == data
    second = weight_server.log("no_ranges.h5")[1]
    assert (second.range, second.status, second.sent) == ("bytes=50000-", 200, SIZE)


def test_a_416_to_a_resume_starts_over(store, publish, weight_server):
    data = os.urandom(SIZE)
    wf = publish("unsatisfiable.h5", data)
    weight_server.fail("unsatisfiable.h5", Fault(drop_after=50_000), Fault(status=416))
    assert store.fetch(wf).read_bytes() == data
    assert [(r.range, r.status) for r in weight_server.log("unsatisfiable.h5")] == [
        (None, 200), ("bytes=50000-", 416), (None, 200)]


def test_a_changed_file_behind_if_range_is_restarted(store, publish, weight_server):
    old, new = os.urandom(SIZE), os.urandom(SIZE)
    wf = publish("republished.h5", old)
    weight_server.fail("republished.h5", Fault(drop_after=50_000))
    with pytest.raises(DownloadError):
        WeightStore(policy=DownloadPolicy(attempts=1)).fetch(wf)
    old_tag = weight_server.etag("republished.h5")
    newer = publish("republished.h5", new)  # new ETag: the partial must not be continued
    assert store.fetch(newer).read_bytes() == new
    # one request, not a resume that fails its hash and a second from zero: If-Range made the server send it all
    assert [(r.range, r.if_range, r.status, r.sent) for r in weight_server.log("republished.h5")] == [
        (None, None, 200, 50_000), ("bytes=50000-", old_tag, 200, SIZE)]


@pytest.mark.parametrize("sized", [True, False], ids=["size-known", "size-unknown"])
def test_flipped_bytes_are_refused(store, publish, weight_server, tmp_cache, sized):
    data = os.urandom(SIZE)
    wf = publish(f"flipped_{sized}.h5", data, sized=sized)
    flipped = bytearray(data)
    flipped[1234] ^= 0x01
    weight_server.fail(wf.file_name, Fault(body=bytes(flipped)))
    with pytest.raises(ChecksumMismatchError) as info:
        store.fetch(wf)
    error = info.value
    assert (error.url, error.expected) == (wf.origin, wf.hash) and error.actual != wf.hash
    assert wf.origin in str(error) and wf.hash in str(error)
    assert not (tmp_cache / wf.file_name).exists() and _leftovers(tmp_cache) == []
    assert store.fetch(wf).read_bytes() == data


def test_a_wrong_file_is_refused_even_when_both_passes_resumed(store, publish, weight_server, tmp_cache):
    data = os.urandom(SIZE)
    wf = publish("resumed_twice.h5", data)
    weight_server.fail(wf.file_name, Fault(drop_after=50_000))
    with pytest.raises(DownloadError):  # leaves a partial file to resume
        WeightStore(policy=DownloadPolicy(attempts=1)).fetch(wf)
    wrong = data[:150_000] + bytes(SIZE - 150_000)
    # the resume fails its hash; the pass from zero drops and resumes, and fails its hash too
    weight_server.fail(wf.file_name, Fault(body=wrong), Fault(body=wrong, drop_after=100_000), Fault(body=wrong))
    with pytest.raises(ChecksumMismatchError) as info:
        store.fetch(wf)
    assert (info.value.url, info.value.expected) == (wf.origin, wf.hash)
    assert [r.range for r in weight_server.log(wf.file_name)] == [None, "bytes=50000-", None, "bytes=100000-"]
    assert not (tmp_cache / wf.file_name).exists() and _leftovers(tmp_cache) == []


def test_a_truncated_file_is_refused(store, publish, weight_server, tmp_cache):
    data = os.urandom(SIZE)
    wf = publish("truncated.h5", data)
    weight_server.fail("truncated.h5", Fault(body=data[:-1000]))
    with pytest.raises(DownloadError, match="announces 199,000 bytes, but truncated.h5 has 200,000"):
        store.fetch(wf)
    assert weight_server.count("truncated.h5") == 1
    assert not (tmp_cache / "truncated.h5").exists() and _leftovers(tmp_cache) == []


def test_a_body_ending_early_without_a_length_is_resumed(store, publish, weight_server, tmp_cache):
    data = os.urandom(SIZE)
    wf = publish("cut_short.h5", data)
    weight_server.fail("cut_short.h5", Fault(body=data[:-1000], no_length=True))
    assert store.fetch(wf).read_bytes() == data
    assert [(r.range, r.status, r.sent) for r in weight_server.log("cut_short.h5")] == [
        (None, 200, SIZE - 1000), (f"bytes={SIZE - 1000}-", 206, 1000)]


@pytest.mark.parametrize("announced", [True, False], ids=["announced", "no-content-length"])
def test_an_oversized_file_is_refused(store, publish, weight_server, tmp_cache, announced):
    data = os.urandom(SIZE)
    wf = publish(f"oversized_{announced}.h5", data)
    weight_server.fail(wf.file_name, Fault(body=data + b"\0" * 10, no_length=not announced))
    reason = "announces 200,010 bytes" if announced else f"sent more than the 200,000 bytes expected of {wf.file_name}"
    with pytest.raises(DownloadError, match=reason):
        store.fetch(wf)
    assert weight_server.count(wf.file_name) == 1
    assert not (tmp_cache / wf.file_name).exists() and _leftovers(tmp_cache) == []


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "nothing"])
def test_the_size_cap_holds_when_the_spec_gives_no_size(publish, weight_server, tmp_cache, announced):
    wf = publish(f"huge_{announced}.h5", hashed=False, sized=False)
    weight_server.fail(wf.file_name, Fault(no_length=not announced))
    reason = "announces 200,000 bytes, more than the cap of 1,000" if announced else (
        "sent more than the cap of 1,000 bytes and announced no size")
    with pytest.raises(DownloadError, match=reason):
        WeightStore(policy=DownloadPolicy(max_size=1000)).fetch(wf)
    assert weight_server.count(wf.file_name) == 1
    assert not (tmp_cache / wf.file_name).exists() and _leftovers(tmp_cache) == []


def test_a_tampered_mirror_is_refused_and_the_origin_used(store, publish, weight_server, monkeypatch):
    data = os.urandom(SIZE)
    wf = publish("tampered.h5", data)
    weight_server.serve("mirror/tampered.h5", data[::-1])
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", f"{weight_server.base}/mirror")
    with pytest.warns(UserWarning, match=r"mirror http://127\.0\.0\.1:\d+/mirror/tampered\.h5 served a corrupted"):
        assert store.fetch(wf).read_bytes() == data
    assert weight_server.count("mirror/tampered.h5") == 1 and weight_server.count("tampered.h5") == 1


@pytest.mark.parametrize("origin", ["refused", "404", "tampered"])
def test_a_tampered_mirror_is_named_when_nothing_else_works(store, publish, weight_server, monkeypatch, origin):
    data = os.urandom(SIZE)
    wf = publish(f"tampered_only_{origin}.h5", data)
    weight_server.serve(f"mirror/{wf.file_name}", data[::-1])
    if origin == "refused":
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            wf = dataclasses.replace(wf, origin=f"http://127.0.0.1:{probe.getsockname()[1]}/{wf.file_name}")
    else:
        weight_server.fail(wf.file_name, Fault(status=404) if origin == "404" else Fault(body=data[::-1]))
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", f"{weight_server.base}/mirror")
    with pytest.raises(ChecksumMismatchError) as info:
        store.fetch(wf)
    message = str(info.value)
    assert re.search(rf"mirror http.*/mirror/{wf.file_name} served .*replace the mirror's copy, or unset "
                     "REGISTRY_WEIGHTS_MIRROR", message)
    if origin == "tampered":
        assert "every copy failed its hash check" in message and "check the network" not in message
    else:
        assert "every copy" not in message
        failed = "cannot connect" if origin == "refused" else "HTTP 404"
        assert re.search(rf"Failed the hash check \(none was kept in the cache\): mirror http[^;]*\. "
                         rf"Failed otherwise: origin {re.escape(wf.origin)}: {failed}.*for the others, check the "
                         "network connection", message)


def test_connection_refused_fails_in_seconds_with_one_message(tmp_cache, monkeypatch, capsys):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("REGISTRY_PROGRESS", "1")
    start = time.monotonic()
    with pytest.raises(DownloadError) as info:
        WeightStore().fetch(WeightFile("unreachable.h5", f"http://127.0.0.1:{port}/unreachable.h5"))
    assert time.monotonic() - start < 10
    assert "cannot connect" in str(info.value) and "gave up after 4 attempts" in str(info.value)
    assert "retrying" not in capsys.readouterr().err, "a server never reached is retried without notes"


def test_a_host_name_that_does_not_resolve_is_not_retried(tmp_cache, monkeypatch, capsys):
    lookups: list[str] = []
    resolve = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):  # answered here: a slow resolver cannot stall the test
        if str(host).endswith(".invalid"):
            lookups.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setenv("NO_PROXY", "*")  # a proxy would resolve the name itself
    monkeypatch.setenv("REGISTRY_PROGRESS", "1")
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", "http://mirror.registry-no-such-host.invalid/weights")
    start = time.monotonic()
    with pytest.raises(DownloadError) as info:  # the default policy: 4 attempts, backoff from 0.5 s
        WeightStore().fetch(WeightFile("nowhere.h5", "http://registry-no-such-host.invalid/nowhere.h5"))
    assert time.monotonic() - start < 1
    assert lookups == ["mirror.registry-no-such-host.invalid", "registry-no-such-host.invalid"]
    message = str(info.value)
    assert "mirror http://mirror.registry-no-such-host.invalid/weights/nowhere.h5: cannot resolve the host name " \
           "mirror.registry-no-such-host.invalid" in message
    assert "origin http://registry-no-such-host.invalid/nowhere.h5: cannot resolve the host name" in message
    assert "retrying" not in capsys.readouterr().err


def test_a_silent_host_is_given_up_on_when_the_budget_is_spent(tmp_cache):
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/silent.h5"
        policy = DownloadPolicy(attempts=10, backoff=0.05, budget=1.0, read_timeout=0.3)
        start = time.monotonic()
        with pytest.raises(DownloadError, match="time budget of 1 s"):
            WeightStore(policy=policy).fetch(WeightFile("silent.h5", url))
        assert time.monotonic() - start < 5


def test_a_black_holed_mirror_leaves_the_origin_its_share_of_the_budget(publish, weight_server, tmp_cache,
                                                                        monkeypatch):
    wf = publish("black_holed.h5")
    weight_server.fail(wf.file_name, Fault(status=503))  # the origin needs a retry, not just one try
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", f"http://127.0.0.1:{silent.getsockname()[1]}/")
        policy = DownloadPolicy(attempts=4, backoff=0.05, budget=2.0, read_timeout=5.0)
        start = time.monotonic()
        assert WeightStore(policy=policy).fetch(wf).exists()
        assert time.monotonic() - start < policy.budget
    assert [r.status for r in weight_server.log(wf.file_name)] == [503, 200]


class _NoLocks:
    """A filesystem without locks, as filelock reports it: ENOLCK, or (before 3.20) NotImplementedError."""

    error: Exception = OSError(errno.ENOLCK, "No locks available")

    def __init__(self, *args, **kwargs):
        pass

    def acquire(self, *args, **kwargs):
        raise self.error


class _NoFlock(_NoLocks):
    error = NotImplementedError("FileSystem does not appear to support flock; use SoftFileLock instead")


@pytest.mark.parametrize("lock_class", [_NoLocks, _NoFlock], ids=["ENOLCK", "NotImplementedError"])
def test_without_locks_each_process_uses_a_private_temporary_file(store, publish, weight_server, tmp_cache,
                                                                   monkeypatch, lock_class):
    monkeypatch.setattr("registry_core._lock.FileLock", lock_class)
    data = os.urandom(SIZE)
    wf = publish(f"nfs_{lock_class.__name__}.h5", data)
    weight_server.fail(wf.file_name, Fault(drop_after=60_000))
    assert store.fetch(wf).read_bytes() == data
    second = weight_server.log(wf.file_name)[1]
    assert second.range is None, "a private temporary file is never resumed"
    assert not EntryPaths(tmp_cache, wf.file_name).partial.exists() and _leftovers(tmp_cache) == []


def _cache_error(errno_: int) -> OSError:
    return OSError(errno_, os.strerror(errno_))


def test_a_cache_directory_that_cannot_be_made_is_a_weights_error(publish, tmp_path, monkeypatch):
    (tmp_path / "a_file").write_bytes(b"")
    monkeypatch.setenv("REGISTRY_CACHE_DIR", str(tmp_path / "a_file" / "cache"))
    with pytest.raises(WeightsError) as info:
        WeightStore().fetch(publish("nowhere.h5"))
    message = str(info.value)
    assert message.startswith(f"Cannot write to the weight cache {tmp_path / 'a_file' / 'cache'}: Not a directory")
    assert "set REGISTRY_CACHE_DIR to a writable directory" in message


def test_a_read_only_cache_without_locks_is_a_weights_error(store, publish, monkeypatch):
    monkeypatch.setattr("registry_core._lock.FileLock", _NoLocks)
    monkeypatch.setattr("registry_core._store.tempfile.mkstemp", lambda **kw: (_ for _ in ()).throw(
        _cache_error(errno.EROFS)))
    with pytest.raises(WeightsError, match="Cannot write to the weight cache .*: Read-only file system.*"
                                           "REGISTRY_CACHE_DIR"):
        store.fetch(publish("read_only.h5"))


def test_a_full_disk_is_a_weights_error_and_leaves_no_partial_file(store, publish, weight_server, tmp_cache,
                                                                    monkeypatch):
    wf = publish("disk_full.h5")

    def fsync(fd):
        raise _cache_error(errno.ENOSPC)

    monkeypatch.setattr("registry_core._download.os.fsync", fsync)
    with pytest.raises(WeightsError, match="No space left on device.*free space there"):
        store.fetch(wf)
    assert weight_server.count(wf.file_name) == 1, "a full cache is not the source's fault"
    assert not (tmp_cache / wf.file_name).exists() and _leftovers(tmp_cache) == []


def test_a_pin_that_cannot_be_written_still_serves_the_file(store, publish, tmp_cache, monkeypatch):
    wf = publish("unpinnable.h5", hashed=False, sized=False)
    (tmp_cache / wf.file_name).write_bytes(b"placed by hand in a read-only cache")
    monkeypatch.setenv("REGISTRY_OFFLINE", "1")

    def write_pin(path, digest):
        raise _cache_error(errno.EROFS)

    monkeypatch.setattr("registry_core._store.write_pin", write_pin)
    assert store.fetch(wf) == tmp_cache / wf.file_name


@pytest.mark.parametrize("offline", ["0", "1"])
def test_an_unreadable_file_source_is_skipped(store, publish, weight_server, tmp_path, monkeypatch, offline):
    wf = publish("a_directory.h5", sized=False)  # past the size check, to the open
    (tmp_path / "mirror" / wf.file_name).mkdir(parents=True)  # opening it fails: Is a directory
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", (tmp_path / "mirror").as_uri())
    monkeypatch.setenv("REGISTRY_OFFLINE", offline)
    if offline == "1":
        with pytest.raises(OfflineError, match=r"mirror file://.*: cannot read .*a_directory\.h5 \(Is a directory\)"):
            store.fetch(wf)
    else:
        assert store.fetch(wf).exists() and weight_server.count(wf.file_name) == 1


def test_files_removed_while_listed_are_skipped(store, publish, monkeypatch):
    wf = publish("stays.h5")
    store.fetch(wf)
    listed = store._names
    monkeypatch.setattr(store, "_names", lambda: [*listed(), "vanished.h5"])
    assert [e.file_name for e in store.entries()] == ["stays.h5"]
    assert [(r.file_name, r.status) for r in store.verify({"stays.h5": wf, "vanished.h5": wf})] == [("stays.h5", "ok")]
