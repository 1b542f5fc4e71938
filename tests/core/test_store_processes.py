"""The store across processes: eight fetching at once share one transfer,
and a download killed with SIGKILL leaves nothing at the final path and is
resumed from where it stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from registry_core._paths import EntryPaths
from tests.loopback import Fault

WORKER = Path(__file__).with_name("store_worker.py")
SIZE = 512 * 1024


def _start(wf, env=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), wf.file_name, wf.origin, wf.hash, str(wf.size)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def _until(condition, seconds: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process handling")
def test_eight_processes_share_one_transfer(publish, weight_server, tmp_cache):
    data = os.urandom(SIZE)
    wf = publish("race.h5", data)
    weight_server.fail("race.h5", Fault(stall_after=64 * 1024))  # hold the first download open
    procs = [_start(wf, {**os.environ, "REGISTRY_PROGRESS": "1"}) for _ in range(8)]
    stderr: list[list[str]] = [[] for _ in procs]
    readers = [threading.Thread(target=lambda p=p, out=out: out.extend(p.stderr), daemon=True)
               for p, out in zip(procs, stderr)]
    for reader in readers:
        reader.start()
    pids = [int(p.stdout.readline().split()[1]) for p in procs]
    try:
        _until(lambda: sum(any("Waiting for race.h5" in line for line in err) for err in stderr) == 7,
               what="seven processes waiting for the lock")
    finally:
        weight_server.release()
    paths = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, "".join(stderr[procs.index(proc)])
        paths.append(out.split("path ", 1)[1].strip())
    for reader in readers:
        reader.join(5)
    assert weight_server.count("race.h5") == 1
    assert set(paths) == {str(tmp_cache / "race.h5")}
    assert Path(paths[0]).read_bytes() == data
    waits = [line for err in stderr for line in err if "Waiting for" in line]
    holders = {int(line.split("process ")[1].split()[0]) for line in waits}
    assert len(holders) == 1 and holders <= set(pids), waits


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_mid_download_leaves_nothing_and_resumes(store, publish, weight_server, tmp_cache):
    data = os.urandom(SIZE)
    wf = publish("killed.h5", data)
    cut = 300_000
    weight_server.fail("killed.h5", Fault(stall_after=cut))
    proc = _start(wf)
    partial = EntryPaths(tmp_cache, "killed.h5").partial
    try:
        _until(lambda: partial.exists() and partial.stat().st_size == cut, what="the partial file")
        assert not (tmp_cache / "killed.h5").exists()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
        weight_server.release()
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_cache / "killed.h5").exists()
    assert store.fetch(wf).read_bytes() == data
    last = weight_server.log("killed.h5")[-1]
    assert (weight_server.count("killed.h5"), last.range, last.if_range, last.status, last.sent) == (
        2, f"bytes={cut}-", weight_server.etag("killed.h5"), 206, SIZE - cut)
    assert not partial.exists()
