"""`docs/benchmarks.md` and its bar chart, from the collected results (`docs/benchmarks.json`).

Every ratio is a ratio of times, ours over Keras' (below 1.00 ours is
faster): for throughputs, the time per image. The chart is drawn with Pillow.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

_BAR_MAX = 2.0  # ratios above this are drawn clipped, their value written beside them


def _ratio(ours: float, keras: float) -> float:
    return ours / keras


def ratios(results: dict[str, Any]) -> list[tuple[str, str, float]]:
    """(section, label, time ratio ours/Keras) for the chart, in report order."""
    rows = [("build (CPU time)", name, _ratio(r["ours"]["cpu"], r["keras"]["cpu"]))
            for name, r in sorted(results.get("build", {}).items())]
    for name, r in sorted(results.get("predict", {}).items()):
        rows.append(("latency, batch 1", name, _ratio(r["latency_b1"]["ours"], r["latency_b1"]["keras"])))
    for name, r in sorted(results.get("predict", {}).items()):
        rows.append(("throughput, batch 32", name,
                     _ratio(r["throughput_b32"]["keras"], r["throughput_b32"]["ours"])))
    pipeline = results.get("pipeline", {})
    if "in_process" in pipeline:
        p = pipeline["in_process"]
        rows.append(("64 photos vs naive loop", "warm pass", _ratio(p["naive warm"], p["ours warm"])))
        rows.append(("64 photos vs naive loop", "first pass", _ratio(p["naive first"], p["ours first"])))
    if pipeline.get("commands"):
        c = pipeline["commands"]
        rows.append(("64 photos vs naive loop", "whole command", _ratio(c["ours"], c["naive"])))
    return rows


def chart(results: dict[str, Any], path: Path) -> None:
    rows = ratios(results)
    font = ImageFont.load_default(size=13)
    bold = ImageFont.load_default(size=15)
    label_w, bar_w, row_h, head_h, top = 230, 520, 20, 30, 50
    sections = list(dict.fromkeys(section for section, _, _ in rows))
    height = top + len(rows) * row_h + len(sections) * head_h + 40
    img = Image.new("RGB", (label_w + bar_w + 90, height), "white")
    draw = ImageDraw.Draw(img)
    draw.text((10, 12), "Time, ours / Keras (below 1.00: ours is faster)", fill="black", font=bold)
    x0 = label_w
    y = top
    current = None
    for section, label, value in rows:
        if section != current:
            current = section
            y += 8
            draw.text((10, y), section, fill="black", font=bold)
            y += head_h - 8
        width = int(bar_w * min(value, _BAR_MAX) / _BAR_MAX)
        colour = (46, 139, 87) if round(value, 2) <= 1.0 else (230, 126, 34)
        draw.rectangle((x0, y + 3, x0 + width, y + row_h - 3), fill=colour)
        draw.text((20, y + 3), label, fill="black", font=font)
        draw.text((x0 + width + 6, y + 3), f"{value:.2f}" + (" >" if value > _BAR_MAX else ""), fill="black",
                  font=font)
        y += row_h
    one = x0 + bar_w // 2
    draw.line((one, top, one, y), fill=(120, 120, 120), width=1)
    draw.text((one - 12, y + 6), "1.00", fill=(80, 80, 80), font=font)
    draw.text((x0 - 4, y + 6), "0", fill=(80, 80, 80), font=font)
    draw.text((x0 + bar_w - 14, y + 6), f"{_BAR_MAX:.2f}", fill=(80, 80, 80), font=font)
    img.save(path)


def _table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> str:
    """A Markdown table; the first `text_columns` columns left-aligned, the numbers right-aligned."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i < text_columns else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _build_ratio(r: dict[str, Any]) -> float:
    return _ratio(r["ours"]["cpu"], r["keras"]["cpu"])


