"""Transferring one URL into a local file, hashing as the bytes arrive.

`download` writes to the target path it is given (the store's partial file
or a private temporary file), never to the cache's final path; the store
checks the digest and publishes. Over http(s) it:

- resumes a partial file from the same URL with `Range` and `If-Range`, and
  starts over cleanly when the server answers 200 instead of 206;
- retries connection errors, timeouts, 5xx, 408 and 429 with exponential
  backoff (honouring `Retry-After`), at most `DownloadPolicy.attempts` times,
  with a note per retry only once the server was reached (a refused
  connection is retried silently);
- fails at once when the host name does not resolve (no network, or a wrong
  name: waiting changes neither);
- fails at once on other statuses (403, 404, ...) and on a body whose
  length disagrees with the expected size, `Content-Length` or the cap;
- gives up when its share of the fetch's `Budget` (seconds without
  progress) is spent, so an unreachable network fails in seconds and a
  black-holed mirror leaves time for the origin.

`file://` URLs (air-gapped mirrors, Keras' cache) are copied with the same
checks.
"""

from __future__ import annotations

import email.utils
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from . import _hashing, _progress

SCHEMES = ("https", "http", "file")


@dataclass(frozen=True)
class DownloadPolicy:
    """Retry, timeout and size limits; tests inject short ones."""

    attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 8.0
    budget: float = 20.0
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_size: int = 2 << 30
    chunk: int = 1 << 20


class Budget:
    """Seconds a fetch may spend without receiving a byte, shared fairly by its sources.

    Each network source, in its turn (`start`), may go without a byte for an
    equal share of what is left among the sources still to try, so a mirror
    that accepts connections and never answers cannot starve the origin; the
    whole fetch still ends within `seconds` of its last byte.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = self.share = seconds
        self._shared = False
        self.touch()

    def start(self, sources_left: int) -> None:
        """Begin a source's turn; `sources_left` counts it and the network sources after it."""
        self._shared = sources_left > 1
        self.share = max(0.0, self._deadline - time.monotonic()) / max(1, sources_left)
        self._turn_deadline = time.monotonic() + self.share

    def touch(self) -> None:
        """A byte arrived: the fetch and this source's turn start counting afresh."""
        now = time.monotonic()
        self._deadline = now + self.seconds
        self._turn_deadline = now + self.share

    def remaining(self) -> float:
        return min(self._deadline, self._turn_deadline) - time.monotonic()

    def spent(self) -> str:
        """Which limit ran out, for messages."""
        if self._shared:
            return f"its share ({self.share:.1f} s) of the time budget of {self.seconds:g} s without progress is spent"
        return f"the time budget of {self.seconds:g} s without progress is spent"


