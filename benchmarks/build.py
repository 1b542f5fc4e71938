"""Build and predict times of some models, ours against the reference, in one run.

Run: .venv/bin/python benchmarks/build.py [MODEL ...] [--runs N]

MODEL defaults to the NASNet pair (NASNetLarge is the slowest model to build).
Prints, per model, the median build time (wall and CPU), batch-1 latency and
batch-32 throughput, each ours against the reference's, with the ratio
ours / reference (below 1 is faster for times, above 1 for throughput). The
measures are `models.py`'s, which `run.py` also uses to write
docs/benchmarks.md; this script writes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "plugins")]

import models  # noqa: E402

DEFAULT = ("nasnet_mobile", "nasnet_large")


def _row(what: str, ours: float, theirs: float, unit: str) -> str:
    return f"  {what:<22} ours {ours:9.3f} {unit:<5} reference {theirs:9.3f} {unit:<5} ratio {ours / theirs:5.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=list(DEFAULT), help="registry names (default: the NASNet pair)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per measure (default 3)")
    args = parser.parse_args()
    models.warm_up()
    for name in args.models:
        build = models.build_times(name, args.runs)
        predict = models.predict_times(name, args.runs)
        print(f"{name} (reference: {build['reference']}, medians of {args.runs} runs)")
        print(_row("build wall", build["ours"]["wall"], build["keras"]["wall"], "s"))
        print(_row("build CPU", build["ours"]["cpu"], build["keras"]["cpu"], "s"))
        lat, thr = predict["latency_b1"], predict["throughput_b32"]
        print(_row("predict batch 1", lat["ours"] * 1000, lat["keras"] * 1000, "ms"))
        print(_row("throughput batch 32", thr["ours"], thr["keras"], "img/s"), flush=True)


if __name__ == "__main__":
    main()
