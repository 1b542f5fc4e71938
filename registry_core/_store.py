"""The weight store: `WeightStore.fetch(weight_file) -> verified local path`.

Lookup order: our cache; Keras' cache (files with a published hash, verified
on the way in); `REGISTRY_WEIGHTS_MIRROR`; the plugins' weight sources; the
origin URL. The environment is read on every fetch, so a long-lived process
sees changes.

Correctness comes from verify-before-rename: bytes go to a partial file
under `.registry/`, are hashed as they arrive, checked against the
publisher's hash (or the pin of the first verified download), fsynced and
renamed into place. The per-file lock makes concurrent fetches share one
transfer and guards the resumable partial file; without a lock (some network
filesystems) each process downloads to a private temporary file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
import urllib.parse
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from filelock import Timeout

from . import _hashing, _paths, _progress
from ._download import SCHEMES, Budget, DownloadPolicy, SourceFailed, discard, download, scheme_of
from ._errors import (
    ChecksumMismatchError,
    DownloadError,
    OfflineError,
    RegistryError,
    UnsafeSourceError,
    WeightsError,
)
from ._hookspecs import WeightSource
from ._loading import PluginSource
from ._lock import entry_lock
from ._paths import EntryPaths
from ._records import Record, read_pin, read_record, write_pin, write_record
from ._spec import WeightFile

MIRROR_ENV = "REGISTRY_WEIGHTS_MIRROR"
OFFLINE_ENV = "REGISTRY_OFFLINE"
_KERAS_CACHE = "Keras' cache"
#: Private temporary files older than this are leftovers of dead processes.
STALE_TEMP_SECONDS = 24 * 3600


def offline() -> bool:
    """Whether `REGISTRY_OFFLINE` forbids network connections."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class _Expected:
    algorithm: str
    digest: str
    published: bool  # the publisher's hash, not our first-use pin


@dataclass(frozen=True)
class _Source:
    label: str
    url: str


@dataclass(frozen=True)
class CachedFile:
    """One file in the cache, as `registry cache ls` shows it.

    `digest` is the publisher's hash when `published`, else the store's
    first-use pin (None when neither is known); `verified` says the file is
    unchanged since it was last checked against it.
    """

    file_name: str
    path: Path
    size: int
    algorithm: str | None
    digest: str | None
    published: bool
    verified: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"path": str(self.path)}


@dataclass(frozen=True)
class Verification:
    """The outcome of re-hashing one cached file."""

    file_name: str
    status: Literal["ok", "bad", "unknown"]
    detail: str = ""


