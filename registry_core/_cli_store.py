"""`registry fetch` and `registry cache ls|verify|prune|dir`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ._cli import _table
from ._decode import CLASS_INDEX
from ._discovery import ALLOWLIST_ENV, allowlist_from_env
from ._errors import RegistryError
from ._registry import Registry
from ._spec import NO_TOP, TOP, WeightFile

EXIT_OK, EXIT_FAILED = 0, 1


def add_store_commands(sub: Any) -> None:
    p = sub.add_parser("fetch", help="download and verify weight files into the cache")
    p.add_argument("names", nargs="+", metavar="NAME", help="model names or aliases")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--no-top", action="store_true", help="the files without the classifier")
    which.add_argument("--all-variants", action="store_true", help="every file of every weight tag")
    p.set_defaults(handler=cmd_fetch)

    p = sub.add_parser("cache", help="inspect and tidy the weight cache")
    cache = p.add_subparsers(dest="cache_command", required=True, parser_class=type(p))
    q = cache.add_parser("ls", help="list cached files")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_cache_ls)
    q = cache.add_parser("verify", help="re-hash every cached file; remove bad ones")
    q.set_defaults(handler=cmd_cache_verify)
    q = cache.add_parser("prune", help="remove partial downloads and files no loaded model uses")
    q.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    q.add_argument("--force", action="store_true",
                   help="prune even when some installed plugins are not loaded (their files go too)")
    q.set_defaults(handler=cmd_cache_prune)
    q = cache.add_parser("dir", help="print the cache directory")
    q.set_defaults(handler=cmd_cache_dir)


def _wanted(reg: Registry, name: str, no_top: bool, all_variants: bool) -> list[WeightFile]:
    spec = reg.info(name)
    files = []
    for variants in spec.weights.values():
        if all_variants:
            files.extend(variants.values())
        elif (NO_TOP if no_top else TOP) in variants:
            files.append(variants[NO_TOP if no_top else TOP])
    return files


def cmd_fetch(args: argparse.Namespace, reg: Registry) -> int:
    plan: dict[str, WeightFile] = {}
    for name in args.names:
        files = _wanted(reg, name, args.no_top, args.all_variants)
        if not files:
            kind = "without top " if args.no_top else "with top " if not args.all_variants else ""
            print(f"registry fetch: {reg.info(name).name} has no pretrained file {kind}to fetch.",
                  file=sys.stderr)
        plan.update((wf.file_name, wf) for wf in files)
    failed = 0
    for wf in plan.values():
        try:
            print(reg.store.fetch(wf))
        except RegistryError as exc:
            failed += 1
            print(f"registry fetch: {exc}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _known(reg: Registry) -> dict[str, tuple[WeightFile, list[str]]]:
    """File name -> its `WeightFile` and the `model/tag/variant` entries that use it."""
    known: dict[str, tuple[WeightFile, list[str]]] = {CLASS_INDEX.file_name: (CLASS_INDEX, ["decode_predictions"])}
    for spec in reg.specs():
        for tag, variants in spec.weights.items():
            for variant, wf in variants.items():
                known.setdefault(wf.file_name, (wf, []))[1].append(f"{spec.name}/{tag}/{variant}")
    return known


def cmd_cache_ls(args: argparse.Namespace, reg: Registry) -> int:
    entries = reg.store.entries()
    users = {name: used for name, (_, used) in _known(reg).items()}
    if args.json:
        print(json.dumps([e.as_dict() | {"used_by": users.get(e.file_name, [])} for e in entries], indent=2))
        return EXIT_OK
    if not entries:
        print(f"The cache at {reg.store.cache_dir()} is empty.", file=sys.stderr)
        return EXIT_OK
    rows = [["File", "Size", "Hash", "Trust", "Used by"]]
    for e in entries:
        trust = ("published hash" if e.published else "unpinned, first-use sha256") if e.digest else "unverified"
        if e.digest and not e.verified:
            trust += ", changed since verified"
        rows.append([e.file_name, f"{e.size:,}", f"{e.algorithm} {e.digest}" if e.digest else "-", trust,
                     ", ".join(users.get(e.file_name, [])) or "no installed model"])
    print(_table(rows, right={1}))
    return EXIT_OK


def cmd_cache_verify(args: argparse.Namespace, reg: Registry) -> int:
    results = reg.store.verify({name: wf for name, (wf, _) in _known(reg).items()})
    for r in results:
        note = {"ok": "", "bad": f"  {r.detail}; removed", "unknown": f"  {r.detail}; kept"}[r.status]
        print(f"{r.status:<7}  {r.file_name}{note}")
    if not results:
        print(f"The cache at {reg.store.cache_dir()} is empty.", file=sys.stderr)
    return EXIT_FAILED if any(r.status == "bad" for r in results) else EXIT_OK


def _unseen(reg: Registry) -> list[tuple[str, str]]:
    """Why some installed models may be invisible to `reg` (prune would take their files), each
    with its remedy."""
    found = [(f"plugin {p.name} failed to load ({p.error})", f"fix or uninstall {p.name} (`registry plugins`)")
             for p in reg.plugins() if p.error]
    allow = allowlist_from_env()
    if allow is not None:
        found.append((f"{ALLOWLIST_ENV} is set ({','.join(sorted(allow)) or 'empty'}), so only the plugins it "
                      "names are loaded", f"unset {ALLOWLIST_ENV}"))
    held = sorted({m for p in reg.plugins() for m in p.models} - set(reg.list()))
    if held:
        found.append((f"models {', '.join(held)} are held back by a name clash",
                      "uninstall one of the clashing plugins"))
    return found


def cmd_cache_prune(args: argparse.Namespace, reg: Registry) -> int:
    unseen = _unseen(reg)
    if unseen and not args.force:
        print(
            "registry cache prune: Refusing to prune: it removes every cached file that no loaded model "
            f"uses, and some installed models may not be loaded: {'; '.join(why for why, _ in unseen)}. "
            f"Their weight files would be removed. To prune safely, {' and '.join(fix for _, fix in unseen)}, "
            "then run it again; or add --force to prune anyway.",
            file=sys.stderr)
        return EXIT_FAILED
    removed = reg.store.prune(keep=_known(reg), dry_run=args.dry_run)
    for path in removed:
        print(f"{'would remove' if args.dry_run else 'removed'} {path}")
    if not removed:
        print("Nothing to prune.", file=sys.stderr)
    return EXIT_OK


def cmd_cache_dir(args: argparse.Namespace, reg: Registry) -> int:
    print(reg.store.cache_dir())
    return EXIT_OK
