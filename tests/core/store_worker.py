"""A separate process fetching one weight file: `store_worker.py NAME URL MD5 SIZE`.

Prints `ready <pid>` before fetching and `path <path>` after, each flushed,
so the parent can time faults and compare results.
"""

from __future__ import annotations

import os
import sys

from registry_core import WeightFile
from registry_core._store import WeightStore

name, url, md5, size = sys.argv[1:5]
print(f"ready {os.getpid()}", flush=True)
path = WeightStore().fetch(WeightFile(name, url, md5, "md5", size=int(size)))
print(f"path {path}", flush=True)
