"""MobileNet's and MobileNetV2's own behaviour; the default configuration's equivalence is test_equivalence.py's.

Every alpha of the weight grid against the reference at one small size; the
legacy `.h5` of a non-default alpha; the weight-file rules, with Hypothesis
against the issue's table (no builds) and against Keras' own constructors on
a fixed sample (downloads patched out); the file the store fetches; the
feature stages and channels_first; and the official alpha-0.25 files end to
end through the loopback server.
"""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from registry_mobilenet import mobilenet, mobilenet_v2  # noqa: E402
from registry_mobilenet._plugin import MOBILENET_GRID, MOBILENET_V2_GRID  # noqa: E402
from registry_mobilenet._rules import choose_file  # noqa: E402

from registry_core import InputShapeError, InvalidArgumentError, RegistryError, plan_input, registry  # noqa: E402

from .layer_checks import assert_channels_first_matches, assert_close, stage_sizes  # noqa: E402
from .references import LEGACY_WRITERS, REFERENCES  # noqa: E402

GRIDS = {"mobilenet": MOBILENET_GRID, "mobilenet_v2": MOBILENET_V2_GRID}
REFUSED = "refused"

# The table, written out: the sizes with a published file at each alpha.
V1_SIZES = (128, 160, 192, 224)
V2_SIZES = (96, 128, 160, 192, 224)
TABLE = {
    "mobilenet": dict.fromkeys((0.25, 0.5, 0.75, 1.0), V1_SIZES),
    "mobilenet_v2": {**dict.fromkeys((0.35, 0.5, 0.75, 1.0), V2_SIZES), 1.3: (224,), 1.4: (224,)},
}
V1_ALPHA_TEXT = {0.25: "2_5", 0.5: "5_0", 0.75: "7_5", 1.0: "1_0"}


def official(name: str, alpha: float, size: int, include_top: bool) -> str:
    """The publisher's file name (from keras' mobilenet.py and mobilenet_v2.py)."""
    no_top = "" if include_top else "_no_top"
    if name == "mobilenet":
        return f"mobilenet_{V1_ALPHA_TEXT[alpha]}_{size}_tf{no_top}.h5"
    return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{size}{no_top}.h5"


def spatial_shape(rows, cols, data_format: str) -> tuple:
    return (3, rows, cols) if data_format == "channels_first" else (rows, cols, 3)


def decide(name: str, *, alpha=1.0, depth_multiplier=1, include_top=True, pretrained=True, input_shape=None,
           tensor_shape=None, data_format="channels_last"):
    """Our rules without building: (file name or None, warns), or REFUSED.

    The family's rules, then the shared shape rules with the size they chose,
    exactly as `build_on_grid` and `build_model` apply them.
    """
    spec = registry.info(name)
    try:
        choice = choose_file(GRIDS[name], alpha=alpha, depth_multiplier=depth_multiplier, include_top=include_top,
                             pretrained=pretrained, input_shape=input_shape, input_tensor_shape=tensor_shape,
                             data_format=data_format)
        plan_input(spec, include_top=include_top, weights="imagenet" if pretrained else None,
                   input_shape=input_shape, input_tensor_shape=tensor_shape, pooling=None, classes=1000,
                   data_format=data_format, default_size=choice.rows)
    except RegistryError as exc:
        assert isinstance(exc, ValueError), exc
        return REFUSED
    file = spec.weights["imagenet"][choice.variant].file_name if choice.variant else None
    if choice.warning:
        assert file in choice.warning, "the warning must name the file it loads"
    return file, choice.warning is not None


