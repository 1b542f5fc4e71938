"""`registry fetch` and `registry cache ls|verify|prune|dir`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

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
    q = cache.add_parser("prune", help="remove partial downloads and files no installed model uses")
    q.add_argument("--dry-run", action="store_true", help="only list what would be removed")
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


def _users(reg: Registry) -> dict[str, list[str]]:
    """File name -> the `model/tag/variant` entries that use it."""
    users: dict[str, list[str]] = {}
    for spec in reg.specs():
        for tag, variants in spec.weights.items():
            for variant, wf in variants.items():
                users.setdefault(wf.file_name, []).append(f"{spec.name}/{tag}/{variant}")
    return users


def cmd_cache_ls(args: argparse.Namespace, reg: Registry) -> int:
    entries = reg.store.entries()
    users = _users(reg)
    if args.json:
        print(json.dumps([e.as_dict() | {"used_by": users.get(e.file_name, [])} for e in entries], indent=2))
        return EXIT_OK
    if not entries:
        print(f"The cache at {reg.store.cache_dir()} is empty.", file=sys.stderr)
        return EXIT_OK
    for e in entries:
        trust = "pinned" if e.pinned else "unpinned (sha256 of first use)"
        used = ", ".join(users.get(e.file_name, [])) or "no installed model"
        print(f"{e.file_name}  {e.size:,} bytes  {e.algorithm} {e.digest}  {trust}  [{used}]")
    return EXIT_OK


def cmd_cache_verify(args: argparse.Namespace, reg: Registry) -> int:
    results = reg.store.verify()
    for r in results:
        print(f"{'ok' if r.ok else 'BAD'}  {r.file_name}" + ("" if r.ok else f"  {r.detail} (removed)"))
    if not results:
        print(f"The cache at {reg.store.cache_dir()} is empty.", file=sys.stderr)
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


def cmd_cache_prune(args: argparse.Namespace, reg: Registry) -> int:
    removed = reg.store.prune(keep=set(_users(reg)), dry_run=args.dry_run)
    for path in removed:
        print(f"{'would remove' if args.dry_run else 'removed'} {path}")
    if not removed:
        print("Nothing to prune.", file=sys.stderr)
    return EXIT_OK


def cmd_cache_dir(args: argparse.Namespace, reg: Registry) -> int:
    print(reg.store.cache_dir())
    return EXIT_OK
