"""Images to model input: find the files, decode, resize with the spec's data config, crop.

Keras' `load_img(target_size=...)` squashes the whole image with
nearest-neighbour filtering. The published accuracies come from the standard
evaluation transform instead: the shorter side resized to
`floor(size / crop_fraction)` with a smooth filter, then the centre `size`
cropped (torchvision's `Resize` + `CenterCrop`, timm's eval transform). This
does that with Pillow, so no framework is needed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ._errors import InvalidArgumentError
from ._spec import DataConfig

if TYPE_CHECKING:
    import numpy as np

#: What a directory walk takes as images (Pillow reads each of these formats).
IMAGE_SUFFIXES = frozenset({".bmp", ".gif", ".jpe", ".jpeg", ".jpg", ".pbm", ".pgm", ".png", ".pnm",
                            ".ppm", ".tif", ".tiff", ".webp"})
_FILTERS = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5}


@dataclass(frozen=True)
class Inputs:
    """The files to read, in order, and the files a directory walk passed over.

    `files` holds every path given as a file (existing or not: reading it
    reports the problem) and each image file found in the given directories.
    `skipped` holds the other files found there (no image suffix); hidden
    files and directories are not looked at.
    """

    files: list[Path]
    skipped: list[Path]


def find_images(paths: Iterable[str | os.PathLike[str]]) -> Inputs:
    """The given paths in order: a file as it is, a directory as the image files under it, sorted."""
    files: list[Path] = []
    skipped: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            files.append(path)
            continue
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                if name.startswith("."):
                    continue
                found = Path(root) / name
                (files if found.suffix.lower() in IMAGE_SUFFIXES else skipped).append(found)
    return Inputs(files, skipped)


def resize_filter(config: DataConfig) -> int:
    """Pillow's resampling constant for `config.interpolation`."""
    try:
        return _FILTERS[config.interpolation]
    except KeyError:
        raise InvalidArgumentError(
            f"Unknown interpolation {config.interpolation!r} in the model's data config. "
            f"Allowed: {', '.join(sorted(_FILTERS))}. Fix the plugin's ModelSpec(data_config=...)."
        ) from None


def load_image(path: str | os.PathLike[str], size: int | tuple[int, int],
               config: DataConfig = DataConfig()) -> np.ndarray:
    """`path` as an RGB `float32` array of shape (height, width, 3), values 0..255.

    `size` is an int (square) or `(height, width)`. The image is turned
    upright by its EXIF orientation, resized with `config.interpolation`
    (aspect ratio kept) to just cover `size / config.crop_fraction`, which
    for a square `size` puts its shorter side there, then the centre `size`
    is cropped. Pillow's errors (`OSError` and its subclasses,
    `Image.DecompressionBombError`) pass through.
    """
    import numpy as np  # here, not at import: `registry list` never needs numpy
    from PIL import Image, ImageOps

    resample = resize_filter(config)
    height, width = (size, size) if isinstance(size, int) else size
    with Image.open(path) as img:
        img = ImageOps.exif_transpose(img)
        if img.mode == "P" and "transparency" in img.info:
            img = img.convert("RGBA")  # Pillow warns when a palette's transparency is dropped directly
        img = img.convert("RGB")
    # The smallest size keeping the aspect ratio that covers `size / crop_fraction` (for a square
    # `size`: the shorter side resized to it), rounded down as torchvision's Resize does.
    box_h = max(height, math.floor(height / config.crop_fraction))
    box_w = max(width, math.floor(width / config.crop_fraction))
    if box_h * img.width >= box_w * img.height:
        new = (max(width, int(img.width * box_h / img.height)), box_h)
    else:
        new = (box_w, max(height, int(img.height * box_w / img.width)))
    img = img.resize(new, resample=resample)
    left = int(round((img.width - width) / 2.0))
    top = int(round((img.height - height) / 2.0))
    return np.asarray(img.crop((left, top, left + width, top + height)), dtype=np.float32)