def table(name, *, alpha, depth_multiplier, include_top, pretrained, source, rows, cols):
    """What the issue's table (Keras 3.15.1 with DESIGN.md's departures) says for one call."""
    sizes = TABLE[name].get(alpha)
    if depth_multiplier != 1 and (pretrained or name == "mobilenet_v2"):
        return REFUSED
    if pretrained and sizes is None:
        return REFUSED
    on_grid = rows == cols and rows in (sizes or ())
    if source == "shape" and include_top and (None in (rows, cols) or (pretrained and not on_grid)):
        return REFUSED
    if not pretrained:
        return None, False
    if source == "shape":
        return (official(name, alpha, rows, include_top), False) if on_grid else (official(name, alpha, 224, False), True)
    if source == "tensor" and include_top and name == "mobilenet_v2" and on_grid:
        return official(name, alpha, rows, True), False
    return official(name, alpha, 224, include_top), False


# -- the rules, without building ------------------------------------------------------

SIZES = st.sampled_from([None, 32, 96, 100, 128, 160, 192, 224, 256])


@settings(deadline=None, max_examples=500)  # cheap: no builds; enough to reach every row of the table
@given(
    name=st.sampled_from(sorted(GRIDS)),
    alpha=st.sampled_from([0.25, 0.35, 0.5, 0.6, 0.75, 1.0, 1.3, 1.4]),
    depth_multiplier=st.sampled_from([1, 2]),
    include_top=st.booleans(),
    pretrained=st.booleans(),
    source=st.sampled_from(["shape", "tensor", "unset"]),
    rows=SIZES,
    cols=st.one_of(st.just("square"), SIZES),
    data_format=st.sampled_from(["channels_last", "channels_first"]),
)
def test_rules_follow_the_table(name, alpha, depth_multiplier, include_top, pretrained, source, rows, cols,
                                data_format):
    cols = rows if cols == "square" else cols
    shape = spatial_shape(rows, cols, data_format)
    got = decide(name, alpha=alpha, depth_multiplier=depth_multiplier, include_top=include_top,
                 pretrained=pretrained, input_shape=shape if source == "shape" else None,
                 tensor_shape=shape if source == "tensor" else None, data_format=data_format)
    assert got == table(name, alpha=alpha, depth_multiplier=depth_multiplier, include_top=include_top,
                        pretrained=pretrained, source=source, rows=rows, cols=cols)


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_every_grid_file_is_a_variant(name):
    files = registry.info(name).weights["imagenet"]
    expected = {official(name, a, s, top) for a, sizes in TABLE[name].items() for s in sizes for top in (True, False)}
    assert sorted(wf.file_name for wf in files.values()) == sorted(expected)
    assert len(files) == {"mobilenet": 32, "mobilenet_v2": 44}[name]
    folder = "mobilenet" if name == "mobilenet" else "mobilenet_v2"
    for wf in files.values():
        assert wf.origin == f"https://storage.googleapis.com/tensorflow/keras-applications/{folder}/{wf.file_name}"
        assert wf.hash is None and wf.hash_algorithm is None  # the publisher gives none: trust on first use
    assert files["top"].file_name == official(name, 1.0, 224, True)
    assert files["no_top"].file_name == official(name, 1.0, 224, False)


@pytest.mark.parametrize(("name", "kwargs", "error", "message"), [
    ("mobilenet", {"alpha": 0.3}, InvalidArgumentError, r"alpha 0\.25, 0\.5, 0\.75 or 1\. Received: alpha=0\.3"),
    ("mobilenet_v2", {"alpha": 0.25}, InvalidArgumentError, r"alpha 0\.35, 0\.5, 0\.75, 1, 1\.3 or 1\.4"),
    ("mobilenet", {"depth_multiplier": 2}, InvalidArgumentError, "only for depth_multiplier=1"),
    ("mobilenet_v2", {"depth_multiplier": 2, "weights": None}, InvalidArgumentError, "only depth_multiplier=1"),
    ("mobilenet", {"input_shape": (100, 100, 3)}, InputShapeError,
     "must be one of 128x128, 160x160, 192x192, 224x224"),
    ("mobilenet_v2", {"alpha": 1.3, "input_shape": (128, 128, 3)}, InputShapeError, r"at alpha 1\.3 .* 224x224\. "),
    ("mobilenet", {"alpha": 0.01, "weights": None}, InvalidArgumentError, "at least 0.03125"),
    ("mobilenet", {"dropout": 1.5, "weights": None}, InvalidArgumentError, "rate from 0 to 1"),
])
def test_refusals_say_what_is_allowed(name, kwargs, error, message):
    with pytest.raises(error, match=message):
        registry.get(name)(**kwargs)


