"""Hashing weight files, streamed in blocks."""

from __future__ import annotations

import hashlib
import os
from typing import Any

BLOCK = 1 << 20
#: The algorithm the store pins files with when the publisher gives no hash.
PIN_ALGORITHM = "sha256"


def new_hash(algorithm: str) -> Any:
    """A hashlib object; md5 marked as not for security where Python allows it."""
    try:
        return hashlib.new(algorithm, usedforsecurity=False)
    except TypeError:  # Python builds without the keyword
        return hashlib.new(algorithm)


def update_from_file(digest: Any, path: str | os.PathLike[str], limit: int | None = None) -> int:
    """Feed the first `limit` bytes of `path` (all when None) to `digest`; return the count."""
    count = 0
    with open(path, "rb", buffering=0) as f:
        buffer = bytearray(BLOCK)
        view = memoryview(buffer)
        while limit is None or count < limit:
            n = f.readinto(view if limit is None else view[:min(BLOCK, limit - count)])
            if not n:
                break
            digest.update(view[:n])
            count += n
    return count


def hash_file(path: str | os.PathLike[str], algorithm: str) -> str:
    """The hex digest of the whole file at `path`."""
    digest = new_hash(algorithm)
    update_from_file(digest, path)
    return digest.hexdigest()
