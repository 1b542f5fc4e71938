"""Images to model input: decode, resize with the spec's data config, centre crop.

Keras' `load_img(target_size=...)` squashes the whole image with
nearest-neighbour; models were evaluated on a resize of the shorter side to
`size / crop_fraction` and a centre crop, with bilinear or bicubic filtering,
which is what this does (with Pillow, so no framework is needed).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ._errors import InvalidArgumentError
from ._spec import DataConfig

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm"})
_FILTERS = {"nearest": 0, "bilinear": 2, "bicubic": 3, "lanczos": 1, "box": 4, "hamming": 5}


def iter_image_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Each given file, and each image file under each given directory, sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if Path(name).suffix.lower() in IMAGE_SUFFIXES:
                        yield Path(root) / name
        else:
            yield path


def load_image(path: str | os.PathLike[str], size: int | tuple[int, int],
               config: DataConfig = DataConfig()) -> np.ndarray:
    """An RGB `float32` array (height, width, 3), values 0..255, for `path`.

    The shorter side is resized to `size / crop_fraction` with the configured
    filter, then the centre `size` is cropped.
    """
    from PIL import Image

    try:
        resample = _FILTERS[config.interpolation]
    except KeyError:
        raise InvalidArgumentError(
            f"Unknown interpolation {config.interpolation!r}; use one of {sorted(_FILTERS)}."
        ) from None
    height, width = (size, size) if isinstance(size, int) else size
    with Image.open(path) as img:
        img = img.convert("RGB")
        scale = max(height, width) / config.crop_fraction / min(img.size)
        resized = (max(width, round(img.width * scale)), max(height, round(img.height * scale)))
        img = img.resize(resized, resample=resample)
        left = (img.width - width) // 2
        top = (img.height - height) // 2
        img = img.crop((left, top, left + width, top + height))
        return np.asarray(img, dtype=np.float32)
