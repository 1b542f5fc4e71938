"""Every benchmark, or some parts of it; writes docs/benchmarks.md and its chart.

Run: .venv/bin/python benchmarks/run.py [--only PARTS] [--models PATTERN] [--runs N]

PARTS, comma-separated (default all):
  build     build time of every installed model (`--models` narrows it), ours vs Keras
  predict   batch-1 latency and batch-32 throughput, one model per family (or `--models`)
  pipeline  `registry predict` over 64 photos against a naive Keras loop
  list      benchmarks/list.py (listing against importing keras.applications)
  store     benchmarks/store.py (weight store and loader against Keras')

Results are merged into docs/benchmarks.json (a part measured again replaces
its old figures, per model), from which docs/benchmarks.md and
docs/benchmarks.png are written beside it, so the page can be filled part by part on
a busy machine. Set REGISTRY_SHARED_WEIGHTS for the pipeline's whole-command
measure (it needs the real class index).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests" / "plugins")]

import models  # noqa: E402
import pipeline  # noqa: E402
import report  # noqa: E402

PARTS = ("build", "predict", "pipeline", "list", "store")
DOCS = ROOT / "docs"


def _stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M")


def _versions() -> str:
    import keras
    import tensorflow

    return f"Python {platform.python_version()}, keras {keras.__version__}, tensorflow {tensorflow.__version__}"


def _models(pattern: str | None, default: tuple[str, ...] | None) -> list[str]:
    from references import REFERENCES

    from registry_core import registry

    names = [n for n in registry.list() if n in REFERENCES]
    if pattern is not None:
        return [n for n in names if fnmatch.fnmatchcase(n, pattern)]
    return [n for n in names if default is None or n in default]


def _script(name: str, runs: int | None) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE / name)] + ([] if runs is None else ["--runs", str(runs)])
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return {"output": done.stdout, "when": _stamp(), "load": os.getloadavg()[0]}


def measure(part: str, args: argparse.Namespace, results: dict[str, Any], work: Path) -> None:
    runs = args.runs
    if part in ("build", "predict"):
        names = _models(args.models, None if part == "build" else models.PER_FAMILY)
        measure_one = models.build_times if part == "build" else models.predict_times
        models.warm_up()
        for name in names:
            results.setdefault(part, {})[name] = measure_one(name, runs or 3)
            print(f"{part} {name}: {json.dumps(results[part][name])}", flush=True)
    elif part == "pipeline":
        results["pipeline"] = {"in_process": pipeline.in_process(work, runs or 3),
                               "commands": pipeline.commands(work, runs or 3)}
        print(f"pipeline: {json.dumps(results['pipeline'])}", flush=True)
    else:
        results[part] = _script(f"{part}.py", runs)
        print(results[part]["output"], flush=True)
    if part not in ("list", "store"):
        results.setdefault("when", {})[part] = _stamp()
        results.setdefault("load", {})[part] = os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts (default: all)")
    parser.add_argument("--models", help="fnmatch pattern over model names, e.g. 'resnet*'")
    parser.add_argument("--runs", type=int, help="runs per measure (default 3; the scripts' own defaults)")
    parser.add_argument("--results", type=Path, default=DOCS / "benchmarks.json")
    args = parser.parse_args()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")

    results = json.loads(args.results.read_text()) if args.results.exists() else {}
    with tempfile.TemporaryDirectory(prefix="registry-bench-") as tmp:
        os.environ["REGISTRY_CACHE_DIR"] = str(Path(tmp) / "cache")  # the user's cache stays untouched
        os.environ["REGISTRY_PROGRESS"] = "0"
        for part in parts:
            measure(part, args, results, Path(tmp))
            results["machine"] = {"cores": os.cpu_count(), "versions": _versions()}
            args.results.parent.mkdir(parents=True, exist_ok=True)
            args.results.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    docs = args.results.parent
    report.chart(results, docs / "benchmarks.png")
    (docs / "benchmarks.md").write_text(report.markdown(results, "benchmarks.png"))
    print(f"wrote {docs / 'benchmarks.md'} and {docs / 'benchmarks.png'}")


if __name__ == "__main__":
    main()
