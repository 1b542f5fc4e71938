"""Where the weight cache lives, and the files the store keeps for each entry.

Weight files sit at the top of the cache directory under their official
names, so copying the directory to another machine (or serving it as a
`file://` mirror) just works. The store's own files live in `.registry/`
beside them, on the same filesystem, so a finished download is published
with one atomic rename.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ._errors import UnsafeSourceError

CACHE_ENV = "REGISTRY_CACHE_DIR"
KERAS_HOME_ENV = "KERAS_HOME"
META_DIR = ".registry"


def cache_dir() -> Path:
    """`REGISTRY_CACHE_DIR`, else the platform's user cache directory."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("registry-core", appauthor=False))


def keras_models_dir() -> Path:
    """Where `keras.utils.get_file` caches application weights (`$KERAS_HOME/models`)."""
    home = os.environ.get(KERAS_HOME_ENV)
    return Path(home).expanduser() / "models" if home else Path.home() / ".keras" / "models"


def checked_name(file_name: str) -> str:
    """`file_name` if it is a plain base name the cache can hold; else `UnsafeSourceError`."""
    bad = (
        not isinstance(file_name, str) or not file_name or file_name.startswith(".")
        or any(c in file_name for c in "/\\\0:") or file_name != file_name.strip()
    )
    if bad:
        raise UnsafeSourceError(
            f"Refusing weight file name {file_name!r}: the cache only holds plain base names (no path "
            "separators, no '..', not hidden, no drive letters). Fix the WeightFile's file_name in the plugin."
        )
    return file_name


@dataclass(frozen=True)
class EntryPaths:
    """The files the store keeps for one cached weight file."""

    root: Path
    name: str

    @property
    def meta(self) -> Path:
        return self.root / META_DIR

    @property
    def final(self) -> Path:
        """The verified file; only ever created by an atomic rename."""
        return self.root / self.name

    @property
    def record(self) -> Path:
        """Hash and stat of the last verification, so a hit reads no content."""
        return self.meta / f"{self.name}.record"

    @property
    def pin(self) -> Path:
        """The sha256 of the first verified download of a file with no published hash."""
        return self.meta / f"{self.name}.pin"

    @property
    def lock(self) -> Path:
        return self.meta / f"{self.name}.lock"

    @property
    def owner(self) -> Path:
        """Who holds the lock (pid and host), for the messages of those who wait."""
        return self.meta / f"{self.name}.owner"

    @property
    def partial(self) -> Path:
        """An interrupted download, resumed by the next lock holder."""
        return self.meta / f"{self.name}.part"

    @property
    def partial_source(self) -> Path:
        """The URL and validator (ETag, Last-Modified) the partial file came from."""
        return self.meta / f"{self.name}.part.json"

    def temp_prefix(self) -> str:
        return f"{self.name}."

    def ensure(self) -> EntryPaths:
        self.meta.mkdir(parents=True, exist_ok=True)
        return self