class WeightStore:
    """Fetches `WeightFile`s into the cache, verified; see the module docstring.

    `sources` are plugin weight sources (callables `WeightFile -> URLs`);
    `policy` sets retries, timeouts and the size cap.
    """

    def __init__(self, sources: Iterable[WeightSource] = (), *, policy: DownloadPolicy | None = None) -> None:
        self.sources = list(sources)
        self.policy = policy or DownloadPolicy()

    def cache_dir(self) -> Path:
        """The cache directory (`REGISTRY_CACHE_DIR` or the platform's)."""
        return _paths.cache_dir()

    # -- fetching ------------------------------------------------------------------
    def fetch(self, weight_file: WeightFile) -> Path:
        """A local path to `weight_file`, verified; downloaded at most once across processes."""
        paths = EntryPaths(self.cache_dir(), _paths.checked_name(weight_file.file_name))
        if self._recorded(paths, self._expected(weight_file, paths)):
            return paths.final
        is_offline = offline()
        with _cache_errors(paths.root), entry_lock(paths.ensure(), _progress.notify) as locked:
            expected = self._expected(weight_file, paths)  # the holder we waited for may have pinned it
            if self._recorded(paths, expected):
                return paths.final
            if paths.final.exists():
                problem = self._check_existing(paths, weight_file, expected)
                if problem is None:
                    return paths.final
                state = self._state(paths, expected)
                if is_offline:
                    raise ChecksumMismatchError(
                        f"{paths.final} {state}: {problem}. {OFFLINE_ENV}=1 forbids fetching a verified copy; "
                        f"unset {OFFLINE_ENV}, or copy an intact file there."
                    )
                _progress.notify(f"{paths.final} {state} ({problem}); replacing it with a verified copy.")
            # only now: a misconfigured mirror or plugin source must not break a file already here
            sources = self._sources(weight_file, is_offline)
            return self._transfer(weight_file, paths, expected, sources, locked, is_offline)

    @staticmethod
    def _expected(wf: WeightFile | None, paths: EntryPaths) -> _Expected | None:
        """The publisher's hash, else the pin of the first verified download, else None."""
        if wf is not None and wf.hash is not None and wf.hash_algorithm is not None:
            return _Expected(wf.hash_algorithm, wf.hash, True)
        pin = read_pin(paths.pin)
        return None if pin is None else _Expected(_hashing.PIN_ALGORITHM, pin, False)

    @staticmethod
    def _recorded(paths: EntryPaths, expected: _Expected | None) -> bool:
        """The fast hit: the record vouches for this very file, and no byte is read."""
        if expected is None:
            return False
        record = read_record(paths.record)
        if record is None or (record.algorithm, record.digest) != (expected.algorithm, expected.digest):
            return False
        try:
            return record.matches(paths.final.stat())
        except OSError:
            return False

    def _check_existing(self, paths: EntryPaths, wf: WeightFile, expected: _Expected | None) -> str | None:
        """Hash a cached file the record does not vouch for; None if good (then recorded)."""
        size = paths.final.stat().st_size
        if wf.size is not None and size != wf.size:
            return f"it has {size:,} bytes, not {wf.size:,}"
        algorithm = expected.algorithm if expected else _hashing.PIN_ALGORITHM
        digest = _hashing.hash_file(paths.final, algorithm)
        if expected is not None and digest != expected.digest:
            return f"its {algorithm} is {digest}, expected {expected.digest}"
        self._remember(paths, expected, algorithm, digest)
        return None

    @staticmethod
    def _state(paths: EntryPaths, expected: _Expected | None) -> str:
        """How a cached file that failed its check came to be there, for messages."""
        if paths.record.exists():
            return "changed since it was verified"
        against = ("the published size" if expected is None  # with no hash, only the size can fail
                   else "the published hash" if expected.published else "its first-use pin")
        return f"has no verification record and does not match {against}"

    @staticmethod
    def _remember(paths: EntryPaths, expected: _Expected | None, algorithm: str, digest: str) -> None:
        """Pin a first use, then record the verified file's stat."""
        with contextlib.suppress(OSError):  # a read-only cache still serves; it just re-hashes (and re-pins)
            if expected is None:
                write_pin(paths.pin, digest)
            write_record(paths.record, Record.of(paths.final, algorithm, digest,
                                                 published=expected is not None and expected.published))

    # -- sources -------------------------------------------------------------------
    def _sources(self, wf: WeightFile, is_offline: bool) -> list[_Source | SourceFailed]:
        """Candidate sources in lookup order; a plugin source's failure is kept as an entry."""
        found: list[_Source | SourceFailed] = []
        keras_copy = _paths.keras_models_dir() / wf.file_name
        with contextlib.suppress(OSError):  # an unreadable Keras home is no source, not our cache's fault
            if wf.hash is not None and keras_copy.is_file():
                found.append(_Source(_KERAS_CACHE, keras_copy.resolve().as_uri()))
        mirror = os.environ.get(MIRROR_ENV, "").strip()
        if mirror:
            url = f"{mirror.rstrip('/')}/{urllib.parse.quote(wf.file_name)}"
            found.append(_Source("mirror", _checked_url(url, MIRROR_ENV)))
        for source in self.sources:
            label = (f"plugin {source.plugin}" if isinstance(source, PluginSource)
                     else f"plugin source {getattr(source, '__qualname__', repr(source))}")
            try:
                urls = [str(u) for u in source(wf)]
            except Exception as exc:  # a broken plugin must not stop the origin from being tried
                found.append(SourceFailed(f"{label} raised {type(exc).__name__}: {exc}"))
                continue
            for url in urls:
                if scheme_of(url) in SCHEMES:
                    found.append(_Source(label, url))
                else:
                    found.append(SourceFailed(f"{label} gave an unsupported URL {url!r}"))
        found.append(_Source("origin", _checked_url(wf.origin, f"the origin of {wf.file_name}")))
        seen: set[str] = set()
        kept: list[_Source | SourceFailed] = []
        for item in found:
            if isinstance(item, _Source):
                if item.url in seen or (is_offline and scheme_of(item.url) != "file"):
                    continue
                seen.add(item.url)
            kept.append(item)
        return kept

    # -- transferring ----------------------------------------------------------------
    def _transfer(self, wf: WeightFile, paths: EntryPaths, expected: _Expected | None,
                  sources: list[_Source | SourceFailed], locked: bool, is_offline: bool) -> Path:
        budget = Budget(self.policy.budget)
        failures: list[tuple[_Source | None, Exception]] = []
        networked = [isinstance(s, _Source) and scheme_of(s.url) != "file" for s in sources]
        for i, source in enumerate(sources):
            if isinstance(source, SourceFailed):
                failures.append((None, source))
                continue
            budget.start(sum(networked[i:]))
            try:
                path = self._from_source(source, wf, paths, expected, locked, budget)
            except (SourceFailed, ChecksumMismatchError) as exc:
                failures.append((source, exc))
                continue
            for failed, exc in failures:
                if failed is not None and isinstance(exc, ChecksumMismatchError):
                    warnings.warn(f"{failed.label} {failed.url} served a corrupted or tampered {wf.file_name} "
                                  f"({exc}); it was refused and {source.label} used instead.",
                                  UserWarning, stacklevel=3)
            return path
        raise self._failure(wf, paths, expected, failures, is_offline)

    def _from_source(self, source: _Source, wf: WeightFile, paths: EntryPaths, expected: _Expected | None,
                     locked: bool, budget: Budget) -> Path:
        algorithm = expected.algorithm if expected else _hashing.PIN_ALGORITHM
        if locked:
            target, resume_record = paths.partial, paths.partial_source
        else:
            fd, name = tempfile.mkstemp(dir=paths.meta, prefix=paths.temp_prefix(), suffix=".tmp")
            os.close(fd)
            target, resume_record = Path(name), None
        try:
            for attempt in (1, 2):  # a resumed transfer failing its hash is retried once from zero
                got = download(source.url, target, name=wf.file_name, algorithm=algorithm, size=wf.size,
                               policy=self.policy, budget=budget, resume_record=resume_record)
                if expected is None or got.digest == expected.digest:
                    break
                discard(target, resume_record)
                if attempt == 2 or not got.resumed_from:
                    raise _mismatch(f"{source.url} served {wf.file_name} with {algorithm} {got.digest}, "
                                    f"expected {expected.digest}", source.url, expected.digest, got.digest)
            os.replace(target, paths.final)
            _fsync_dir(paths.root)
            self._remember(paths, expected, algorithm, got.digest)
            if resume_record is not None:
                resume_record.unlink(missing_ok=True)
            return paths.final
        except SourceFailed as exc:
            if not (locked and exc.retryable):
                discard(target, resume_record)
            raise
        except OSError:  # the cache's own disk failed (full, read-only): a partial file would only hog it
            with contextlib.suppress(OSError):
                discard(target, resume_record)
            raise
        finally:
            if not locked:
                target.unlink(missing_ok=True)

    def _failure(self, wf: WeightFile, paths: EntryPaths, expected: _Expected | None,
                 failures: list[tuple[_Source | None, Exception]], is_offline: bool) -> Exception:
        def said(failed: list[tuple[_Source | None, Exception]]) -> str:
            return "; ".join(f"{s.label} {s.url}: {exc}" if s else str(exc) for s, exc in failed)

        mismatched = [(s, exc) for s, exc in failures if s is not None and isinstance(exc, ChecksumMismatchError)]
        others = [(s, exc) for s, exc in failures if s is None or not isinstance(exc, ChecksumMismatchError)]
        remedy = (
            f"run `registry fetch` for the model on a machine with network access and copy its cache "
            f"directory (`registry cache dir`) to {paths.root}, or set {MIRROR_ENV} to a file:// directory "
            f"(or, online, an http(s) server) holding {wf.file_name}"
        )
        if mismatched:
            fixes = [*dict.fromkeys(_remedy(s, wf, paths, expected) for s, _ in mismatched)]
            if others:
                what = (f". Failed the hash check (none was kept in the cache): {said(mismatched)}. "
                        f"Failed otherwise: {said(others)}")
                fixes.append(f"for the others, {'' if is_offline else 'check the network connection, or '}{remedy}")
            else:
                what = f": every copy failed its hash check, and none was kept in the cache. Tried: {said(mismatched)}"
            first = mismatched[0][1]
            return _mismatch(f"No source gave an intact {wf.file_name}{what}. To fix it: {'; '.join(fixes)}.",
                             first.url, first.expected, first.actual)
        tried = said(failures)
        if is_offline:
            detail = f" Tried: {tried}." if tried else ""
            return OfflineError(
                f"{wf.file_name} is not in the weight cache ({paths.root}) and {OFFLINE_ENV}=1 forbids "
                f"downloading it.{detail} To get it, {remedy}."
            )
        return DownloadError(
            f"Could not download {wf.file_name}. Tried: {tried}. Check the network connection; or {remedy}."
        )

    # -- the cache as a whole ------------------------------------------------------------
    def _names(self) -> list[str]:
        root = self.cache_dir()
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if p.is_file() and not p.name.startswith("."))

    def entries(self) -> list[CachedFile]:
        """The files in the cache with what their records say, sorted by name."""
        out = []
        for name in self._names():
            paths = EntryPaths(self.cache_dir(), name)
            record = read_record(paths.record)
            try:
                st = paths.final.stat()
            except FileNotFoundError:  # removed since it was listed
                continue
            pin = read_pin(paths.pin)
            if record is not None:
                out.append(CachedFile(name, paths.final, st.st_size, record.algorithm, record.digest,
                                      record.published, record.matches(st)))
            else:
                out.append(CachedFile(name, paths.final, st.st_size, _hashing.PIN_ALGORITHM if pin else None,
                                      pin, False, False))
        return out

    def verify(self, known: Mapping[str, WeightFile] | None = None) -> list[Verification]:
        """Re-hash every cached file against the publisher's hash (from `known`), its pin or
        its record; remove the bad ones (pins stay, so a re-fetch is held to them)."""
        known = known or {}
        results = []
        root = self.cache_dir()
        with _cache_errors(root):
            for name in self._names():
                paths = EntryPaths(root, name).ensure()
                with entry_lock(paths, _progress.notify):
                    try:
                        result = self._verify_one(paths, known.get(name))
                    except FileNotFoundError:  # removed since it was listed
                        continue
                results.append(result)
        return results

    def _verify_one(self, paths: EntryPaths, wf: WeightFile | None) -> Verification:
        expected = self._expected(wf, paths)
        record = read_record(paths.record)
        if expected is None and record is not None:
            expected = _Expected(record.algorithm, record.digest, record.published)
        if expected is None:
            return Verification(paths.name, "unknown", "no published hash, pin or record to check")
        digest = _hashing.hash_file(paths.final, expected.algorithm)
        if digest == expected.digest:
            self._remember(paths, expected, expected.algorithm, digest)
            return Verification(paths.name, "ok")
        paths.final.unlink(missing_ok=True)
        paths.record.unlink(missing_ok=True)
        return Verification(paths.name, "bad", f"{expected.algorithm} is {digest}, expected {expected.digest}")

    def prune(self, keep: Iterable[str], *, dry_run: bool = False) -> list[Path]:
        """Remove cached files not in `keep`, interrupted downloads and stale temporary files.

        Entries locked by a running fetch are left alone; lock files stay (removing
        one while another process waits on it would break mutual exclusion).
        """
        root = self.cache_dir()
        meta = root / _paths.META_DIR
        if not meta.is_dir():
            return []
        keep = set(keep)
        names = set(self._names())
        for suffix in (".part", ".record"):
            names |= {p.name[:-len(suffix)] for p in meta.glob(f"*{suffix}")}
        removed: list[Path] = []
        with _cache_errors(root):
            for name in sorted(names):
                paths = EntryPaths(root, name)
                doomed = [paths.partial, paths.partial_source]
                if name not in keep:
                    doomed += [paths.final, paths.record, paths.pin]
                try:
                    with entry_lock(paths, _progress.notify, blocking=False):
                        for path in doomed:
                            if path.exists():
                                removed.append(path)
                                if not dry_run:
                                    path.unlink(missing_ok=True)
                except Timeout:
                    continue
            cutoff = time.time() - STALE_TEMP_SECONDS
            for path in sorted(meta.glob("*.tmp")):
                with contextlib.suppress(FileNotFoundError):  # another prune was quicker
                    if path.stat().st_mtime < cutoff:
                        removed.append(path)
                        if not dry_run:
                            path.unlink(missing_ok=True)
        return removed


