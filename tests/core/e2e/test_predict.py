"""`registry predict` and `registry extract` on real photos, with generated weights from loopback.

The weights are random, so the tests check structure, shapes, formats and
that the numbers are the model's own, not which classes come out.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from registry_core import DataConfig, Registry, hookimpl, load_image, preprocess_input, registry
from registry_core._cli import main
from tests.plugins.conftest import served_spec

from .conftest import MODEL, NO_TOP_FILE, SIZE, TOP_FILE

pytestmark = pytest.mark.xdist_group("e2e")
SMALL = ["--input-size", str(SIZE)]


def cli(capsys: pytest.CaptureFixture[str], *argv: str, reg: Registry | None = None) -> tuple[int, str, str]:
    try:
        code = main(list(argv), reg)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture
def folder(tmp_path: Path, photos: Path) -> Path:
    """Photos, a truncated JPEG, a text file named .png, and notes without an image suffix."""
    folder = tmp_path / "in"
    shutil.copytree(photos, folder)
    (folder / "broken.jpg").write_bytes((photos / "coffee.jpg").read_bytes()[:3000])
    (folder / "fake.png").write_text("not an image")
    (folder / "notes.txt").write_text("not looked at")
    return folder


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix != ".txt")


# -- predict ------------------------------------------------------------------------------------------
def test_predict_json_lines(mirror, folder, capsys, monkeypatch):
    monkeypatch.setenv("REGISTRY_PROGRESS", "1")  # progress wanted, but stderr is no terminal
    missing = folder.parent / "missing.jpg"
    code, out, err = cli(capsys, "predict", MODEL, str(folder), str(missing), *SMALL,
                         "--json", "--top", "3", "--batch-size", "3")
    records = [json.loads(line) for line in out.splitlines()]

    assert code == 1
    assert [r["file"] for r in records] == [str(p) for p in _images(folder)] + [str(missing)]
    errors = {Path(r["file"]).name: r["error"] for r in records if "error" in r}
    assert set(errors) == {"broken.jpg", "fake.png", "missing.jpg"}
    assert errors["fake.png"].startswith("not an image file") and errors["missing.jpg"] == "no such file"
    good = [r for r in records if "error" not in r]
    assert len(good) == 6
    for r in good:
        assert set(r) == {"file", "predictions"} and len(r["predictions"]) == 3
        for p in r["predictions"]:
            assert set(p) == {"wnid", "label", "score"} and re.fullmatch(r"n\d{8}", p["wnid"])
            assert p["label"] == f"class_{int(p['wnid'][1:])}" and isinstance(p["score"], float)
        scores = [p["score"] for p in r["predictions"]]
        assert scores == sorted(scores, reverse=True) and 0 < scores[-1] <= scores[0] < 1
    assert len({r["predictions"][0]["score"] for r in good}) == len(good)  # each photo its own scores
    assert "notes.txt" in err and "3 of 9 file(s) could not be read" in err
    assert "img/s" not in err and "\r" not in err  # three batches, but no bar


def test_predict_text_with_a_progress_bar_on_a_terminal(mirror, photos, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setenv("REGISTRY_PROGRESS", "1")
    files = [str(photos / n) for n in ("chelsea.jpg", "camera.png", "rocket.jpg")]
    code, out, err = cli(capsys, "predict", MODEL, *files, *SMALL, "--top", "2", "--batch-size", "2")
    assert code == 0
    lines = out.splitlines()
    assert [line.partition(": ")[0] for line in lines] == files
    for line in lines:
        assert re.fullmatch(r".+: class_\d+ \d\.\d{3}, class_\d+ \d\.\d{3}", line)
    assert re.search(r"\b[0-3]/3 \[.*img/s", err)  # tqdm's bar, on stderr only


def test_predict_with_nothing_readable_builds_nothing(mirror, tmp_path, capsys):
    missing = [str(tmp_path / "a.jpg"), str(tmp_path / "b.png")]
    code, out, err = cli(capsys, "predict", MODEL, *missing, "--json")
    assert code == 1
    assert [json.loads(line) for line in out.splitlines()] == [{"file": f, "error": "no such file"}
                                                                for f in missing]
    assert "none of the inputs could be read" in err
    assert mirror.count(TOP_FILE) == 0


class _OnePlugin:
    __name__ = "served"

    def __init__(self, spec):
        self.spec = spec

    @hookimpl
    def registry_register_models(self, register):
        register(self.spec)


def test_predict_fetches_through_the_given_registry(mirror, generated, photos, capsys, monkeypatch):
    """Weights come from the registry's own spec (here: loopback, verified by md5), not a mirror."""
    monkeypatch.delenv("REGISTRY_WEIGHTS_MIRROR")
    spec = registry.info(MODEL)
    variant = next(v for v, wf in spec.weights["imagenet"].items()
                   if wf.file_name == TOP_FILE and v.startswith("alpha_"))
    reg = Registry(plugins=[_OnePlugin(served_spec(spec, mirror, {variant: generated[TOP_FILE]}))],
                   entry_points=False)
    code, out, _ = cli(capsys, "predict", MODEL, str(photos / "coffee.jpg"), *SMALL, "--json", reg=reg)
    assert code == 0 and len(json.loads(out)["predictions"]) == 5
    assert mirror.count(TOP_FILE) == 1


