"""The weight store and loader against Keras' `get_file` and `load_weights`.

Run: .venv/bin/python benchmarks/store.py [--runs N] [--workdir DIR]

One generated file serves every measure: NASNetLarge's weights in the legacy
`.h5` layout (~358 MB), written by tf_keras `save_weights` as the official
files were, and served by the tests' loopback server (tests/loopback.py).

1. Cache hit: `WeightStore.fetch` vs `keras.utils.get_file(..., file_hash=md5)`
   on a cached file (Keras re-hashes all of it; we compare a stat record).
2. Eight processes obtaining the file at once into an empty cache, ours vs
   Keras: transfers counted by the server, wall time from a common start
   signal to the last process done (imports excluded), failures. Keras'
   workers run with KERAS_BACKEND=numpy: `get_file` needs no backend, and
   eight TensorFlow imports would not fit beside the other jobs.
3. Loading the file into a built nasnet_large: `registry_core._loader` vs
   Keras' `model.load_weights` (median of alternating runs).

Generated files live in a temporary directory (<= ~1.2 GB at a time) and are
removed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.loopback import WeightServer  # noqa: E402

FILE_NAME = "nasnet_large.h5"
PROCESSES = 8

OURS = """
import sys, time
from registry_core import WeightFile
from registry_core._store import WeightStore
name, url, md5, size = sys.argv[1:5]
wf = WeightFile(name, url, md5, "md5", size=int(size))
print("ready", flush=True); sys.stdin.readline()
try:
    WeightStore().fetch(wf); status = "ok"
except Exception as exc:
    status = type(exc).__name__
print("\\ndone", time.time(), status, flush=True)
"""

KERAS = """
import sys, time
from keras.utils import get_file
name, url, md5, size = sys.argv[1:5]
cache = sys.argv[5]
print("ready", flush=True); sys.stdin.readline()
try:
    get_file(name, origin=url, file_hash=md5, cache_dir=cache, cache_subdir="models"); status = "ok"
except Exception as exc:
    status = type(exc).__name__
print("\\ndone", time.time(), status, flush=True)
"""


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def write_file(path: Path) -> None:
    import tf_keras

    model = tf_keras.applications.NASNetLarge(weights=None)
    model.save_weights(str(path))
    tf_keras.backend.clear_session()


def cache_hits(server: WeightServer, url: str, md5: str, size: int, work: Path, runs: int) -> None:
    import keras
    from keras.utils import get_file

    from registry_core import WeightFile
    from registry_core._store import WeightStore

    os.environ["REGISTRY_CACHE_DIR"] = str(work / "ours-hit")
    os.environ["REGISTRY_PROGRESS"] = "0"
    keras.config.disable_interactive_logging()
    store = WeightStore()
    wf = WeightFile(FILE_NAME, url, md5, "md5", size=size)
    store.fetch(wf)
    keras_cache = work / "keras-hit"
    keras_cache.mkdir()  # get_file falls back to /tmp/.keras for a directory it cannot write

    def keras_hit() -> None:
        get_file(FILE_NAME, origin=url, file_hash=md5, cache_dir=str(keras_cache), cache_subdir="models")

    keras_hit()
    before = server.count(FILE_NAME)
    ours = median_seconds(lambda: store.fetch(wf), max(runs * 20, 50))
    theirs = median_seconds(keras_hit, runs)
    assert server.count(FILE_NAME) == before, "a cache hit downloaded"
    print(f"cache hit        ours {ours * 1e6:9.1f} us   keras get_file {theirs * 1e3:8.1f} ms   "
          f"{theirs / ours:,.0f}x faster")
    shutil.rmtree(work / "ours-hit")
    shutil.rmtree(keras_cache)


def race(server: WeightServer, code: str, args: list[str], env: dict[str, str]) -> tuple[float, int, list[str]]:
    """Wall seconds from a common start to the last process done, transfers, statuses."""
    procs = [subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env=env) for _ in range(PROCESSES)]
    for proc in procs:
        while proc.stdout.readline().strip() != "ready":
            pass
    before = server.count(FILE_NAME)
    start = time.time()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    ends, statuses = [], []
    for proc in procs:
        out, _ = proc.communicate(timeout=1800)
        done = [line for line in out.splitlines() if line.startswith("done ")][-1].split()
        ends.append(float(done[1]))
        statuses.append(done[2])
    return max(ends) - start, server.count(FILE_NAME) - before, statuses


def concurrent(server: WeightServer, url: str, md5: str, size: int, work: Path) -> None:
    args = [FILE_NAME, url, md5, str(size)]
    env = {**os.environ, "REGISTRY_CACHE_DIR": str(work / "ours-race"), "REGISTRY_PROGRESS": "0"}
    ours = race(server, OURS, args, env)
    shutil.rmtree(work / "ours-race")
    env = {**os.environ, "KERAS_BACKEND": "numpy"}
    (work / "keras-race").mkdir()
    theirs = race(server, KERAS, [*args, str(work / "keras-race")], env)
    shutil.rmtree(work / "keras-race", ignore_errors=True)
    for label, (seconds, transfers, statuses) in (("ours", ours), ("keras get_file", theirs)):
        failed = [s for s in statuses if s != "ok"]
        print(f"8 processes      {label:<15} {transfers} transfer(s), {seconds:6.2f} s, "
              f"{PROCESSES - len(failed)} ok" + (f", failed: {', '.join(failed)}" if failed else ""))


def loading(path: Path, runs: int) -> None:
    from registry_core import registry
    from registry_core._loader import load_weights

    model = registry.get("nasnet_large")(weights=None)
    load_weights(model, path)  # warm both paths and the page cache
    model.load_weights(path)
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(median_seconds(lambda: load_weights(model, path), 1))
        theirs.append(median_seconds(lambda: model.load_weights(path), 1))
    read = median_seconds(lambda: path.read_bytes(), runs)
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    print(f"load legacy .h5  ours {ours_s:6.2f} s   keras load_weights {theirs_s:6.2f} s   "
          f"ours/keras {ours_s / theirs_s:.2f}   (reading the file: {read:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the slower measures")
    parser.add_argument("--workdir", type=Path, help="where generated files go (default: a temp dir)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="store-bench-", dir=args.workdir))
    server = WeightServer().start()
    try:
        path = work / FILE_NAME
        write_file(path)
        size, md5 = path.stat().st_size, md5_of(path)
        url = server.serve(FILE_NAME, path)
        print(f"file             {FILE_NAME}, {size:,} bytes (tf_keras NASNetLarge save_weights)")
        cache_hits(server, url, md5, size, work, args.runs)
        concurrent(server, url, md5, size, work)
        loading(path, args.runs)
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
