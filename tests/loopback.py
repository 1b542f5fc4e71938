"""A loopback HTTP file server with fault injection, for the weight-store tests.

`WeightServer().start()` listens on 127.0.0.1 (a random port) in a daemon
thread. `serve(name, path_or_bytes)` publishes a file at `/<name>`; GET
honours `Range: bytes=N-` and `If-Range` (ETag or Last-Modified), as the
official storage does. `fail(name, Fault(...), ...)` queues misbehaviours,
each consumed by one GET, after which the file is served normally again.
Every GET is logged (`log(name)`), so tests can count transfers and bytes.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

_CHUNK = 1 << 16


@dataclass(frozen=True)
class Fault:
    """How the server answers one GET instead of serving the file.

    status:       answer with this status and an empty body (500, 429, 404...)
    headers:      extra response headers (e.g. ``{"Retry-After": "1"}``)
    body:         serve these bytes instead (flipped, truncated, oversized files)
    drop_after:   announce the full length, close the connection after this many bytes
    stall_after:  send this many bytes, wait for `WeightServer.release()`, send the rest
    ignore_range: answer a Range request with 200 and the whole file
    no_length:    send no Content-Length (the body ends when the connection closes)
    """

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    drop_after: int | None = None
    stall_after: int | None = None
    ignore_range: bool = False
    no_length: bool = False


@dataclass
class Request:
    """One GET as the server saw it."""

    name: str
    range: str | None
    if_range: str | None
    status: int = 0
    sent: int = 0


@dataclass
class _File:
    source: Path | bytes
    etag: str
    last_modified: str

    @property
    def size(self) -> int:
        return len(self.source) if isinstance(self.source, bytes) else self.source.stat().st_size

    def read(self, start: int, length: int):
        if isinstance(self.source, bytes):
            for at in range(start, start + length, _CHUNK):
                yield self.source[at:min(at + _CHUNK, start + length)]
            return
        with open(self.source, "rb") as f:
            f.seek(start)
            left = length
            while left:
                block = f.read(min(1 << 20, left))
                if not block:
                    return
                left -= len(block)
                yield block


class _Quiet(http.server.ThreadingHTTPServer):
    """Clients that hang up mid-body (killed, timed out) are part of the tests, not errors."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class WeightServer:
    """See the module docstring."""

    def __init__(self) -> None:
        self._files: dict[str, _File] = {}
        self._faults: dict[str, deque[Fault]] = {}
        self._log: list[Request] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._httpd: http.server.ThreadingHTTPServer | None = None

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> WeightServer:
        self._httpd = _Quiet(("127.0.0.1", 0), _handler(self))
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def close(self) -> None:
        self._release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def base(self) -> str:
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # -- files and faults ----------------------------------------------------------
    def serve(self, name: str, data: Path | bytes | str) -> str:
        """Publish `data` (bytes or a file path, read on each request) at `/<name>`."""
        source = data if isinstance(data, bytes) else Path(data)
        if isinstance(source, bytes):
            tag = hashlib.md5(source).hexdigest()
        else:
            st = source.stat()
            tag = f"{st.st_size:x}-{st.st_mtime_ns:x}"
        with self._lock:
            self._files[name] = _File(source, f'"{tag}"', formatdate(time.time(), usegmt=True))
        return self.url(name)

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def etag(self, name: str) -> str:
        """The ETag `name` is served with (what a resume's `If-Range` must carry)."""
        with self._lock:
            return self._files[name].etag

    def fail(self, name: str, *faults: Fault) -> None:
        """Queue `faults` for the next GETs of `name`, one each."""
        with self._lock:
            self._faults.setdefault(name, deque()).extend(faults)

    def release(self) -> None:
        """Let stalled responses finish (they also give up after 60 s)."""
        self._release.set()

    def reset(self) -> None:
        """Forget queued faults and logged requests; served files stay."""
        with self._lock:
            self._faults.clear()
            self._log.clear()
        self._release.clear()

    # -- what happened ---------------------------------------------------------------
    def log(self, name: str) -> list[Request]:
        with self._lock:
            return [r for r in self._log if r.name == name]

    def count(self, name: str) -> int:
        """GET requests for `name` since the last reset."""
        return len(self.log(name))

    def sent(self, name: str) -> int:
        """Body bytes sent for `name` since the last reset."""
        return sum(r.sent for r in self.log(name))

    # -- used by the handler -----------------------------------------------------------
    def _begin(self, name: str, range_: str | None, if_range: str | None) -> tuple[Request, _File | None, Fault]:
        with self._lock:
            request = Request(name, range_, if_range)
            self._log.append(request)
            queue = self._faults.get(name)
            fault = queue.popleft() if queue else Fault()
            return request, self._files.get(name), fault


def _handler(server: WeightServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            name = self.path.lstrip("/")
            request, file, fault = server._begin(name, self.headers.get("Range"), self.headers.get("If-Range"))
            if file is None or fault.status is not None:
                request.status = 404 if fault.status is None else fault.status
                self.send_response(request.status)
                for key, value in fault.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = _File(fault.body, file.etag, file.last_modified) if fault.body is not None else file
            start = self._range_start(body, file, ignore=fault.ignore_range)
            length = body.size - start
            request.status = 206 if start else 200
            self.send_response(request.status)
            if not fault.no_length:
                self.send_header("Content-Length", str(length))
            self.send_header("ETag", file.etag)
            self.send_header("Last-Modified", file.last_modified)
            self.send_header("Accept-Ranges", "bytes")
            if start:
                self.send_header("Content-Range", f"bytes {start}-{body.size - 1}/{body.size}")
            for key, value in fault.headers.items():
                self.send_header(key, value)
            self.end_headers()
            pause = fault.stall_after
            for block in body.read(start, length):
                if fault.drop_after is not None and request.sent + len(block) >= fault.drop_after:
                    self._send(request, block[:fault.drop_after - request.sent])
                    return
                if pause is not None and request.sent + len(block) >= pause:
                    cut = pause - request.sent
                    self._send(request, block[:cut])
                    server._release.wait(60)
                    block, pause = block[cut:], None
                self._send(request, block)

        def _send(self, request: Request, block: bytes) -> None:
            self.wfile.write(block)
            self.wfile.flush()
            request.sent += len(block)

        def _range_start(self, body: _File, file: _File, ignore: bool) -> int:
            header = self.headers.get("Range", "")
            if ignore or not header.startswith("bytes=") or not header.endswith("-"):
                return 0
            validator = self.headers.get("If-Range")
            if validator is not None and validator not in (file.etag, file.last_modified):
                return 0
            try:
                start = int(header[len("bytes="):-1])
            except ValueError:
                return 0
            return start if 0 <= start < body.size else 0

    return Handler
