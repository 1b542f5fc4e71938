"""`registry predict` over a directory of 64 photos against a naive Keras loop.

The naive loop is what the seeds' example does for each image: `load_img`
with `target_size`, `img_to_array`, `preprocess_input`, `model.predict` of one
image. Ours is `registry predict`'s path: batches of 16, the next batch
decoded while the current one runs. Same model (MobileNetV2), same photos.

- In one process, each side with its model already built: a first pass over
  the photos (it includes tracing, as every command run pays it) and a
  second, warm pass. Ours and the naive loop alternate; medians of the runs.
- As whole commands, import and build included: `python -m registry_core
  predict DIR --json` against a script running the naive loop. Their weights
  are a generated MobileNetV2 file served by a `file://` mirror; decoding
  needs the real class index, so this measure runs only where
  `REGISTRY_SHARED_WEIGHTS` names the folder of official files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from registry_core import WeightFile, registry

MODEL = "mobilenet_v2"
WEIGHTS = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5"
PHOTOS = 64
BATCH = 16

NAIVE = """
import sys
import numpy as np
from pathlib import Path
from keras.applications.mobilenet_v2 import MobileNetV2, preprocess_input
from keras.utils import img_to_array, load_img
model = MobileNetV2(weights=sys.argv[2])
for path in sorted(Path(sys.argv[1]).iterdir()):
    x = preprocess_input(img_to_array(load_img(path, target_size=(224, 224)))[None])
    scores = model.predict(x, verbose=0)[0]
    best = np.argsort(-scores)[:5]
    print(path, [(int(i), float(scores[i])) for i in best])
"""


def write_photos(folder: Path, count: int = PHOTOS) -> list[Path]:
    """`count` JPEGs cut from scikit-image's photos: random crops, flips and sizes (300-800 px)."""
    from PIL import Image
    from skimage import data

    sources = [data.chelsea(), data.coffee(), data.astronaut(), data.rocket(), data.stereo_motorcycle()[0],
               data.hubble_deep_field(), data.immunohistochemistry(), data.retina()]
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        img = Image.fromarray(sources[i % len(sources)])
        w, h = img.size
        cw, ch = int(w * rng.uniform(0.6, 1)), int(h * rng.uniform(0.6, 1))
        left, top = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        img = img.crop((left, top, left + cw, top + ch))
        if rng.random() < 0.5:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        scale = rng.uniform(300, 800) / max(img.size)
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.BILINEAR)
        path = folder / f"photo_{i:02d}.jpg"
        img.save(path, quality=90)
        paths.append(path)
    return paths


def _stand_in_class_index(folder: Path) -> None:
    """Decoding costs the same with any index: point `decode_predictions` at a made-up one."""
    from registry_core import _decode

    path = folder / _decode.CLASS_INDEX.file_name
    path.write_text(json.dumps({str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}))
    _decode.CLASS_INDEX = WeightFile(path.name, path.resolve().as_uri(),
                                     hashlib.md5(path.read_bytes()).hexdigest(), "md5")


def _ours_pass(model: Any, files: list[Path]) -> None:
    from registry_core import decode_predictions
    from registry_core._cli_predict import _infer
    from registry_core._pipeline import run

    spec = registry.info(MODEL)
    infer = _infer(model, spec)
    for result in run(files, spec.default_size, spec.data_config, BATCH,
                      lambda images: decode_predictions(infer(images), top=5)):
        assert result.error is None, result.error


def _naive_pass(model: Any, files: list[Path]) -> None:
    from keras.applications.mobilenet_v2 import preprocess_input
    from keras.utils import img_to_array, load_img

    from registry_core import decode_predictions

    for path in files:
        x = preprocess_input(img_to_array(load_img(path, target_size=(224, 224)))[None])
        decode_predictions(model.predict(x, verbose=0), top=5)


def in_process(work: Path, runs: int) -> dict[str, Any]:
    """Images per second over the photos, first pass and warm pass, each side with its model built."""
    import keras

    files = write_photos(work / "photos")
    _stand_in_class_index(work)
    passes: dict[str, list[float]] = {"ours first": [], "naive first": [], "ours warm": [], "naive warm": []}
    for _ in range(runs):
        for side, build, one_pass in (
            ("ours", lambda: registry.get(MODEL)(weights=None), _ours_pass),
            ("naive", lambda: keras.applications.MobileNetV2(weights=None), _naive_pass),
        ):
            keras.backend.clear_session()
            model = build()
            for when in ("first", "warm"):
                start = time.perf_counter()
                one_pass(model, files)
                passes[f"{side} {when}"].append(len(files) / (time.perf_counter() - start))
    return {key: statistics.median(values) for key, values in passes.items()} | {"photos": len(files),
                                                                                  "runs": runs}


def _legacy_weights(path: Path) -> None:
    """A MobileNetV2 file in the official legacy layout, written by tf_keras in a child process."""
    code = ("import sys, tf_keras; tf_keras.applications.MobileNetV2(weights=None)"
            ".save_weights(sys.argv[1])")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True)


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def commands(work: Path, runs: int) -> dict[str, Any] | None:
    """Wall seconds of the whole commands (median), or None without the official class index."""
    shared = os.environ.get("REGISTRY_SHARED_WEIGHTS")
    if not shared:
        return None
    mirror = work / "mirror"
    mirror.mkdir()
    shutil.copy(Path(shared) / "imagenet_class_index.json", mirror)
    _legacy_weights(mirror / WEIGHTS)
    photos = work / "photos"
    if not photos.is_dir():
        write_photos(photos)
    env = {**os.environ, "REGISTRY_WEIGHTS_MIRROR": mirror.as_uri(), "REGISTRY_CACHE_DIR": str(work / "cache"),
           "REGISTRY_PROGRESS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}
    ours = [sys.executable, "-m", "registry_core", "predict", MODEL, str(photos), "--json"]
    naive = [sys.executable, "-c", NAIVE, str(photos), str(mirror / WEIGHTS)]
    _wall(ours, env)  # fills the cache and warms the disk and bytecode caches
    _wall(naive, env)
    walls: dict[str, list[float]] = {"ours": [], "naive": []}
    for _ in range(runs):
        walls["ours"].append(_wall(ours, env))
        walls["naive"].append(_wall(naive, env))
    return {key: statistics.median(values) for key, values in walls.items()} | {"runs": runs}