class SourceFailed(Exception):
    """One source could not deliver; `retryable` failures keep their partial file.

    `quiet`: the server was never reached, so a retry is not worth a note."""

    def __init__(self, reason: str, *, retryable: bool = False, retry_after: float | None = None,
                 quiet: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.quiet = quiet


@dataclass(frozen=True)
class Downloaded:
    digest: str
    size: int
    resumed_from: int


def scheme_of(url: str) -> str:
    return urlsplit(url).scheme.lower()


def download(url: str, target: Path, *, name: str, algorithm: str, size: int | None, policy: DownloadPolicy,
             budget: Budget, resume_record: Path | None = None,
             notify: Callable[[str], None] = _progress.notify) -> Downloaded:
    """Fetch `url` into `target`; `resume_record` (held under the lock) enables resuming."""
    if scheme_of(url) == "file":
        if resume_record is not None:
            resume_record.unlink(missing_ok=True)
        return _copy(url, target, name=name, algorithm=algorithm, size=size, policy=policy)
    import requests

    with requests.Session() as session:
        for attempt in range(1, policy.attempts + 1):
            try:
                return _http_once(session, url, target, name=name, algorithm=algorithm, size=size,
                                  policy=policy, budget=budget, resume_record=resume_record, notify=notify)
            except SourceFailed as exc:
                if not exc.retryable:
                    raise
                if attempt == policy.attempts:
                    raise SourceFailed(f"{exc.reason} (gave up after {attempt} attempts)", retryable=True) from None
                wait = min(policy.backoff * 2 ** (attempt - 1), policy.max_backoff)
                wait = max(wait, exc.retry_after or 0.0)
                if wait >= budget.remaining():
                    raise SourceFailed(f"{exc.reason}; giving up: {budget.spent()} (attempt {attempt} of "
                                       f"{policy.attempts})", retryable=True) from None
                if not exc.quiet:
                    notify(f"{name}: {exc.reason}; retrying in {wait:.1f} s (attempt {attempt + 1} of "
                           f"{policy.attempts}).")
                time.sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")


def _resume_point(url: str, target: Path, resume_record: Path | None) -> tuple[int, str | None]:
    """(bytes already there, validator) when `target` is a partial download of `url`."""
    if resume_record is None or not target.exists():
        return 0, None
    try:
        saved = json.loads(resume_record.read_text(encoding="utf8"))
    except (OSError, ValueError):
        return 0, None
    if saved.get("url") != url or not saved.get("validator"):
        return 0, None
    return target.stat().st_size, saved["validator"]


def _validator(headers: Any) -> str | None:
    etag = headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return etag
    return headers.get("Last-Modified")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _content_range_start(value: str | None) -> tuple[int, int | None] | None:
    """`bytes a-b/total` -> (a, total or None)."""
    try:
        unit, _, spec = (value or "").partition(" ")
        span, _, total = spec.partition("/")
        if unit != "bytes":
            return None
        return int(span.split("-")[0]), None if total == "*" else int(total)
    except ValueError:
        return None


def _request(session: Any, url: str, target: Path, have: int, validator: str | None, policy: DownloadPolicy,
             budget: Budget, resume_record: Path | None) -> Any:
    """The streaming response to a GET of `url`, resuming at `have`; retryable failures raised."""
    import requests

    headers = {"Accept-Encoding": "identity", "User-Agent": "registry-core"}
    if have:
        headers.update({"Range": f"bytes={have}-", "If-Range": validator or ""})
    left = budget.remaining()  # a silent server is given up on when the budget is, not after read_timeout
    timeout = (max(0.05, min(policy.connect_timeout, left)), max(0.05, min(policy.read_timeout, left)))
    try:
        response = session.get(url, headers=headers, stream=True, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise _no_response(url, exc) from exc
    except requests.RequestException as exc:
        raise SourceFailed(f"request failed: {exc}") from exc
    status = response.status_code
    if status in (200, 206) and scheme_of(response.url) in ("https", "http"):
        return response
    response.close()
    if status in (408, 429) or 500 <= status < 600:
        raise SourceFailed(f"HTTP {status}", retryable=True,
                           retry_after=_retry_after(response.headers.get("Retry-After")))
    if status == 416 and have:  # the partial file is stale or complete: start over
        discard(target, resume_record)
        raise SourceFailed("HTTP 416 to a resume", retryable=True)
    if status in (200, 206):
        raise SourceFailed(f"redirected to a URL that is not http(s): {response.url}")
    raise SourceFailed(f"HTTP {status} {response.reason or ''}".rstrip())


def _no_response(url: str, exc: BaseException) -> SourceFailed:
    """Why a request got no response: an unresolvable host name is final, a refused or
    timed-out connection is retried quietly, a connection lost later is retried with a note."""
    import urllib3

    causes = _causes(exc)
    if any(isinstance(c, socket.gaierror) for c in causes):
        return SourceFailed(f"cannot resolve the host name {urlsplit(url).hostname} (no network, or no such host)")
    never_connected = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)
    return SourceFailed(f"cannot connect ({type(exc).__name__})", retryable=True,
                        quiet=any(isinstance(c, never_connected) for c in causes))


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and what it wraps: requests and urllib3 nest the socket error in
    arguments and `reason` as well as in `__cause__`/`__context__`."""
    found: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop()
        if any(current is f for f in found):
            continue
        found.append(current)
        inner = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        todo.extend(e for e in inner if isinstance(e, BaseException))
    return found


def discard(target: Path, resume_record: Path | None) -> None:
    """Remove a partial download and the record of where it came from."""
    target.unlink(missing_ok=True)
    if resume_record is not None:
        resume_record.unlink(missing_ok=True)


def _http_once(session: Any, url: str, target: Path, *, name: str, algorithm: str, size: int | None,
               policy: DownloadPolicy, budget: Budget, resume_record: Path | None,
               notify: Callable[[str], None]) -> Downloaded:
    import requests
    import urllib3

    have, validator = _resume_point(url, target, resume_record)
    with _request(session, url, target, have, validator, policy, budget, resume_record) as response:
        total: int | None = None
        if response.status_code == 206:
            start = _content_range_start(response.headers.get("Content-Range"))
            if start is None or start[0] != have:
                discard(target, resume_record)
                raise SourceFailed(f"answered a resume with a wrong Content-Range "
                                   f"({response.headers.get('Content-Range')})", retryable=True)
            total = start[1]
            notify(f"Resuming {name} at byte {have:,}.")
        else:
            if have:
                notify(f"{url} ignored the request to resume {name}; starting over.")
            have = 0
        length = response.headers.get("Content-Length", "")
        if total is None and length.isdigit():
            total = have + int(length)
        if size is not None and total is not None and total != size:
            raise SourceFailed(f"announces {total:,} bytes, but {name} has {size:,}")
        limit = size if size is not None else total if total is not None else policy.max_size
        if limit > policy.max_size:
            raise SourceFailed(f"announces {limit:,} bytes, more than the cap of {policy.max_size:,}")
        if resume_record is not None:
            resume_record.write_text(json.dumps({"url": url, "validator": _validator(response.headers)}),
                                     encoding="utf8")
        if not have:
            notify(f"Downloading {name} from {url}")
        digest = _hashing.new_hash(algorithm)
        if have:
            _hashing.update_from_file(digest, target, have)
        errors = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)
        written = _pour(_blocks(response.raw, policy.chunk, errors), target, have, digest, name, limit, budget,
                        capped=size is None and total is None)
    expected_end = size if size is not None else total
    if expected_end is not None and written != expected_end:
        raise SourceFailed(f"the body ended after {written:,} of {expected_end:,} bytes", retryable=True)
    return Downloaded(digest.hexdigest(), written, have)


class _Dropped(Exception):
    pass


def _blocks(raw: Any, chunk: int, errors: tuple[type[BaseException], ...]) -> Iterator[bytes]:
    """Blocks as they arrive (so a killed process leaves every byte it received on disk)."""
    read = raw.read1 if hasattr(raw, "read1") else raw.read
    while True:
        try:
            block = read(chunk, decode_content=True)
        except errors as exc:
            raise _Dropped(type(exc).__name__) from exc
        if not block:
            return
        yield block


def _pour(blocks: Iterator[bytes], target: Path, have: int, digest: Any, name: str, limit: int,
          budget: Budget | None = None, *, capped: bool = False) -> int:
    """Append `blocks` to `target` (after its first `have` bytes), hashing them; fsync; the new size.

    `capped`: `limit` is the size cap, as nothing gave the file's size."""
    written = have
    with open(target, "ab" if have else "wb") as f, _progress.bar(name, None if capped else limit, have) as progress:
        try:
            for block in blocks:
                written += len(block)
                if written > limit:
                    raise SourceFailed(f"sent more than the cap of {limit:,} bytes and announced no size" if capped
                                       else f"sent more than the {limit:,} bytes expected of {name}")
                f.write(block)
                digest.update(block)
                progress.update(len(block))
                if budget is not None:
                    budget.touch()
        except _Dropped as exc:
            raise SourceFailed(f"the connection dropped after {written:,} bytes ({exc})", retryable=True) from None
        f.flush()
        os.fsync(f.fileno())
    return written


def _copy(url: str, target: Path, *, name: str, algorithm: str, size: int | None, policy: DownloadPolicy) -> Downloaded:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise SourceFailed(f"file URLs must name a local path (file:///...), not host {parts.netloc!r}")
    from urllib.request import url2pathname  # costs 20 ms at import; `registry list` never needs it

    source = Path(url2pathname(unquote(parts.path)))
    try:
        actual = source.stat().st_size
    except OSError as exc:
        raise SourceFailed(f"no readable file at {source} ({exc.strerror})") from None
    if size is not None and actual != size:
        raise SourceFailed(f"{source} has {actual:,} bytes, but {name} has {size:,}")
    if actual > policy.max_size:
        raise SourceFailed(f"{source} has {actual:,} bytes, more than the cap of {policy.max_size:,}")
    digest = _hashing.new_hash(algorithm)
    try:
        src = open(source, "rb")
    except OSError as exc:  # a directory, no permission: the next source is tried
        raise SourceFailed(f"cannot read {source} ({exc.strerror})") from None
    with src:
        written = _pour(_file_blocks(src, source, policy.chunk), target, 0, digest, name, actual)
    if written != actual:
        raise SourceFailed(f"{source} shrank while being copied")
    return Downloaded(digest.hexdigest(), written, 0)


def _file_blocks(src: Any, source: Path, chunk: int) -> Iterator[bytes]:
    """Blocks of a source file; its read errors are the source's failure, not the cache's."""
    while True:
        try:
            block = src.read(chunk)
        except OSError as exc:
            raise SourceFailed(f"reading {source} failed ({exc.strerror})") from None
        if not block:
            return
        yield block
