"""Fixtures for the weight-store tests: a store with short retry settings and
`publish`, which serves bytes from the loopback server as a `WeightFile`."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

import pytest

from registry_core import WeightFile
from registry_core._download import DownloadPolicy
from registry_core._store import WeightStore

#: Retries in milliseconds and a budget of seconds, so fault tests stay fast.
FAST = DownloadPolicy(attempts=4, backoff=0.01, max_backoff=0.05, budget=3.0, connect_timeout=1.0, read_timeout=2.0)

Publish = Callable[..., WeightFile]


@pytest.fixture
def store(tmp_cache) -> WeightStore:
    return WeightStore(policy=FAST)


@pytest.fixture
def publish(weight_server, tmp_cache) -> Publish:
    """`publish(name, data=None, hashed=True, sized=True)`: serve `data` (random
    bytes by default) and return its `WeightFile` (md5 and size as published).
    It brings `tmp_cache`, so no test fetches into the user's real cache."""

    def make(name: str, data: bytes | None = None, *, hashed: bool = True, sized: bool = True) -> WeightFile:
        data = os.urandom(200_000) if data is None else data
        url = weight_server.serve(name, data)
        digest = hashlib.md5(data).hexdigest() if hashed else None
        return WeightFile(name, url, digest, "md5" if hashed else None, size=len(data) if sized else None)

    return make
