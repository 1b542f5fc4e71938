"""The `registry` command line (also `python -m registry_core`).

Exit status: 0 all went well, 1 some inputs failed, 2 usage error. Errors are
one paragraph on stderr; `--debug` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from ._errors import RegistryError
from ._registry import Registry, registry as default_registry
from ._spec import ModelSpec

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _summary(spec: ModelSpec) -> dict[str, Any]:
    m = spec.metadata
    return {
        "name": spec.name, "family": spec.family, "aliases": list(spec.aliases),
        "input_size": spec.default_size, "parameters": m.parameters, "depth": m.depth,
        "top1": m.top1, "top5": m.top5, "size_mb": m.size_mb, "formats": list(spec.formats),
        "pretrained": list(spec.pretrained),
    }


def _table(rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: Any, spec: str = "") -> str:
    return "-" if value is None else format(value, spec)


def cmd_list(args: argparse.Namespace, reg: Registry) -> int:
    specs = [reg.info(n) for n in reg.list(args.pattern, family=args.family)]
    if args.json:
        print(json.dumps([_summary(s) for s in specs], indent=2))
        return EXIT_OK
    families = reg.families()
    if not specs and args.family and args.family.lower() not in families:
        print(f"No family {args.family!r}. Families: {', '.join(families) or 'none'}.", file=sys.stderr)
        return EXIT_OK
    if not specs:
        print("No models match." + ("" if reg.list() else f" No model plugin is loaded. {reg.missing_plugin_advice()}"),
              file=sys.stderr)
        return EXIT_OK
    rows = [["Model", "Family", "Input", "Parameters", "Depth", "Top-1", "Top-5", "Size"]]
    for s in specs:
        m = s.metadata
        rows.append([s.name, s.family, f"{s.default_size}x{s.default_size}", f"{m.parameters:,}",
                     _fmt(m.depth), _fmt(m.top1, ".3f"), _fmt(m.top5, ".3f"),
                     "-" if m.size_mb is None else f"{m.size_mb:g} MB"])
    print(_table(rows, right={2, 3, 4, 5, 6, 7}))
    return EXIT_OK


def cmd_info(args: argparse.Namespace, reg: Registry) -> int:
    spec = reg.info(args.name)
    if args.json:
        data = _summary(spec)
        data.update(builder=spec.builder, min_size=spec.min_size, preprocessing=spec.preprocessing,
                    data_config=asdict(spec.data_config), feature_stages=dict(spec.feature_stages),
                    classifier=spec.classifier, plugin=reg.owner(spec.name),
                    paper=spec.metadata.paper, license=spec.metadata.license,
                    weights={tag: {v: asdict(wf) for v, wf in variants.items()}
                             for tag, variants in spec.weights.items()})
        print(json.dumps(data, indent=2))
        return EXIT_OK
    m = spec.metadata
    lines = [
        f"{spec.name}  ({', '.join(spec.aliases) or 'no aliases'})",
        f"  family         {spec.family} (plugin {reg.owner(spec.name)})",
        f"  builder        {spec.builder}",
        f"  input          {spec.default_size}x{spec.default_size} default, {spec.min_size}x{spec.min_size} "
        f"minimum; {', '.join(spec.formats)}",
        f"  preprocessing  {spec.preprocessing}; resize {spec.data_config.interpolation}, "
        f"centre crop {spec.data_config.crop_fraction:g}",
        f"  parameters     {m.parameters:,}   depth {_fmt(m.depth)}   top-1 {_fmt(m.top1, '.3f')}   "
        f"top-5 {_fmt(m.top5, '.3f')}",
        f"  paper          {m.paper or '-'}",
        f"  licence        {m.license or '-'}",
        f"  stages         {', '.join(f'{k}={v}' for k, v in spec.feature_stages.items()) or '-'}",
    ]
    for tag, variants in spec.weights.items():
        lines.append(f"  weights {tag!r}:")
        width = max(14, *(len(v) for v in variants))
        for variant, wf in variants.items():
            digest = f"{wf.hash_algorithm} {wf.hash}" if wf.hash else "no published hash (pinned on first use)"
            lines.append(f"    {variant:<{width}} {wf.file_name}  [{digest}]")
    if not spec.weights:
        lines.append("  weights        none (random initialization only)")
    print("\n".join(lines))
    return EXIT_OK


def cmd_plugins(args: argparse.Namespace, reg: Registry) -> int:
    plugins = reg.plugins()
    held = {p.name: [m for m in p.models if m not in reg] for p in plugins}  # a name clash holds them back
    if args.json:
        print(json.dumps([asdict(p) | {"models": list(p.models), "held_back": held[p.name]} for p in plugins],
                         indent=2))
    elif not plugins:
        print("No plugins installed.", file=sys.stderr)
    else:
        rows = [["Plugin", "Distribution", "Version", "Models", "Status"]]
        for p in plugins:
            status = "ok" if p.error is None else f"FAILED: {p.error}"
            if held[p.name]:
                status += f"; held back (name clash): {', '.join(held[p.name])}"
            rows.append([p.name, p.distribution or "-", p.version or "-", str(len(p.models)), status])
        print(_table(rows, right={3}))
    return EXIT_FAILED if any(p.error for p in plugins) else EXIT_OK


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one paragraph, exit 2, like every usage error here
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="registry", description="Pretrained Keras image classifiers, from plugins.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="list models")
    p.add_argument("pattern", nargs="?", help="fnmatch pattern, e.g. 'resnet*'")
    p.add_argument("--family", help="only this family's models, e.g. resnet")
    p.add_argument("--json", action="store_true", help="a JSON list of the models' summaries")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("info", help="show one model")
    p.add_argument("name", help="a model name or alias, any case")
    p.add_argument("--json", action="store_true", help="the whole spec as JSON")
    p.set_defaults(handler=cmd_info)

    p = sub.add_parser("plugins", help="list plugins and their state")
    p.add_argument("--json", action="store_true", help="a JSON list, one object per plugin")
    p.set_defaults(handler=cmd_plugins)

    from ._cli_predict import add_inference_commands
    from ._cli_store import add_store_commands

    add_store_commands(sub)
    add_inference_commands(sub)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    print(f"registry: warning: {message}", file=sys.stderr)


_FRAMEWORKS = ("keras", "tensorflow", "jax", "jaxlib", "torch")


def _report(args: argparse.Namespace, message: str) -> None:
    if args.debug:
        traceback.print_exc()
    else:
        print(f"registry {args.command}: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None, reg: Registry | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    reg = default_registry if reg is None else reg
    try:
        with warnings.catch_warnings():
            if not args.debug:
                warnings.showwarning = _show_warning
            return int(args.handler(args, reg))
    except RegistryError as exc:
        _report(args, str(exc))
        usage = isinstance(exc, (LookupError, ValueError)) and not isinstance(exc, OSError)
        return EXIT_USAGE if usage else EXIT_FAILED
    except BrokenPipeError:
        # The reader (`| head`) has gone: not an error. Point stdout at devnull so
        # the interpreter's own flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _FRAMEWORKS:
            _report(args, f"{type(exc).__name__}: {exc}. Rerun with --debug for the traceback.")
            return EXIT_FAILED
        _report(args, f"this command builds a model and needs Keras with a backend, but {exc.name!r} is not "
                      "installed. Install one: pip install 'registry-core[tensorflow]' (or [jax], [torch]).")
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # a failure inside keras or the OS: one paragraph, never a traceback
        _report(args, f"{type(exc).__name__}: {exc}. Rerun with --debug for the traceback.")
        return EXIT_FAILED