# Calls on which we follow Keras exactly (no departure), and Keras' outcome.
KERAS_SAMPLE = [
    ("mobilenet", {"alpha": 0.25, "input_shape": (128, 128, 3)}, ("mobilenet_2_5_128_tf.h5", False)),
    ("mobilenet", {"alpha": 0.25, "input_shape": (160, 160, 3), "include_top": False},
     ("mobilenet_2_5_160_tf_no_top.h5", False)),
    ("mobilenet", {"alpha": 0.5, "input_shape": (100, 100, 3), "include_top": False},
     ("mobilenet_5_0_224_tf_no_top.h5", True)),
    ("mobilenet", {"alpha": 0.25, "tensor": (128, 128, 3)}, ("mobilenet_2_5_224_tf.h5", False)),
    ("mobilenet", {"alpha": 0.3}, REFUSED),
    ("mobilenet", {"alpha": 0.25, "input_shape": (100, 100, 3)}, REFUSED),
    ("mobilenet_v2", {"alpha": 0.35, "tensor": (96, 96, 3)}, ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5", False)),
    ("mobilenet_v2", {"alpha": 0.35, "tensor": (100, 100, 3)},
     ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224.h5", False)),
    ("mobilenet_v2", {"alpha": 0.35, "input_shape": (130, 130, 3), "include_top": False},
     ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5", True)),
]


class _Asked(Exception):
    """Raised by the patched download with the file name Keras asked for."""


@pytest.mark.parametrize(("name", "kwargs", "expected"), KERAS_SAMPLE)
def test_keras_constructors_agree_on_a_sample(name, kwargs, expected, monkeypatch):
    from keras.src.utils import file_utils

    def asked(fname, *args, **kw):
        raise _Asked(fname)

    monkeypatch.setattr(file_utils, "get_file", asked)
    kwargs = dict(kwargs)
    tensor = kwargs.pop("tensor", None)
    call = dict(kwargs, input_tensor=keras.Input(shape=tensor)) if tensor else kwargs
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            REFERENCES[name](**call)
            keras_outcome = "no file"
        except _Asked as exc:
            keras_outcome = (str(exc), any("Weights for input shape (224, 224)" in str(w.message) for w in caught))
        except ValueError:
            keras_outcome = REFUSED
    assert keras_outcome == expected
    assert decide(name, tensor_shape=tensor, **kwargs) == expected


# -- every alpha against the reference -------------------------------------------------

SIZE = 96
GRID_ALPHAS = [("mobilenet", a) for a in TABLE["mobilenet"]] + [("mobilenet_v2", a) for a in TABLE["mobilenet_v2"]]


def _weighted(model):
    return [(layer.name, [tuple(w.shape) for w in layer.weights]) for layer in model.layers if layer.weights]


def _x(size: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (1, size, size, 3)).astype("float32")


@pytest.mark.parametrize(("name", "alpha"), GRID_ALPHAS)
def test_every_alpha_matches_the_reference(name, alpha):
    kwargs = {"weights": None, "alpha": alpha, "input_shape": (SIZE, SIZE, 3), "classifier_activation": None}
    reference = REFERENCES[name](**kwargs)
    ours = registry.get(name)(**kwargs)
    assert ours.name == reference.name
    assert ours.count_params() == reference.count_params()
    assert _weighted(ours) == _weighted(reference)
    assert [layer.name for layer in ours.layers[1:]] == [layer.name for layer in reference.layers[1:]]
    ours.set_weights(reference.get_weights())
    x = _x(SIZE)
    assert_close(np.asarray(ours(x, training=False)), np.asarray(reference(x, training=False)))


@pytest.mark.parametrize(("name", "alpha", "size"), [("mobilenet", 0.5, 128), ("mobilenet_v2", 0.35, 96)])
def test_legacy_h5_of_another_alpha(name, alpha, size, tmp_path):
    kwargs = {"weights": None, "alpha": alpha, "input_shape": (size, size, 3), "classifier_activation": None}
    writer = LEGACY_WRITERS[name](**kwargs)
    path = tmp_path / f"{name}_{alpha}.h5"
    writer.save_weights(str(path))
    x = _x(size)
    expected = np.asarray(writer.predict(x, verbose=0))
    model = registry.get(name)(**dict(kwargs, weights=str(path)))
    assert_close(np.asarray(model(x, training=False)), expected)


# -- stages and channels_first -------------------------------------------------------------


@pytest.fixture(scope="module", params=sorted(GRIDS))
def narrow(request):
    """Each model at its narrowest published alpha, no top, random weights."""
    alpha = min(TABLE[request.param])
    model = registry.get(request.param)(weights=None, alpha=alpha, include_top=False, input_shape=(SIZE, SIZE, 3))
    return request.param, alpha, model


@pytest.mark.xdist_group("mobilenet-narrow")
def test_stages_tap_each_resolution(narrow):
    name, _, model = narrow
    stages = registry.info(name).feature_stages
    assert list(stages) == ["stride2", "stride4", "stride8", "stride16", "stride32"]
    assert stage_sizes(model, stages) == [SIZE // 2, SIZE // 4, SIZE // 8, SIZE // 16, SIZE // 32]
    assert model.get_layer(stages["stride32"]).output is model.outputs[0]


@pytest.mark.xdist_group("mobilenet-narrow")
def test_channels_first_matches_channels_last(narrow):
    name, alpha, model = narrow
    rng = np.random.default_rng(1)
    # Random batch-norm statistics, so the check covers them in the other layout too.
    for weight in model.weights:
        if "moving" in weight.path:
            weight.assign(rng.uniform(0.5, 1.5, weight.shape).astype("float32"))
    assert_channels_first_matches(
        model,
        lambda: registry.get(name)(weights=None, alpha=alpha, include_top=False, input_shape=(3, SIZE, SIZE)),
        list(registry.info(name).feature_stages.values()),
    )


def test_preprocess_input_is_tf_mode():
    x = np.array([[[0.0, 127.5, 255.0]]])
    for module in (mobilenet, mobilenet_v2):
        np.testing.assert_allclose(module.preprocess_input(x), [[[-1.0, 0.0, 1.0]]])


# -- the file the store fetches -------------------------------------------------------------


@pytest.fixture(scope="module")
def quarter_no_top(tmp_path_factory):
    """Weights of MobileNet alpha 0.25 without top, standing in for every official file."""
    model = mobilenet.MobileNet(alpha=0.25, include_top=False, weights=None, input_shape=(SIZE, SIZE, 3))
    path = tmp_path_factory.mktemp("mobilenet") / "quarter_no_top.weights.h5"
    model.save_weights(path)
    return path


@pytest.mark.parametrize(("input_shape", "file", "warns"), [
    ((160, 160, 3), "mobilenet_2_5_160_tf_no_top.h5", False),
    ((100, 100, 3), "mobilenet_2_5_224_tf_no_top.h5", True),
    (None, "mobilenet_2_5_224_tf_no_top.h5", False),
], ids=["grid", "off-grid", "unset"])
def test_the_store_fetches_the_file_the_rules_pick(input_shape, file, warns, quarter_no_top, loopback_registry,
                                                    weight_server):
    reg = loopback_registry("mobilenet", {"*": quarter_no_top})
    served = [wf.file_name for wf in reg.info("mobilenet").weights["imagenet"].values()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reg.get("mobilenet")(alpha=0.25, include_top=False, input_shape=input_shape)
    assert [name for name in served if weight_server.count(name)] == [file]
    ours = [str(w.message) for w in caught if str(w.message).startswith("MobileNet:")]
    assert len(ours) == int(warns)
    assert all(file in message for message in ours)


# -- the official files ---------------------------------------------------------------------

OFFICIAL = ("mobilenet_2_5_128_tf.h5", "mobilenet_2_5_224_tf_no_top.h5", "imagenet_class_index.json")


@pytest.fixture
def official_mirror(shared_weights, weight_server, tmp_cache, monkeypatch):
    """The official files served from loopback under their names, as the weight mirror."""
    for name in OFFICIAL:
        weight_server.serve(name, shared_weights / name)
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", weight_server.base)
    return shared_weights


def chelsea(size: int) -> np.ndarray:
    """scikit-image's cat photo: centre crop, resized to `size`, preprocessed for MobileNet."""
    from PIL import Image
    from skimage import data

    image = data.chelsea()
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = Image.fromarray(image[top:top + side, left:left + side]).resize((size, size), Image.BILINEAR)
    return mobilenet.preprocess_input(np.asarray(crop, dtype="float32")[None])


@pytest.mark.xdist_group("mobilenet-official")
def test_official_file_with_top(official_mirror, weight_server):
    x = chelsea(128)
    model = registry.get("mobilenet")(alpha=0.25, input_shape=(128, 128, 3))
    assert weight_server.count("mobilenet_2_5_128_tf.h5") == 1
    keras.backend.clear_session()
    reference = keras.applications.MobileNet(alpha=0.25, input_shape=(128, 128, 3),
                                             weights=str(official_mirror / "mobilenet_2_5_128_tf.h5"))
    got = np.asarray(model(x, training=False))
    np.testing.assert_allclose(got, np.asarray(reference(x, training=False)), rtol=0, atol=1e-6)

    best = mobilenet.decode_predictions(got, top=3)[0]
    assert weight_server.count("imagenet_class_index.json") == 1
    assert best[0][:2] == ("n02124075", "Egyptian_cat")
    assert [label for _, label, _ in best] == ["Egyptian_cat", "tabby", "lynx"]


@pytest.mark.xdist_group("mobilenet-official")
def test_official_file_without_top(official_mirror, weight_server):
    x = chelsea(224)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = registry.get("mobilenet")(alpha=0.25, include_top=False)
    assert not [w for w in caught if str(w.message).startswith("MobileNet:")]  # size unset: no warning (a departure)
    assert weight_server.count("mobilenet_2_5_224_tf_no_top.h5") == 1
    keras.backend.clear_session()
    reference = keras.applications.MobileNet(alpha=0.25, include_top=False, input_shape=(224, 224, 3),
                                             weights=str(official_mirror / "mobilenet_2_5_224_tf_no_top.h5"))
    assert_close(np.asarray(model(x, training=False)), np.asarray(reference(x, training=False)))


@pytest.mark.parametrize(("name", "count"), [("mobilenet", 32), ("mobilenet_v2", 44)])
def test_fetch_all_variants_gets_every_official_file(name, count, tmp_cache, tmp_path, monkeypatch, capsys):
    from registry_core._cli import main

    # The publisher gives no hash for these files, so stand-in bytes under the official
    # names go through the same trust-on-first-use path as the real ones.
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    names = {official(name, alpha, size, top) for alpha, sizes in TABLE[name].items() for size in sizes
             for top in (True, False)}
    for file_name in names:
        (mirror / file_name).write_bytes(file_name.encode())
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", mirror.as_uri() + "/")

    assert main(["fetch", name, "--all-variants"]) == 0
    assert len(names) == count
    assert {p.name for p in tmp_cache.rglob("*.h5")} == names
