"""`registry list` as a fresh process against `python -c "import keras.applications"`.

Run: .venv/bin/python benchmarks/list.py [--runs N]

Each command runs once first to warm the disk cache and write bytecode (as an
ordinary install has it, even where PYTHONDONTWRITEBYTECODE is set), then
`--runs` times. Prints the median wall time and the median CPU time (user +
system, which a busy machine disturbs less), and the ratio. Target:
`registry list` under 0.15 s on the project's 2-core machines.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(cmd: list[str], runs: int) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds) of `runs` fresh processes running `cmd`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    walls, cpus = [], []
    for _ in range(runs):
        cpu, start = _children_cpu(), time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def registry_command() -> list[str]:
    """The `registry` console script installed beside this interpreter, as users run it;
    `python -m registry_core` where the core is not installed (a source checkout)."""
    script = Path(sys.executable).with_name("registry")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "registry_core"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    keras_runs = max(3, args.runs // 3)
    rows = [
        ("python -c pass", measure([sys.executable, "-c", "pass"], args.runs)),
        ("registry list", measure([*registry_command(), "list"], args.runs)),
        ("import keras.applications", measure([sys.executable, "-c", "import keras.applications"], keras_runs)),
    ]
    print(f"{'command':<28}{'wall':>9}{'cpu':>9}   (medians; {args.runs} runs, keras {keras_runs})")
    for label, (wall, cpu) in rows:
        print(f"{label:<28}{wall:>8.3f}s{cpu:>8.3f}s")
    (_, (ours_wall, ours_cpu)), (_, (keras_wall, keras_cpu)) = rows[1], rows[2]
    print(f"registry list is {keras_wall / ours_wall:.0f}x faster than importing keras.applications "
          f"(CPU: {keras_cpu / ours_cpu:.0f}x); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