# -- extract ------------------------------------------------------------------------------------------
def test_extract_pooled_features_are_the_models(mirror, folder, tmp_path, capsys):
    out_file = tmp_path / "features.npz"
    code, _, err = cli(capsys, "extract", MODEL, str(folder), *SMALL, "--out", str(out_file))
    assert code == 1 and "broken.jpg" in err and "fake.png" in err
    with np.load(out_file, allow_pickle=False) as data:
        features, files = data["features"], data["files"]
    readable = [p for p in _images(folder) if p.name not in ("broken.jpg", "fake.png")]
    assert list(files) == [str(p) for p in readable]
    assert features.shape == (len(readable), 1024) and features.dtype == np.float32

    model = registry.get(MODEL)(include_top=False, pooling="avg", input_shape=(SIZE, SIZE, 3))
    x = np.stack([load_image(p, SIZE) for p in readable])
    expected = model.predict(preprocess_input(x, mode="tf"), verbose=0)
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-5)
    assert mirror.count(NO_TOP_FILE) == 1


def test_images_are_loaded_with_the_specs_data_config(mirror, photos, tmp_path, capsys):
    """A family's own interpolation and crop reach the model (here: nearest, no crop)."""
    config = DataConfig("nearest", 1.0)
    spec = dataclasses.replace(registry.info(MODEL), data_config=config)
    reg = Registry(plugins=[_OnePlugin(spec)], entry_points=False)
    photo = photos / "chelsea.jpg"
    out_file = tmp_path / "f.npz"
    code, _, err = cli(capsys, "extract", MODEL, str(photo), *SMALL, "--out", str(out_file), reg=reg)
    assert code == 0, err

    model = registry.get(MODEL)(include_top=False, pooling="avg", input_shape=(SIZE, SIZE, 3))
    features = {c: model.predict(preprocess_input(load_image(photo, SIZE, c)[None], mode="tf"), verbose=0)
                for c in (config, DataConfig())}
    with np.load(out_file) as data:
        np.testing.assert_allclose(data["features"], features[config], rtol=1e-5, atol=1e-5)
        assert not np.allclose(data["features"], features[DataConfig()], rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("where, layer, include_top, reduce", [
    (["--stage", "stride16", "--pooling", "max"], "conv_pw_11_relu", False, np.max),
    (["--layer", "conv_preds"], "conv_preds", True, np.mean),  # a layer of the top: the model is built with it
])
def test_extract_at_a_stage_or_layer(mirror, photos, tmp_path, capsys, where, layer, include_top, reduce):
    import keras

    out_file = tmp_path / "f.npz"
    files = [str(photos / "chelsea.jpg"), str(photos / "astronaut.png")]
    code, _, err = cli(capsys, "extract", MODEL, *files, *SMALL, "--out", str(out_file), *where)
    assert code == 0, err
    model = registry.get(MODEL)(include_top=include_top, input_shape=(SIZE, SIZE, 3))
    x = preprocess_input(np.stack([load_image(f, SIZE) for f in files]), mode="tf")
    maps = keras.Model(model.inputs, model.get_layer(layer).output).predict(x, verbose=0)
    with np.load(out_file, allow_pickle=False) as data:
        assert list(data["files"]) == files
        np.testing.assert_allclose(data["features"], reduce(maps, axis=(1, 2)), rtol=1e-5, atol=1e-5)
    fetched = (TOP_FILE, NO_TOP_FILE) if include_top else (NO_TOP_FILE, TOP_FILE)
    assert (mirror.count(fetched[0]), mirror.count(fetched[1])) == (1, 0)  # only the file the layer needs
    assert not list(tmp_path.glob(".f.npz.*"))  # the temporary file was renamed into place
    probe = tmp_path / "probe"
    probe.write_bytes(b"")
    assert out_file.stat().st_mode == probe.stat().st_mode  # the permissions any new file gets


@pytest.mark.parametrize("options, layer, message", [
    (SMALL, "conv_pw_13_rel", "has no layer 'conv_pw_13_rel'. Did you mean 'conv_pw_13_relu'"),
    (["--alpha", "0.25"], "nope", "has no layer 'nope'. Its stages: stride2=conv_pw_1_relu"),
])
def test_extract_unknown_layer_is_refused_before_any_download(mirror, generated, photos, tmp_path, capsys,
                                                              options, layer, message):
    code, _, err = cli(capsys, "extract", MODEL, str(photos / "coffee.jpg"), *options,
                       "--out", str(tmp_path / "f.npz"), "--layer", layer)
    assert code == 2 and message in err
    assert not (tmp_path / "f.npz").exists()
    asked = [*generated, "mobilenet_2_5_224_tf.h5", "mobilenet_2_5_224_tf_no_top.h5"]
    assert sum(mirror.count(name) for name in asked) == 0


def test_alpha_for_a_model_without_one_is_a_usage_error(mirror, photos, capsys):
    code, out, err = cli(capsys, "predict", "vgg16", str(photos / "coffee.jpg"), "--alpha", "0.5")
    assert code == 2 and out == ""
    assert "vgg16 has no width multiplier. Received: --alpha 0.5" in err


@pytest.mark.parametrize("argv, facts", [
    (["predict", "--alpha", "0.25", "--input-size", "100"],
     "MobileNet: with ImageNet weights and `include_top=True` at alpha 0.25 the input must be one of "
     "128x128, 160x160, 192x192, 224x224."),
    (["extract", "--input-size", "16", "--out", "{tmp}/f.npz"],
     "mobilenet: input height and width must be at least 32."),
])
def test_shape_errors_speak_of_input_size(mirror, photos, tmp_path, capsys, argv, facts):
    command, *options = argv
    size = options[options.index("--input-size") + 1]
    code, out, err = cli(capsys, command, MODEL, str(photos / "coffee.jpg"),
                         *(o.format(tmp=tmp_path) for o in options))
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == (  # after the family's warning, if any, about the file it picked
        f"registry {command}: {facts} Received: --input-size {size}. Give an --input-size that this allows, "
        "or leave --input-size out for the model's default, 224 (images are resized to it).")


# -- usage errors: refused before keras is needed ------------------------------------------------------
@pytest.mark.parametrize("argv, message", [
    (["predict", "no_such_model", "{photo}"], "Unknown model 'no_such_model'"),
    (["predict", MODEL, "{photo}", "--top", "0"], "--top: must be a positive integer"),
    (["predict", MODEL, "{photo}", "--top", "1001"], "--top: must be at most 1000"),
    (["predict", MODEL, "{photo}", "--batch-size", "x"], "--batch-size: must be a positive integer"),
    (["predict", MODEL, "{photo}", "--weights", "imagenet21k"], "available: 'imagenet'"),
    (["predict", MODEL, "{empty}"], "No image files to read"),
    (["extract", MODEL, "{photo}"], "the following arguments are required: --out"),
    (["extract", MODEL, "{photo}", "--out", "{tmp}/f.npz", "--stage", "conv9"],
     "no feature stage 'conv9'. Its stages: stride2, stride4"),
    (["extract", MODEL, "{photo}", "--out", "{tmp}/f.npz", "--stage", "stride8", "--layer", "x"],
     "not allowed with argument"),
    (["extract", MODEL, "{photo}", "--out", "{tmp}/nowhere/f.npz"], "does not exist"),
    (["extract", MODEL, "{photo}", "--out", "{tmp}/f.npz", "--pooling", "sum"], "invalid choice: 'sum'"),
])
def test_usage_errors_exit_2_with_one_paragraph(tmp_cache, photos, tmp_path, capsys, argv, message):
    (tmp_path / "empty").mkdir()
    values = {"photo": str(photos / "chelsea.jpg"), "empty": str(tmp_path / "empty"), "tmp": str(tmp_path)}
    code, out, err = cli(capsys, *(a.format(**values) for a in argv))
    assert code == 2 and out == ""
    assert message in err
