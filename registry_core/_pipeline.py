"""Batched inference over image files, decoding the next batch while the
current one runs through the model.

A file that cannot be read becomes an error record; the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._images import load_image
from ._spec import DataConfig


@dataclass(frozen=True)
class Batch:
    """One batch in file order: `(file, error or None)`, and the decoded images of the good ones."""

    entries: list[tuple[Path, str | None]]
    images: np.ndarray | None


def _decode(files: Sequence[Path], size: int, config: DataConfig) -> Batch:
    entries: list[tuple[Path, str | None]] = []
    arrays: list[np.ndarray] = []
    for path in files:
        try:
            arrays.append(load_image(path, size, config))
            entries.append((path, None))
        except Exception as exc:  # Pillow raises many types for bad files; each is reported
            entries.append((path, f"cannot read image: {type(exc).__name__}: {exc}"))
    return Batch(entries, np.stack(arrays) if arrays else None)


def batches(files: Sequence[Path], size: int, config: DataConfig, batch_size: int) -> Iterator[Batch]:
    """Decoded batches, each decoded in a worker while the caller uses the previous one."""
    chunks = [files[i:i + batch_size] for i in range(0, len(files), batch_size)]
    if not chunks:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="registry-decode") as pool:
        pending = pool.submit(_decode, chunks[0], size, config)
        for nxt in chunks[1:] + [None]:
            batch = pending.result()
            if nxt is not None:
                pending = pool.submit(_decode, nxt, size, config)
            yield batch


def run(files: Sequence[Path], size: int, config: DataConfig, batch_size: int,
        infer: Callable[[np.ndarray], Any], progress: bool = False) -> Iterator[tuple[Path, Any, str | None]]:
    """`(file, output row, None)` per image, or `(file, None, error)` for a failed one, in order."""
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="img", leave=False)
    try:
        for batch in batches(files, size, config, batch_size):
            outputs = iter(infer(batch.images) if batch.images is not None else ())
            for path, error in batch.entries:
                yield (path, None, error) if error else (path, next(outputs), None)
            if bar is not None:
                bar.update(len(batch.entries))
    finally:
        if bar is not None:
            bar.close()
