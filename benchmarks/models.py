"""Build time of every model, and predict latency and throughput, ours against the reference.

The reference is `keras.applications` (keras_applications 1.0.8 with tf_keras
for ResNeXt, which Keras 3 lacks), built from the same arguments with random
weights. Ours and the reference alternate within each run, each build after a
garbage collection and inside its `clear_session()`, so a busy machine
disturbs both alike; the figures are medians.
"""

from __future__ import annotations

import cProfile
import gc
import importlib
import pstats
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from references import IS_TF_KERAS, REFERENCES

from registry_core import registry

#: One model of each family for the predict measures.
PER_FAMILY = ("vgg16", "resnet50", "inception_v3", "xception", "mobilenet_v2", "densenet121", "nasnet_mobile")


def reference_label(name: str) -> str:
    return "keras_applications + tf_keras" if name in IS_TF_KERAS else "keras.applications"


def _ours(name: str) -> Callable[[], Any]:
    def build() -> Any:
        import keras

        keras.backend.clear_session()
        return registry.get(name)(weights=None)

    return build


def _seconds(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _timed(build: Callable[[], Any]) -> tuple[float, float]:
    """(wall, CPU) seconds of one build; the CPU time is what a busy machine disturbs less."""
    gc.collect()
    cpu = time.process_time()
    wall = _seconds(build)
    return wall, time.process_time() - cpu


def warm_up() -> None:
    """One untimed build each way first: the process's first build pays Keras' one-off setup."""
    _ours("mobilenet")()
    REFERENCES["mobilenet"](weights=None)


def _profile(build: Callable[[], Any]) -> dict[str, float]:
    """Python function calls made by one build, and seconds spent in our own code (core, plugins).

    Equal call counts mean both sides do the same Keras work; what differs is
    then our own code's time, or the machine's noise.
    """
    gc.collect()
    profiler = cProfile.Profile()
    profiler.runcall(build)
    stats = pstats.Stats(profiler)
    own = sum(row[2] for (file, _, _), row in stats.stats.items()  # type: ignore[attr-defined]
              if any(part.startswith("registry_") for part in Path(file).parts))
    return {"calls": stats.total_calls, "own": own}  # type: ignore[attr-defined]


def build_times(name: str, runs: int) -> dict[str, Any]:
    """Median wall and CPU seconds to build `name` (ours, reference) over `runs` builds each,
    and one profiled build each (`_profile`).

    First, untimed, the architecture module is imported (Keras' own come with
    keras) and the reference built once: the first use of a layer type in a
    process costs extra, whichever side meets it first. The timed builds then
    alternate, and which side goes first alternates too.
    """
    importlib.import_module(registry.info(name).builder.partition(":")[0])
    sides = {"ours": _ours(name), "keras": lambda: REFERENCES[name](weights=None)}
    sides["keras"]()
    profiles = {side: _profile(build) for side, build in sides.items()}
    times: dict[str, list[tuple[float, float]]] = {"ours": [], "keras": []}
    for run in range(runs):
        for side in ("ours", "keras") if run % 2 == 0 else ("keras", "ours"):
            times[side].append(_timed(sides[side]))
    result = {
        side: {"wall": statistics.median(t[0] for t in samples), "cpu": statistics.median(t[1] for t in samples)}
        | profiles[side]
        for side, samples in times.items()
    }
    return result | {"runs": runs, "reference": reference_label(name)}


def predict_times(name: str, runs: int) -> dict[str, Any]:
    """Batch-1 latency (seconds) and batch-32 throughput (images/s), ours and reference.

    Both models are built once and warmed (the first calls trace); each
    measure then alternates between them.
    """
    import keras
    import numpy as np

    size = registry.info(name).default_size
    shape = (size, size, 3) if keras.config.image_data_format() == "channels_last" else (3, size, size)
    rng = np.random.default_rng(0)
    one = rng.uniform(-1, 1, (1, *shape)).astype("float32")
    batch = rng.uniform(-1, 1, (32, *shape)).astype("float32")
    theirs = REFERENCES[name](weights=None)  # clears the session first, so build it before ours
    ours = registry.get(name)(weights=None)
    for model in (ours, theirs):
        model.predict_on_batch(one)
        model.predict_on_batch(one)
        model.predict_on_batch(batch)
    latency: dict[str, list[float]] = {"ours": [], "keras": []}
    throughput: dict[str, list[float]] = {"ours": [], "keras": []}
    for _ in range(max(10, runs * 4)):
        latency["ours"].append(_seconds(lambda: ours.predict_on_batch(one)))
        latency["keras"].append(_seconds(lambda: theirs.predict_on_batch(one)))
    for _ in range(runs):
        throughput["ours"].append(32 / _seconds(lambda: ours.predict_on_batch(batch)))
        throughput["keras"].append(32 / _seconds(lambda: theirs.predict_on_batch(batch)))
    del ours, theirs
    keras.backend.clear_session()
    gc.collect()
    return {
        "latency_b1": {k: statistics.median(v) for k, v in latency.items()},
        "throughput_b32": {k: statistics.median(v) for k, v in throughput.items()},
        "runs": runs, "reference": reference_label(name),
    }
