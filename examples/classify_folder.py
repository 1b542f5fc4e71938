"""Classify every photo in a folder with the Python API: what `registry predict FOLDER` does.

    python examples/classify_folder.py FOLDER [--model mobilenet_v2] [--size N] [--top 3]

Each photo is loaded the way the model was evaluated (`load_image` with the
model's data config: aspect ratio kept, smooth resize, centre crop, not
Keras' squashing nearest-neighbour resize), preprocessed in the model's own
convention, and the whole folder is predicted in batches.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from registry_core import decode_predictions, load_image, registry

SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", default="mobilenet_v2", help="a name from `registry list`")
    parser.add_argument("--size", type=int, help="input size (default: the model's)")
    parser.add_argument("--top", type=int, default=3)
    args = parser.parse_args(argv)

    spec = registry.info(args.model)
    size = args.size or spec.default_size
    files = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in SUFFIXES)
    if not files:
        parser.error(f"no photos in {args.folder}")
    images = np.stack([load_image(f, size, spec.data_config) for f in files])  # RGB, 0..255

    model = registry.get(args.model)(weights="imagenet", input_shape=(size, size, 3))
    scores = model.predict(registry.preprocess_input(args.model, images), batch_size=16, verbose=0)
    for file, best in zip(files, decode_predictions(scores, top=args.top)):
        print(f"{file.name}: " + ", ".join(f"{label} ({score:.2f})" for _, label, score in best))
    return 0


if __name__ == "__main__":
    sys.exit(main())