def _build_section(build: dict[str, Any]) -> list[str]:
    rows = [[name, r["reference"], f"{r['ours']['cpu']:.2f}", f"{r['keras']['cpu']:.2f}", f"{_build_ratio(r):.2f}",
             f"{r['ours']['wall']:.2f}", f"{r['keras']['wall']:.2f}",
             f"{_ratio(r['ours']['wall'], r['keras']['wall']):.2f}",
             f"{r['ours']['calls'] / r['keras']['calls']:.4f}", f"{r['ours']['own'] * 1e3:.0f}"]
            for name, r in sorted(build.items())]
    same_work = [_ratio(r["ours"]["calls"], r["keras"]["calls"]) for n, r in build.items()
                 if r["reference"] == "keras.applications"]
    own = max(r["ours"]["own"] for r in build.values())
    values = [_build_ratio(r) for r in build.values()]
    slower = [n for n, r in sorted(build.items()) if round(_build_ratio(r), 2) > 1]
    runs = sorted({r["runs"] for r in build.values()})
    return [
        "## Build time", "",
        f"`registry.get(name)(weights=None)` against the reference constructor, alternating, each after "
        f"`clear_session()`; median of {'/'.join(map(str, runs))} runs. The ratio is of CPU time (what "
        "other jobs on the machine disturb least; a build runs mostly on one thread, VGG's large weight "
        "initializations on several), wall times beside it. Then one build each side under cProfile: the "
        "ratio of Python function calls made, and the time spent in our own code (core and plugin modules). "
        "Target: ratio <= 1.00.", "",
        _table(["model", "reference", "CPU ours (s)", "Keras (s)", "ratio", "wall ours (s)", "Keras (s)", "ratio",
                "calls ours/Keras", "own code (ms)"], rows, text_columns=2), "",
        f"Median CPU ratio {statistics.median(values):.2f} over {len(values)} models (range "
        f"{min(values):.2f}-{max(values):.2f}); above 1.00: {', '.join(slower) or 'none'}.", "",
        f"Why some ratios exceed 1.00: against keras.applications, ours makes "
        f"{min(same_work):.4f}-{max(same_work):.4f} times the reference's Python calls (the same Keras work), "
        f"and its own code (shape rules, names, weight lookup) takes at most {own * 1e3:.0f} ms of a build. "
        "What remains is the shared machine's noise, a few per cent either way between runs. ResNeXt's "
        "reference is keras_applications on tf_keras, a different framework, so its ratio compares frameworks.",
        "",
    ]


def _predict_section(predict: dict[str, Any]) -> list[str]:
    rows = []
    for name, r in sorted(predict.items()):
        lat, thr = r["latency_b1"], r["throughput_b32"]
        rows.append([name, f"{lat['ours'] * 1e3:.1f}", f"{lat['keras'] * 1e3:.1f}", f"{lat['ours'] / lat['keras']:.2f}",
                     f"{thr['ours']:.1f}", f"{thr['keras']:.1f}", f"{thr['keras'] / thr['ours']:.2f}"])
    return [
        "## Predict", "",
        "`model.predict_on_batch` on random inputs of the default size, both models built with random "
        "weights and warmed; latency at batch 1 (median of at least 10 alternating calls), throughput at "
        "batch 32 (median of the runs).", "",
        _table(["model", "latency ours (ms)", "Keras (ms)", "ratio", "throughput ours (img/s)", "Keras (img/s)",
                "time ratio"], rows), "",
    ]


def _pipeline_section(pipeline: dict[str, Any]) -> list[str]:
    out = ["## `registry predict` over 64 photos against a naive Keras loop", ""]
    if "in_process" in pipeline:
        p = pipeline["in_process"]
        rows = [[when, f"{p['ours ' + when]:.1f}", f"{p['naive ' + when]:.1f}",
                 f"{p['ours ' + when] / p['naive ' + when]:.2f}x"] for when in ("first", "warm")]
        out += [
            f"MobileNetV2, {p['photos']} JPEG photos (crops of scikit-image's, 300-800 px). Naive: per image "
            "`load_img(target_size=...)`, `img_to_array`, `preprocess_input`, `model.predict`. Ours: "
            "`registry predict`'s path (data-config resize, batches of 16, decoding overlapped). In one "
            f"process, each model already built; median of {p['runs']} runs. Target: >= 1.5x.", "",
            _table(["pass", "ours (img/s)", "naive (img/s)", "throughput"], rows), "",
        ]
    if pipeline.get("commands"):
        c = pipeline["commands"]
        out += [
            "As whole commands (Python start, imports, build, 64 photos): "
            f"`registry predict mobilenet_v2 DIR --json` {c['ours']:.1f} s, the naive script {c['naive']:.1f} s "
            f"({c['naive'] / c['ours']:.2f}x; median of {c['runs']} runs).", "",
        ]
    return out


