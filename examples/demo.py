"""Classify sample photos with a pretrained model: what `make demo` runs.

    python examples/demo.py [MODEL] [registry predict options...]

MODEL defaults to mobilenet_v2 (a 14 MB download). The photos are
scikit-image's sample images (a cat, a coffee cup, an astronaut, ...), which
ship with the package. Weights come through the registry's store: from the
cache, `REGISTRY_WEIGHTS_MIRROR`, or the official URL; with none reachable
the store's message says how to use a mirror or a pre-fetched cache.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

PHOTOS = ("chelsea", "coffee", "astronaut", "rocket", "cat")


def write_photos(directory: Path) -> list[Path]:
    """Save the sample photos that are present in this scikit-image as JPEG files."""
    from PIL import Image
    from skimage import data

    written = []
    for name in PHOTOS:
        try:
            pixels = getattr(data, name)()
        except Exception:  # a photo this scikit-image version must download is skipped
            continue
        path = directory / f"{name}.jpg"
        Image.fromarray(pixels).convert("RGB").save(path, quality=95)
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    from registry_core._cli import main as registry

    model = argv[0] if argv and not argv[0].startswith("-") else "mobilenet_v2"
    options = argv[1:] if argv and not argv[0].startswith("-") else argv
    with tempfile.TemporaryDirectory(prefix="registry-demo-") as tmp:
        photos = write_photos(Path(tmp))
        print(f"Classifying {len(photos)} photos with {model}:", flush=True)
        return registry(["predict", model, *map(str, photos), "--top", "3", *options])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
