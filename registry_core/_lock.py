"""One inter-process lock per cached file, naming its holder to those who wait.

The lock is an OS file lock (filelock), released by the kernel when its
holder dies, so a killed download never blocks the next one. The holder
writes its pid and host beside the lock; a process that finds the lock taken
says whom it waits for, then blocks until the holder is done. Where the
filesystem offers no locks (some network filesystems), `entry_lock` yields
False and the caller must work without one.
"""

from __future__ import annotations

import contextlib
import errno
import inspect
import os
import socket
import time
from collections.abc import Callable, Iterator

from filelock import FileLock, Timeout

from ._paths import EntryPaths

# filelock >= 3.20 would silently fall back to lock files that outlive a
# killed holder; a missing lock must reach us so we use private temp files.
_NO_SOFT = {"fallback_to_soft": False} if "fallback_to_soft" in inspect.signature(FileLock).parameters else {}


def _holder(paths: EntryPaths) -> str:
    try:
        text = paths.owner.read_text(encoding="utf8").split()
        pid, host, since = text[0], text[1], float(text[2])
    except (OSError, IndexError, ValueError):
        return "another process"
    return f"process {pid} on {host} (holding it for {max(0.0, time.time() - since):.0f} s)"


@contextlib.contextmanager
def entry_lock(paths: EntryPaths, notify: Callable[[str], None], *, blocking: bool = True) -> Iterator[bool]:
    """Hold the lock of `paths` inside the block; yield whether a lock could be had at all.

    With `blocking=False`, a lock held elsewhere raises `filelock.Timeout`.
    """
    lock = FileLock(str(paths.lock), **_NO_SOFT)
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if not blocking:
                raise
            notify(f"Waiting for {paths.name}: {_holder(paths)} is fetching it.")
            lock.acquire()
    except Timeout:
        raise
    except NotImplementedError:  # filelock < 3.20 on a filesystem without flock (ENOSYS)
        yield False
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL, errno.EROFS, errno.EACCES):
            raise
        yield False
        return
    try:
        with contextlib.suppress(OSError):
            paths.owner.write_text(f"{os.getpid()} {socket.gethostname()} {time.time():.3f}\n", encoding="utf8")
        yield True
    finally:
        lock.release()