def _script_section(title: str, script: str, entry: dict[str, Any]) -> list[str]:
    return [f"## {title}", "", f"`benchmarks/{script}` ({entry['when']}, load average {entry['load']:.1f}):", "",
            "```text", entry["output"].rstrip(), "```", ""]


def headlines(results: dict[str, Any]) -> list[str]:
    """One line per measure, for the top of the page and the README."""
    out = []
    if results.get("build"):
        keras_apps = [_build_ratio(r) for r in results["build"].values() if r["reference"] == "keras.applications"]
        others = [_build_ratio(r) for r in results["build"].values() if r["reference"] != "keras.applications"]
        calls = [_ratio(r["ours"]["calls"], r["keras"]["calls"]) for r in results["build"].values()
                 if r["reference"] == "keras.applications"]
        out.append(f"- Build time (CPU), ours / Keras: median {statistics.median(keras_apps):.2f} "
                   f"({min(keras_apps):.2f}-{max(keras_apps):.2f}) over {len(keras_apps)} models against "
                   f"keras.applications, doing the same work (Python calls ours / Keras {min(calls):.2f}-"
                   f"{max(calls):.2f}) within the machine's noise"
                   + (f"; ResNeXt {min(others):.2f}-{max(others):.2f} against keras_applications on tf_keras"
                      if others else "") + ".")
    if results.get("predict"):
        lat = [r["latency_b1"]["ours"] / r["latency_b1"]["keras"] for r in results["predict"].values()]
        thr = [r["throughput_b32"]["keras"] / r["throughput_b32"]["ours"] for r in results["predict"].values()]
        out.append(f"- Predict time, ours / Keras, one model per family: batch 1 {min(lat):.2f}-{max(lat):.2f}, "
                   f"batch 32 {min(thr):.2f}-{max(thr):.2f}.")
    pipeline = results.get("pipeline", {})
    if "in_process" in pipeline:
        p = pipeline["in_process"]
        out.append(f"- `registry predict` over 64 photos: {p['ours warm'] / p['naive warm']:.1f}x the throughput "
                   f"of a naive Keras loop ({p['ours first'] / p['naive first']:.1f}x on the first pass"
                   + (f"; {pipeline['commands']['naive'] / pipeline['commands']['ours']:.2f}x as whole commands"
                      if pipeline.get("commands") else "") + ").")
    if "list" in results:
        found = re.search(r"registry list is .*", results["list"]["output"])
        if found:
            out.append(f"- {found.group(0)}.")
    if "store" in results:
        for line in results["store"]["output"].splitlines():
            if line.startswith(("cache hit", "8 processes", "load legacy")):
                out.append(f"- Store: {' '.join(line.split())}.")
    return out


def markdown(results: dict[str, Any], chart_name: str) -> str:
    machine = results.get("machine", {})
    lines = [
        "# Benchmarks", "",
        "Ours against `keras.applications` with the same inputs. Written by `benchmarks/run.py` "
        "(`make benchmarks`; parts with `--only`, models with `--models`), from the results it keeps in "
        "`docs/benchmarks.json`.", "",
        f"Machine: {machine.get('cores', '?')} cores, {machine.get('versions', '')}. It is shared: the load "
        "average is recorded with each part, and every comparison alternates ours and Keras' so both see the "
        "same load.", "",
        *headlines(results), "",
        f"![Time ratios, ours over Keras]({chart_name})", "",
    ]
    for part, section in (("build", _build_section), ("predict", _predict_section),
                          ("pipeline", _pipeline_section)):
        if results.get(part):
            lines += section(results[part])
            lines += [f"_Measured {results['when'][part]}, load average {results['load'][part]:.1f}._", ""]
    if "list" in results:
        lines += _script_section("Listing", "list.py", results["list"])
    if "store" in results:
        lines += _script_section("Weight store", "store.py", results["store"])
    return "\n".join(lines).rstrip() + "\n"
