"""What the store tells the user: one-line notes and a download progress bar.

Both go to stderr. Notes (waiting for another process, retrying, resuming)
are printed unless `REGISTRY_PROGRESS=0`; the tqdm bar only on a terminal.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

PROGRESS_ENV = "REGISTRY_PROGRESS"


def _wanted() -> bool:
    return os.environ.get(PROGRESS_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def notify(message: str) -> None:
    """Print a one-line note about a fetch on stderr, unless progress output is off."""
    if _wanted():
        print(f"registry: {message}", file=sys.stderr, flush=True)


class _Silent:
    def update(self, n: int) -> None:
        pass


@contextlib.contextmanager
def bar(name: str, total: int | None, initial: int = 0) -> Iterator[Any]:
    """A tqdm bar (file name, size, rate) on a terminal; an object that ignores updates elsewhere."""
    stream = sys.stderr
    if not (_wanted() and hasattr(stream, "isatty") and stream.isatty()):
        yield _Silent()
        return
    from tqdm import tqdm

    with tqdm(total=total, initial=initial, desc=name, unit="B", unit_scale=True, unit_divisor=1024,
              file=stream, leave=False, dynamic_ncols=True) as progress:
        yield progress
