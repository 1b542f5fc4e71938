"""The store's sidecar records: what was verified, and trust-on-first-use pins.

A record holds the hash a file was verified against and the file's size,
mtime_ns, inode and ctime_ns at that moment. A later lookup that finds the
same stat trusts the file without reading it; any change (an edit, a copy
over it, a touch) sends the file back to a full hash check. Records and pins
are written to a temporary file and renamed, so a reader never sees half of
one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Record:
    """A verification of one cached file.

    `published` is True when `digest` is the publisher's hash, False when it
    is the store's own pin from the first verified download.
    """

    algorithm: str
    digest: str
    published: bool
    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int

    @classmethod
    def of(cls, path: Path, algorithm: str, digest: str, published: bool) -> Record:
        st = path.stat()
        return cls(algorithm, digest, published, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)

    def matches(self, st: os.stat_result) -> bool:
        """Whether `st` is the stat this record was taken from."""
        return (self.size, self.mtime_ns, self.inode, self.ctime_ns) == (
            st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_record(path: Path) -> Record | None:
    """The record at `path`; None when missing, unreadable or of another layout (the file is then
    re-verified)."""
    try:
        return Record(**json.loads(path.read_text(encoding="utf8")))
    except (OSError, ValueError, TypeError):
        return None


def write_record(path: Path, record: Record) -> None:
    write_atomic(path, json.dumps(asdict(record)))


def read_pin(path: Path) -> str | None:
    """The pinned sha256 hex digest at `path`, or None."""
    try:
        text = path.read_text(encoding="utf8").strip()
    except OSError:
        return None
    return text if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else None


def write_pin(path: Path, digest: str) -> None:
    write_atomic(path, digest + "\n")