@contextlib.contextmanager
def _cache_errors(root: Path) -> Iterator[None]:
    """Turn a failure of the cache's own files (full disk, read-only, missing parent) into a
    `WeightsError` that says what to do; sources' failures never get here."""
    try:
        yield
    except RegistryError:
        raise
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            fix = f"free space there, or set {_paths.CACHE_ENV} to a directory on a disk with room"
        else:
            fix = f"set {_paths.CACHE_ENV} to a writable directory, or make {root} writable"
        raise WeightsError(f"Cannot write to the weight cache {root}: {exc.strerror or exc}{where}. "
                           f"To fix it, {fix}.") from exc


def _mismatch(message: str, url: str, expected: str, actual: str) -> ChecksumMismatchError:
    """A `ChecksumMismatchError` carrying `url`, `expected` and `actual` as attributes."""
    error = ChecksumMismatchError(message)
    error.url, error.expected, error.actual = url, expected, actual  # type: ignore[attr-defined]
    return error


def _remedy(source: _Source, wf: WeightFile, paths: EntryPaths, expected: _Expected | None) -> str:
    """What to do about `source` serving a file that fails its hash."""
    if source.label == _KERAS_CACHE:
        return f"delete the bad copy {_paths.keras_models_dir() / wf.file_name} from Keras' cache"
    if source.label == "mirror":
        return f"replace the mirror's copy, or unset {MIRROR_ENV}"
    if source.label != "origin":
        return f"tell the authors of {source.label} that it serves a bad copy"
    if expected is not None and not expected.published:
        return (f"the origin now serves a file other than the one pinned on first use; if you trust the "
                f"new one, delete the pin {paths.pin} and fetch again")
    return "the origin serves a file that does not match the published hash: report it to the plugin's authors"


def _checked_url(url: str, what: str) -> str:
    if scheme_of(url) not in SCHEMES:
        raise UnsafeSourceError(
            f"Refusing {what}: only {', '.join(SCHEMES)} URLs are allowed. Received: {url!r}. "
            "For a local directory use file:///absolute/path."
        )
    return url


def _fsync_dir(path: Path) -> None:
    """Make the rename itself durable, where the platform allows opening a directory."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
