"""Finding image files, loading them with a data config, and the batched pipeline (no model)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from registry_core import DataConfig, InvalidArgumentError
from registry_core import _pipeline
from registry_core._images import find_images, load_image

from .conftest import PHOTOS


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_find_images_walks_directories_sorted_and_keeps_given_files_in_order(tmp_path):
    root = tmp_path / "root"
    b = _touch(root / "b.JPG")
    a = _touch(root / "sub" / "a.png")
    c = _touch(root / "c.webp")
    notes = _touch(root / "notes.txt")
    _touch(root / ".hidden.jpg")
    _touch(root / ".git" / "x.jpg")
    given = _touch(tmp_path / "given.data")  # a file named on the command line is read whatever its name
    missing = tmp_path / "missing.jpg"

    found = find_images([str(given), root, missing])

    assert found.files == [given, b, c, a, missing]
    assert found.skipped == [notes]


def _picture(tmp_path: Path, height: int, width: int, name: str = "p.png") -> tuple[Path, np.ndarray]:
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    path = tmp_path / name
    Image.fromarray(pixels).save(path)
    return path, pixels


@pytest.mark.parametrize("height, width", [(200, 400), (400, 200), (200, 200)])
def test_the_centre_is_cropped_after_the_shorter_side_is_resized(tmp_path, height, width):
    # The shorter side (200) is already size / crop_fraction, so nothing is resampled:
    # the result is exactly the centre 100x100 of the original.
    path, pixels = _picture(tmp_path, height, width)
    out = load_image(path, 100, DataConfig("bilinear", 0.5))
    top, left = (height - 100) // 2, (width - 100) // 2
    assert out.dtype == np.float32 and out.shape == (100, 100, 3)
    np.testing.assert_array_equal(out, pixels[top:top + 100, left:left + 100])


def test_a_square_size_is_the_standard_evaluation_transform(photos):
    """chelsea is 451x300: the shorter side to floor(224 / 0.875) = 256, the longer to
    int(256 * 451 / 300) = 384, then the centre 224x224 (torchvision's Resize + CenterCrop)."""
    with Image.open(photos / "chelsea.jpg") as img:
        resized = img.convert("RGB").resize((384, 256), Image.Resampling.BILINEAR)
    expected = np.asarray(resized.crop((80, 16, 304, 240)), np.float32)
    np.testing.assert_array_equal(load_image(photos / "chelsea.jpg", 224), expected)


def test_aspect_ratio_is_kept(tmp_path):
    """A centred square stays a square (Keras' load_img(target_size=...) would squash it)."""
    pixels = np.zeros((300, 600, 3), np.uint8)
    pixels[100:200, 250:350] = 255
    path = tmp_path / "square.png"
    Image.fromarray(pixels).save(path)
    out = load_image(path, 64, DataConfig("bilinear", 1.0))
    rows, cols = np.nonzero(out[..., 0] > 127)
    height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    assert abs(height - width) <= 1 and 20 <= height <= 23  # 100 px of a 300 px side, at 64


@pytest.mark.parametrize("name", sorted(PHOTOS.values()) + ["coffee_alpha.png"])
def test_every_photo_mode_becomes_rgb_of_the_requested_size(photos, name):
    out = load_image(photos / name, (96, 112))
    assert out.shape == (96, 112, 3) and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 255 and out.std() > 1


def test_palette_image_with_transparency(tmp_path):
    img = Image.new("P", (50, 40), 1)
    img.info["transparency"] = 0
    path = tmp_path / "palette.gif"
    img.save(path, transparency=0)
    assert load_image(path, 32).shape == (32, 32, 3)


def test_exif_orientation_turns_the_photo_upright(tmp_path):
    stored = np.zeros((100, 200, 3), np.uint8)
    stored[:50, :50] = 255  # top left as stored; a viewer turns it 90 degrees clockwise
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "sideways.jpg"
    Image.fromarray(stored).save(path, exif=exif)
    upright = load_image(path, (100, 50), DataConfig("bilinear", 1.0))
    assert upright.shape == (100, 50, 3)
    assert upright[:20, 30:].min() > 200 and upright[30:].max() < 50 and upright[:, :20].max() < 50


def test_interpolation_comes_from_the_data_config(photos):
    bilinear = load_image(photos / "chelsea.jpg", 64, DataConfig("bilinear"))
    bicubic = load_image(photos / "chelsea.jpg", 64, DataConfig("bicubic"))
    assert not np.array_equal(bilinear, bicubic)
    with pytest.raises(InvalidArgumentError, match="Unknown interpolation 'cubic'.*bicubic"):
        load_image(photos / "chelsea.jpg", 64, DataConfig("cubic"))


# -- the pipeline ---------------------------------------------------------------------------------
@pytest.fixture
def mixed(tmp_path, photos) -> list[Path]:
    """Good photos with a truncated image, a text file named .png, a directory and a missing file."""
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes((photos / "coffee.jpg").read_bytes()[:2000])
    text = _touch(tmp_path / "text.png", b"not an image")
    (tmp_path / "folder.jpg").mkdir()
    return [photos / "chelsea.jpg", truncated, photos / "camera.png", text, tmp_path / "folder.jpg",
            photos / "rocket.jpg", tmp_path / "missing.jpg", photos / "astronaut.png"]


@pytest.mark.parametrize("batch_size", [1, 2, 3, 16])
def test_results_keep_file_order_whatever_the_batches(mixed, batch_size):
    means = _pipeline.run(mixed, 48, DataConfig(), batch_size, lambda images: images.mean(axis=(1, 2, 3)))
    results = list(means)
    assert [r.file for r in results] == mixed
    for r in results:
        if r.error is None:
            assert r.output == pytest.approx(load_image(r.file, 48).mean(), rel=1e-5)
    errors = {r.file.name: r.error for r in results if r.error is not None}
    assert errors.pop("truncated.jpg").startswith("cannot decode the image (OSError: image file is truncated")
    assert errors == {
        "text.png": "not an image file (Pillow recognises no image format in it)",
        "folder.jpg": "a directory, not an image file",
        "missing.jpg": "no such file",
    }


def test_the_next_batch_is_decoded_while_the_current_one_is_predicted(photos, monkeypatch):
    decoded: list[tuple[str, float, int]] = []
    inferred: list[tuple[float, float, int]] = []
    load = _pipeline.load_image

    def recording_load(path, size, config):
        decoded.append((Path(path).name, time.monotonic(), threading.get_ident()))
        return load(path, size, config)

    def slow_infer(images):
        start = time.monotonic()
        time.sleep(0.3)
        inferred.append((start, time.monotonic(), threading.get_ident()))
        return images[:, 0, 0, 0]

    monkeypatch.setattr(_pipeline, "load_image", recording_load)
    files = [photos / n for n in ("chelsea.jpg", "coffee.jpg", "rocket.jpg", "camera.png")]
    assert len(list(_pipeline.run(files, 32, DataConfig(), 2, slow_infer))) == 4

    first_infer_start, first_infer_end, infer_thread = inferred[0]
    second_batch = [t for name, t, _ in decoded if name in ("rocket.jpg", "camera.png")]
    assert first_infer_start <= min(second_batch) and max(second_batch) < first_infer_end
    assert {thread for *_, thread in decoded} != {infer_thread}


def test_on_batch_counts_every_file(mixed):
    counts: list[int] = []
    list(_pipeline.run(mixed, 32, DataConfig(), 3, lambda x: x[:, 0, 0, 0], on_batch=counts.append))
    assert counts == [3, 3, 2]
