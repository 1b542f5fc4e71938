"""Fixtures for the end-to-end tests: real photos, generated weights, a loopback mirror.

- `photos` (session): real photos from scikit-image's `data` module written
  as files (JPEG, PNG, greyscale, with alpha), never committed.
- `generated` (session): MobileNet (alpha 1.0, 128x128) weight files in the
  official legacy `.h5` layout, written by the tf_keras reference, under
  their official names; and a stand-in class index of 1000 made-up classes.
- `mirror`: an empty cache, those files served from the loopback server,
  `REGISTRY_WEIGHTS_MIRROR` pointing there, and the class index's published
  hash swapped for the stand-in's (the real index is not ours to ship).
  MobileNet's files have no published hash, so the store pins them on first
  use, as it would the official ones.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from registry_core import WeightFile  # noqa: E402
from registry_core import _decode  # noqa: E402

#: The model every test here runs: small, quick to build, with a grid file at this size.
MODEL = "mobilenet"
SIZE = 128
TOP_FILE = "mobilenet_1_0_128_tf.h5"
NO_TOP_FILE = "mobilenet_1_0_128_tf_no_top.h5"
#: scikit-image sample photos bundled with the package (no download), and how each is written.
PHOTOS = {"chelsea": "chelsea.jpg", "coffee": "coffee.jpg", "astronaut": "astronaut.png",
          "rocket": "rocket.jpg", "camera": "camera.png"}


@pytest.fixture(scope="session")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from PIL import Image
    from skimage import data

    folder = tmp_path_factory.mktemp("photos")
    for name, file_name in PHOTOS.items():
        Image.fromarray(getattr(data, name)()).save(folder / file_name)  # camera is greyscale (mode L)
    rgba = Image.fromarray(data.coffee()).convert("RGBA")
    rgba.putalpha(128)
    rgba.save(folder / "coffee_alpha.png")
    return folder


def _write_legacy(path: Path, include_top: bool) -> None:
    """tf_keras' MobileNet, its batch-norm variances shrunk so activations stay alive through
    the depth (with the initial ones every image gets the same uniform scores)."""
    from tests.plugins.references import LEGACY_WRITERS

    model = LEGACY_WRITERS[MODEL](weights=None, include_top=include_top, input_shape=(SIZE, SIZE, 3))
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if layer.name.endswith("_bn"):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([gamma, beta, mean, rng.uniform(0.005, 0.05, variance.shape).astype("float32")])
    model.save_weights(str(path))


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("weights")
    _write_legacy(folder / TOP_FILE, include_top=True)
    _write_legacy(folder / NO_TOP_FILE, include_top=False)
    index = folder / _decode.CLASS_INDEX.file_name
    index.write_text(json.dumps({str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}))
    return {p.name: p for p in (folder / TOP_FILE, folder / NO_TOP_FILE, index)}


@pytest.fixture
def mirror(weight_server, tmp_cache: Path, generated: dict[str, Path], monkeypatch: pytest.MonkeyPatch):
    for name, path in generated.items():
        weight_server.serve(name, path)
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", weight_server.base)
    index = generated[_decode.CLASS_INDEX.file_name]
    monkeypatch.setattr(_decode, "CLASS_INDEX", WeightFile(
        index.name, weight_server.url(index.name), hashlib.md5(index.read_bytes()).hexdigest(), "md5"))
    return weight_server
