"""Batched inference over image files: the next batch is decoded in a worker
thread while the current one runs through the model.

Pillow and the backends release the GIL for the heavy work, so one worker is
enough to hide decoding behind prediction. A file that cannot be read becomes
an error record and the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._images import load_image
from ._spec import DataConfig

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Result:
    """One file's outcome: its output row, or why it could not be read."""

    file: Path
    output: Any = None
    error: str | None = None


@dataclass(frozen=True)
class _Batch:
    entries: list[tuple[Path, str | None]]  # in file order; error None for the decoded ones
    images: np.ndarray | None  # the decoded images, stacked; None when all failed


def _read_error(exc: BaseException) -> str:
    """Why a file could not be read, in words (Pillow's messages alone can be cryptic)."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "a directory, not an image file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, UnidentifiedImageError):
        return "not an image file (Pillow recognises no image format in it)"
    if isinstance(exc, Image.DecompressionBombError):
        return f"refused as a decompression bomb: {exc}"
    return f"cannot decode the image ({type(exc).__name__}: {exc})"


def _decode(files: Sequence[Path], size: int, config: DataConfig) -> _Batch:
    import numpy as np  # here, not at import: `registry list` never needs numpy

    entries: list[tuple[Path, str | None]] = []
    arrays: list[np.ndarray] = []
    for path in files:
        try:
            arrays.append(load_image(path, size, config))
        except Exception as exc:  # Pillow raises many types for bad files (OSError, ValueError, SyntaxError...)
            entries.append((path, _read_error(exc)))
        else:
            entries.append((path, None))
    return _Batch(entries, np.stack(arrays) if arrays else None)


def _batches(files: Sequence[Path], size: int, config: DataConfig, batch_size: int) -> Iterator[_Batch]:
    chunks = [files[i:i + batch_size] for i in range(0, len(files), batch_size)]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="registry-decode") as pool:
        pending = pool.submit(_decode, chunks[0], size, config) if chunks else None
        for nxt in chunks[1:] + [None]:
            assert pending is not None
            batch = pending.result()
            pending = pool.submit(_decode, nxt, size, config) if nxt is not None else None
            yield batch


def run(files: Sequence[Path], size: int, config: DataConfig, batch_size: int,
        infer: Callable[[np.ndarray], Any], on_batch: Callable[[int], None] | None = None) -> Iterator[Result]:
    """One `Result` per file, in order.

    `infer` maps a batch of RGB images (N, size, size, 3), values 0..255, to
    N output rows; `on_batch(n)` is called after each batch of `n` files.
    """
    for batch in _batches(files, size, config, batch_size):
        outputs = iter(infer(batch.images) if batch.images is not None else ())
        for path, error in batch.entries:
            yield Result(path, error=error) if error else Result(path, output=next(outputs))
        if on_batch is not None:
            on_batch(len(batch.entries))
