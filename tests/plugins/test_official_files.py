"""Every spec's default files with and without top are the ones its reference downloads.

The reference is called with `weights="imagenet"` over a small input tensor
(the smallest size it accepts: a cheap build) and its download is patched to
stop with what it asked for. Ours must name the same origin and hash, so the
store fetches and verifies the official file, and the same file name, so a
copy in Keras' cache is found (for NASNet that name is not the origin's:
`nasnet_large.h5` for `NASNet-large.h5`).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from typing import NamedTuple  # noqa: E402

import pytest  # noqa: E402

from registry_core import NO_TOP, TOP, registry  # noqa: E402

from .references import IS_TF_KERAS, REFERENCES  # noqa: E402

MODELS = [m for m in registry.list() if m in REFERENCES]


class Asked(NamedTuple):
    file_name: str
    origin: str
    hash: str | None


class _Stop(Exception):
    """Raised by the patched download, carrying what the reference asked for."""


def _asked_for(name: str, include_top: bool, monkeypatch: pytest.MonkeyPatch) -> Asked:
    import keras
    import tf_keras
    from keras.src.utils import file_utils

    def stop(fname, origin=None, *args, **kwargs):
        raise _Stop(Asked(fname, origin, kwargs.get("file_hash")))

    # keras.applications calls file_utils.get_file; keras_applications (ResNeXt) the
    # `utils` module it is given, tf_keras.utils.
    monkeypatch.setattr(file_utils, "get_file", stop)
    monkeypatch.setattr(tf_keras.utils, "get_file", stop)
    size = max(registry.info(name).min_size, 32)
    framework = tf_keras if name in IS_TF_KERAS else keras
    with pytest.raises(_Stop) as stopped:
        REFERENCES[name](weights="imagenet", include_top=include_top, input_tensor=framework.Input((size, size, 3)))
    return stopped.value.args[0]


@pytest.mark.parametrize("name", MODELS)
def test_default_files_are_the_references(name, monkeypatch):
    files = registry.info(name).weights["imagenet"]
    for variant, include_top in ((TOP, True), (NO_TOP, False)):
        wf = files[variant]
        assert Asked(wf.file_name, wf.origin, wf.hash) == _asked_for(name, include_top, monkeypatch), variant
        assert wf.hash_algorithm == ("md5" if wf.hash else None)
