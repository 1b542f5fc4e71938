"""Classify sample photos with a pretrained model: what `make demo` runs.

    python examples/demo.py [MODEL] [registry predict options ...]

MODEL defaults to mobilenet_v2 (a 14 MB download). The photos are
scikit-image's sample photos (a cat, a cup of coffee, an astronaut, a
rocket), which ship inside that package (the `examples` extra). This runs
`registry predict` on them: the weight file and the class index come from the
cache, `REGISTRY_WEIGHTS_MIRROR` or the official URL, and are fetched before
keras is imported, so with none of them reachable the store's message (how to
use a mirror or a pre-fetched cache) comes within seconds.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

#: scikit-image's `data` functions returning the photos, and what each shows.
PHOTOS = {"chelsea": "a tabby cat", "coffee": "a cup of coffee", "astronaut": "an astronaut",
          "rocket": "a rocket on its launch pad"}


def write_photos(directory: Path) -> list[Path]:
    """Save the sample photos as JPEG files in `directory`."""
    from PIL import Image
    from skimage import data

    paths = []
    for name in PHOTOS:
        path = directory / f"{name}.jpg"
        Image.fromarray(getattr(data, name)()).save(path, quality=95)
        paths.append(path)
    return paths


def main(argv: list[str]) -> int:
    from registry_core._cli import main as registry  # the `registry` command's entry point

    try:
        import skimage  # noqa: F401
    except ImportError:
        print("The demo's photos come from scikit-image: pip install 'registry-core[examples]'.",
              file=sys.stderr)
        return 2
    model, options = (argv[0], argv[1:]) if argv and not argv[0].startswith("-") else ("mobilenet_v2", argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    here = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="registry-demo-") as tmp:
        photos = write_photos(Path(tmp))
        print(f"Classifying {len(photos)} photos from scikit-image with {model}: "
              f"{', '.join(PHOTOS.values())}.", flush=True)
        os.chdir(tmp)  # so the output names the photos, not a temporary directory
        try:
            return registry(["predict", model, *(p.name for p in photos), "--top", "3", *options])
        finally:
            os.chdir(here)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
