"""`registry list` as a fresh process against `import keras.applications`.

Run: .venv/bin/python benchmarks/list.py [--runs N]
Prints the median wall time of each and their ratio. Target: `registry list`
under 0.15 s on the project's 2-core machines.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    ours = median_seconds([sys.executable, "-m", "registry_core", "list"], args.runs)
    keras = median_seconds([sys.executable, "-c", "import keras.applications"], max(3, args.runs // 2))
    print(f"registry list:                 {ours:.3f} s (median of {args.runs})")
    print(f"python -c 'import keras.applications': {keras:.3f} s")
    print(f"ratio: registry list is {keras / ours:.1f}x faster")


if __name__ == "__main__":
    main()
