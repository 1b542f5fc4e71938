"""Build and predict times of our models against their references, in one process.

Run: .venv/bin/python benchmarks/build.py [PATTERN ...] [--runs N]
PATTERN is an fnmatch pattern over registered model names (default
`nasnet_*`; `'*'` for every registered model). Each run builds ours and the
reference (tests/plugins/references.py) alternately with random weights,
each after `keras.backend.clear_session()`, then predicts one image of the
default size twice: the first predict includes tracing, the second is the
steady state. Prints the median of the runs for each, and our time over the
reference's.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "plugins"))

from references import REFERENCES  # noqa: E402

from registry_core import registry  # noqa: E402

MEASURES = ("build", "first predict", "predict")


def measure(build: Callable[[], Any], x: Any) -> tuple[float, float, float]:
    """Seconds to build, to predict the first time, and to predict again."""
    gc.collect()
    start = time.perf_counter()
    model = build()
    built = time.perf_counter()
    model.predict(x, verbose=0)
    first = time.perf_counter()
    model.predict(x, verbose=0)
    return built - start, first - built, time.perf_counter() - first


def bench(name: str, runs: int) -> dict[str, list[tuple[float, float, float]]]:
    import keras
    import numpy as np

    spec = registry.info(name)
    size = spec.default_size
    shape = (1, 3, size, size) if keras.config.image_data_format() == "channels_first" else (1, size, size, 3)
    x = np.random.default_rng(0).uniform(-1, 1, shape).astype("float32")
    builder = registry.get(name)

    def ours() -> Any:
        keras.backend.clear_session()
        return builder(weights=None)

    def reference() -> Any:
        return REFERENCES[name](weights=None)  # clears its own session

    times: dict[str, list[tuple[float, float, float]]] = {"ours": [], "reference": []}
    for _ in range(runs):
        times["ours"].append(measure(ours, x))
        times["reference"].append(measure(reference, x))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patterns", nargs="*", default=["nasnet_*"], metavar="PATTERN")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    names = sorted({n for p in args.patterns for n in registry.list(p) if n in REFERENCES})
    if not names:
        parser.error(f"no registered model with a reference matches {args.patterns}")

    print(f"median of {args.runs} runs, seconds; ratio = ours / reference")
    print(f"{'model':<22}{'measure':<15}{'ours':>9}{'reference':>11}{'ratio':>8}")
    for name in names:
        times = bench(name, args.runs)
        for i, measure_name in enumerate(MEASURES):
            ours = statistics.median(t[i] for t in times["ours"])
            ref = statistics.median(t[i] for t in times["reference"])
            print(f"{name:<22}{measure_name:<15}{ours:>9.2f}{ref:>11.2f}{ours / ref:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
