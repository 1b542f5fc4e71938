"""The scripts in `examples/`, each run as its `main(argv)` on real photos, weights from loopback."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from registry_core import load_image

from .conftest import MODEL, PHOTOS, SIZE

pytestmark = pytest.mark.xdist_group("e2e")
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SMALL = ["--model", MODEL, "--size", str(SIZE)]


def run_example(name: str, *argv: str) -> int:
    return runpy.run_path(str(EXAMPLES / f"{name}.py"))["main"](list(argv))


def test_classify_folder(mirror, photos, capsys):
    assert run_example("classify_folder", str(photos), *SMALL) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.partition(": ")[0] for line in lines] == sorted(p.name for p in photos.iterdir())
    for line in lines:
        assert re.fullmatch(r".+: (class_\d+ \(\d\.\d\d\)(, |$)){3}", line)


def test_extract_features_finds_the_same_photo(mirror, photos, tmp_path, capsys):
    out_file = tmp_path / "features.npz"
    assert run_example("extract_features", str(photos), *SMALL, "--stage", "stride16", "--out", str(out_file)) == 0
    out = capsys.readouterr().out
    count = len(PHOTOS) + 1
    assert f"{count} photos, 512 features each" in out
    # coffee_alpha.png is coffee's pixels with an alpha channel, which loading drops.
    assert "coffee.jpg: most like coffee_alpha.png" in out and "coffee_alpha.png: most like coffee.jpg" in out
    with np.load(out_file) as data:
        assert data["features"].shape == (count, 512) and len(data["files"]) == count


@pytest.fixture
def labelled(tmp_path: Path, photos: Path) -> Path:
    """Two classes of four random crops each, from two of the photos."""
    rng = np.random.default_rng(0)
    root = tmp_path / "labelled"
    for label, photo in (("cat", "chelsea.jpg"), ("coffee", "coffee.jpg")):
        (root / label).mkdir(parents=True)
        with Image.open(photos / photo) as img:
            for i in range(4):
                left, top = rng.integers(0, 100, 2)
                img.crop((left, top, left + 200, top + 200)).save(root / label / f"{i}.jpg")
    return root


def test_fine_tune_on_a_folder(mirror, labelled, photos, tmp_path, capsys):
    import keras

    saved = tmp_path / "classifier.keras"
    assert run_example("fine_tune", str(labelled), *SMALL, "--epochs", "1", "--fine-tune-epochs", "1",
                       "--unfreeze", "5", "--batch-size", "4", "--out", str(saved)) == 0
    assert "classes: cat, coffee; validation accuracy" in capsys.readouterr().out

    model = keras.models.load_model(saved)
    scores = model.predict(load_image(photos / "chelsea.jpg", SIZE)[None], verbose=0)  # raw 0..255 RGB
    assert scores.shape == (1, 2) and scores.sum() == pytest.approx(1, abs=1e-5)
