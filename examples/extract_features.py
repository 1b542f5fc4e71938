"""Feature vectors for a folder of photos, and each photo's most similar one.

    python examples/extract_features.py FOLDER [--model mobilenet_v2] [--size N]
                                        [--stage STAGE] [--out features.npz]

Without `--stage` the vector is the model's output without its top, averaged
over the image (`pooling="avg"`); with it, the output of that feature stage
(`registry info MODEL` lists them, e.g. ResNet's conv2..conv5), averaged the
same way. Similar photos have vectors pointing the same way (cosine
similarity), which is what image search and deduplication build on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from registry_core import load_image, registry

SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"}


def feature_model(name: str, size: int, stage: str | None):
    """The model without its top, pooled to one vector per image; cut at `stage` if given."""
    import keras

    build = registry.get(name)
    if stage is None:
        return build(include_top=False, weights="imagenet", input_shape=(size, size, 3), pooling="avg")
    base = build(include_top=False, weights="imagenet", input_shape=(size, size, 3))
    maps = base.get_layer(registry.info(name).feature_stages[stage]).output
    return keras.Model(base.input, keras.layers.GlobalAveragePooling2D()(maps))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", default="mobilenet_v2")
    parser.add_argument("--size", type=int, help="input size (default: the model's)")
    parser.add_argument("--stage", help="a feature stage of the model (default: the last one, pooled)")
    parser.add_argument("--out", type=Path, help="also save the vectors (.npz: features, files)")
    args = parser.parse_args(argv)

    spec = registry.info(args.model)
    if args.stage is not None and args.stage not in spec.feature_stages:
        parser.error(f"{args.model} has no stage {args.stage!r}; its stages: {', '.join(spec.feature_stages)}")
    size = args.size or spec.default_size
    files = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in SUFFIXES)
    if len(files) < 2:
        parser.error(f"need at least two photos in {args.folder} to compare")
    images = np.stack([load_image(f, size, spec.data_config) for f in files])

    model = feature_model(args.model, size, args.stage)
    features = model.predict(registry.preprocess_input(args.model, images), batch_size=16, verbose=0)
    print(f"{len(files)} photos, {features.shape[1]} features each")

    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    for file, row in zip(files, similarity):
        nearest = int(np.argmax(row))
        print(f"{file.name}: most like {files[nearest].name} (cosine {row[nearest]:.3f})")
    if args.out is not None:
        np.savez(args.out, features=features, files=np.array([str(f) for f in files]))
        print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
