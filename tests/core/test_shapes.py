"""The shared shape rules (`registry_core._shapes`), without building models.

Three checks:
- `test_rules_*`: over the whole argument space, a call is accepted exactly
  when the rules (written out in `expected`) say so, and resolves the shape
  they say, for every registered spec and for synthetic specs;
- `test_matches_keras`: a differential property against Keras' own rules
  (`obtain_input_shape` and a written table of each of the twenty constructors'
  own checks, `Row` and `keras_outcome`), holding everywhere except the
  departures DESIGN.md lists;
- `test_real_constructors_follow_the_table`: the real constructors, on a small
  fixed sample with downloads patched out, agree with the written table.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from registry_core import InputShapeError, InvalidArgumentError, Metadata, ModelSpec, RegistryError, registry
from registry_core._shapes import check_input_tensor, plan_input

FORMATS = ("channels_last", "channels_first")
ACTIVATIONS = ("softmax", None, "linear", "relu", "sigmoid")
POOLINGS = (None, "avg", "max", "sum")


class Row(NamedTuple):
    """One constructor's own checks around `obtain_input_shape` (the written table).

    Every constructor first refuses a `weights` that is neither None, "imagenet" nor an
    existing file, and "imagenet" with a top and `classes != 1000`; then, in this order:
    `refuses_cf`: it raises in channels_first (DenseNet, NASNet);
    `static_pretrained`: NASNet raises on a tuple `input_shape` holding None with
    "imagenet", and takes an unset `input_shape` without top as the default square;
    `grid`: the MobileNets read rows and cols from `input_shape` and make a square of one
    of these sizes the default size (224 otherwise);
    then `obtain_input_shape(default, minimum)`, keras_applications 1.0.8's own
    `_obtain_input_shape` where `keras_applications` (ResNeXt); with a top, `Dense(classes)`
    and `validate_activation` once the body is built.
    """

    default: int
    minimum: int
    refuses_cf: bool = False
    static_pretrained: bool = False
    grid: tuple[int, ...] = ()
    keras_applications: bool = False


#: Keras 3.15.1's twenty constructors; ResNeXt from keras_applications 1.0.8.
KERAS_CONSTRUCTORS: dict[str, Row] = {
    **dict.fromkeys(("VGG16", "VGG19"), Row(224, 32)),
    **dict.fromkeys(("ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2"),
                    Row(224, 32)),
    **dict.fromkeys(("ResNeXt50", "ResNeXt101"), Row(224, 32, keras_applications=True)),
    **dict.fromkeys(("DenseNet121", "DenseNet169", "DenseNet201"), Row(224, 32, refuses_cf=True)),
    "InceptionV3": Row(299, 75),
    "InceptionResNetV2": Row(299, 75),
    "Xception": Row(299, 71),
    "MobileNet": Row(224, 32, grid=(128, 160, 192, 224)),
    "MobileNetV2": Row(224, 32, grid=(96, 128, 160, 192, 224)),
    "NASNetMobile": Row(224, 32, refuses_cf=True, static_pretrained=True),
    "NASNetLarge": Row(331, 32, refuses_cf=True, static_pretrained=True),
}

SPECS = registry.specs()
TABLED = [s for s in SPECS if any(a in KERAS_CONSTRUCTORS for a in s.aliases)]


def row_of(spec: ModelSpec) -> Row:
    return next(KERAS_CONSTRUCTORS[a] for a in spec.aliases if a in KERAS_CONSTRUCTORS)


def synthetic(default_size: int, min_size: int, **flags: Any) -> ModelSpec:
    return ModelSpec(name="synthetic", family="test", builder="nowhere:build", default_size=default_size,
                     min_size=min_size, preprocessing="tf", metadata=Metadata(parameters=1),
                     weights={"imagenet": {}}, **flags)


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("weights") / "some.weights.h5"
    path.write_bytes(b"")
    return str(path)


# -- the argument space ---------------------------------------------------------------
sizes = st.one_of(st.none(), st.integers(0, 1000))
channels = st.integers(1, 5)
SPECIAL_SIZES = sorted({size for row in KERAS_CONSTRUCTORS.values() for size in (*row.grid, row.default, row.minimum)})


@st.composite
def input_shapes(draw: st.DrawFn, fmt: str, default: int) -> Any:
    """None, a shape (tuple or list) in `fmt`'s order, or one of the wrong length."""
    kind = draw(st.sampled_from(["none", "shape", "shape", "shape", "default", "square", "wrong"]))
    if kind == "none":
        return None
    if kind == "wrong":
        return tuple(draw(st.lists(st.integers(1, 300), max_size=4).filter(lambda s: len(s) != 3)))
    if kind == "square":  # the sizes some constructor treats specially (MobileNet's grid, the defaults)
        side = draw(st.sampled_from(SPECIAL_SIZES))
        c, h, w = 3, side, side
    else:
        c, h, w = (3, default, default) if kind == "default" else (draw(channels), draw(sizes), draw(sizes))
    shape = (c, h, w) if fmt == "channels_first" else (h, w, c)
    return list(shape) if draw(st.booleans()) else shape


@st.composite
def calls(draw: st.DrawFn, spec: ModelSpec) -> dict[str, Any]:
    fmt = draw(st.sampled_from(FORMATS))
    return dict(
        include_top=draw(st.booleans()),
        weights=draw(st.sampled_from([None, "imagenet", "path"])),
        input_shape=draw(input_shapes(fmt, spec.default_size)),
        classes=draw(st.one_of(st.just(1000), st.integers(-2, 2000))),
        pooling=draw(st.sampled_from(POOLINGS)),
        classifier_activation=draw(st.sampled_from(ACTIVATIONS)),
        data_format=fmt,
    )


def expected(spec: ModelSpec, call: dict[str, Any], default_size: int | None = None) -> tuple | None:
    """The rules, as DESIGN.md and Keras state them: (shape, new_head), or None when refused."""
    size = default_size or spec.default_size
    cf = call["data_format"] == "channels_first"
    top, pretrained, classes = call["include_top"], call["weights"] == "imagenet", call["classes"]
    shape = None if call["input_shape"] is None else tuple(call["input_shape"])

    def square(c: int | None, s: int | None) -> tuple:
        return (c, s, s) if cf else (s, s, c)

    if pretrained and "imagenet" not in spec.weights:
        return None
    if call["pooling"] not in (None, "avg", "max"):
        return None
    if top and not (isinstance(classes, int) and classes >= 1):
        return None
    new_head = pretrained and top and classes != 1000
    if top and call["weights"] is not None and not new_head and call["classifier_activation"] not in (
            None, "softmax", "linear"):
        return None
    if spec.static_pretrained_shape and pretrained and shape is not None and None in shape:
        return None
    if pretrained and top:
        return (square(3, size), new_head) if shape in (None, square(3, size)) else None
    if spec.static_pretrained_shape and not top and shape is None:
        return square(3, size), False
    if not shape:  # None or (): unset
        return (square(3, size) if top else square(3, None)), False
    if len(shape) != 3:
        return None
    c, spatial = (shape[0], shape[1:]) if cf else (shape[2], shape[:2])
    if pretrained and c != 3:
        return None
    if any(d is not None and d < spec.min_size for d in spatial):
        return None
    if top and None in shape:
        return None
    return shape, False


def ours(spec: ModelSpec, call: dict[str, Any], weights_file: str, **extra: Any) -> tuple | Exception:
    weights = weights_file if call["weights"] == "path" else call["weights"]
    try:
        plan = plan_input(spec, input_tensor_shape=None, **{**call, "weights": weights}, **extra)
    except InvalidArgumentError as exc:
        return exc
    return plan.input_shape, plan.new_head


def assert_explains(message: str) -> None:
    """A rejection says what was received, then what to do in a sentence of its own."""
    assert re.search(r"Received.*?\.\s+[A-Z]", message), message


def check_against_rules(spec: ModelSpec, call: dict[str, Any], weights_file: str,
                        default_size: int | None = None) -> None:
    got = ours(spec, call, weights_file, default_size=default_size)
    want = expected(spec, call, default_size)
    if want is None:
        assert isinstance(got, ValueError) and isinstance(got, RegistryError), (call, got)
        assert str(got).startswith(spec.name), got
        assert_explains(str(got))
    else:
        assert got == want, call


# -- our rules, stated -------------------------------------------------------------------
RULES = settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@settings(RULES, max_examples=150)
@given(data=st.data())
def test_rules_hold_for_every_registered_spec(spec: ModelSpec, data: st.DataObject, weights_file: str) -> None:
    call = data.draw(calls(spec))
    assume(call["data_format"] in spec.formats)
    check_against_rules(spec, call, weights_file)


@RULES
@given(data=st.data())
def test_rules_hold_for_synthetic_specs(data: st.DataObject, weights_file: str) -> None:
    default = data.draw(st.integers(1, 600), label="default_size")
    spec = synthetic(default, data.draw(st.integers(1, default), label="min_size"),
                     static_pretrained_shape=data.draw(st.booleans(), label="static"))
    override = data.draw(st.one_of(st.none(), st.integers(spec.min_size, 600)), label="override")
    check_against_rules(spec, data.draw(calls(spec)), weights_file, default_size=override)


@RULES
@given(
    default=st.integers(32, 400), flatten_top=st.booleans(), top=st.booleans(), pretrained=st.booleans(),
    c=channels, h=sizes, w=sizes, fmt=st.sampled_from(FORMATS),
)
def test_input_tensor_rules(default: int, flatten_top: bool, top: bool, pretrained: bool, c: int,
                            h: int | None, w: int | None, fmt: str) -> None:
    spec = synthetic(default, 1, flatten_top=flatten_top)
    shape = (c, h, w) if fmt == "channels_first" else (h, w, c)
    refused = (pretrained and c != 3) or (flatten_top and top and (
        None in (h, w) or (pretrained and (h, w) != (default, default))))
    try:
        check_input_tensor(spec, shape, include_top=top, pretrained=pretrained, data_format=fmt)
    except InputShapeError as exc:
        assert refused and "Received an `input_tensor` of shape" in str(exc)
        assert_explains(str(exc))
    else:
        assert not refused


def test_a_path_that_is_no_file_is_refused(tmp_path: Path) -> None:
    spec = synthetic(224, 32)
    with pytest.raises(InvalidArgumentError, match=r"Received: weights='.*missing.h5'") as info:
        plan_input(spec, include_top=True, weights=str(tmp_path / "missing.h5"), input_shape=None,
                   input_tensor_shape=None, pooling=None, classes=1000)
    assert_explains(str(info.value))


def test_a_format_the_spec_lacks_is_refused() -> None:
    spec = dataclasses.replace(synthetic(224, 32), formats=("channels_last",))
    with pytest.raises(InvalidArgumentError, match="builds only in channels_last") as info:
        plan_input(spec, include_top=True, weights=None, input_shape=None, input_tensor_shape=None,
                   pooling=None, classes=1000, data_format="channels_first")
    assert_explains(str(info.value))


# -- Keras' rules --------------------------------------------------------------------------
def keras_outcome(row: Row, call: dict[str, Any], weights_file: str) -> tuple | None:
    """What the constructor of `row` does: the shape it builds, or None when it raises.

    The written table (`Row`), in the constructors' order, around the real
    `obtain_input_shape`, `Dense` and `validate_activation`. Pooling is ignored by
    Keras. A shape too short for the MobileNets' reading of rows and cols raises
    IndexError, as the constructors do.
    """
    import keras
    from keras.src.applications import imagenet_utils

    weights = weights_file if call["weights"] == "path" else call["weights"]
    top, classes, fmt = call["include_top"], call["classes"], call["data_format"]
    input_shape, default = call["input_shape"], row.default
    if row.refuses_cf and fmt == "channels_first":
        return None
    if weights == "imagenet" and top and classes != 1000:
        return None
    if row.static_pretrained:
        if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
            return None
        if not top and input_shape is None:  # Keras writes (d, d, 3), as it refuses channels_first
            input_shape = (3, default, default) if fmt == "channels_first" else (default, default, 3)
    if row.grid and input_shape is not None:
        rows, cols = (input_shape[1], input_shape[2]) if fmt == "channels_first" else (input_shape[0], input_shape[1])
        if rows == cols and rows in row.grid:
            default = rows
    if row.keras_applications:
        from keras_applications.imagenet_utils import _obtain_input_shape as obtain
    else:
        obtain = imagenet_utils.obtain_input_shape
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "usually expects 1 or 3 input channels"
            shape = obtain(input_shape, default_size=default, min_size=row.minimum, data_format=fmt,
                           require_flatten=top, weights=weights)
        if top:  # keras_applications' ResNeXt takes no classifier_activation; ours follows Keras 3's rule
            keras.layers.Dense(classes, activation=call["classifier_activation"])
            imagenet_utils.validate_activation(call["classifier_activation"], weights)
    except ValueError:
        return None
    return tuple(shape)


def as_built(spec: ModelSpec, call: dict[str, Any], weights_file: str) -> tuple | Exception:
    """`ours` with the default size the family's builder hands the shared rules.

    The MobileNets choose it from the input's size, as their constructors do; the
    families' own refusals of other arguments are their tests'.
    """
    default_size = None
    if spec.family == "mobilenet":
        from registry_mobilenet._plugin import MOBILENET_GRID, MOBILENET_V2_GRID
        from registry_mobilenet._rules import choose_file

        grid = {"mobilenet": MOBILENET_GRID, "mobilenet_v2": MOBILENET_V2_GRID}[spec.name]
        try:
            default_size = choose_file(grid, alpha=1.0, include_top=call["include_top"],
                                       pretrained=call["weights"] == "imagenet", input_shape=call["input_shape"],
                                       data_format=call["data_format"]).rows
        except InvalidArgumentError as exc:
            return exc
    return ours(spec, call, weights_file, default_size=default_size)


@st.composite
def keras_cases(draw: st.DrawFn) -> tuple[ModelSpec, Row, dict[str, Any]]:
    """A registered spec with its constructor's row, or a synthetic spec with a made-up row."""
    if TABLED and draw(st.booleans()):
        spec = draw(st.sampled_from(TABLED))
        row = row_of(spec)
    else:
        default = draw(st.integers(1, 600))
        row = Row(default, draw(st.integers(1, default)), static_pretrained=draw(st.booleans()))
        spec = synthetic(row.default, row.minimum, static_pretrained_shape=row.static_pretrained)
    return spec, row, draw(calls(spec))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=keras_cases())
def test_matches_keras(case: tuple, weights_file: str) -> None:
    spec, row, call = case
    got = as_built(spec, call, weights_file)
    if call["pooling"] not in (None, "avg", "max"):  # kept departure: Keras ignores any pooling
        assert isinstance(got, InvalidArgumentError), (call, got)
        return
    # The departures DESIGN.md lists, each mapped onto the Keras call that must agree:
    if row.refuses_cf and call["data_format"] == "channels_first":  # every model builds in channels_first
        row = row._replace(refuses_cf=False)
    new_head = False
    if call["weights"] == "imagenet" and call["include_top"] and call["classes"] != 1000 and (
            call["classes"] >= 1):  # a pretrained backbone with a new head, of any activation
        call, new_head = {**call, "classes": 1000, "classifier_activation": "softmax"}, True
    # Kept departure: a list input_shape counts as the tuple it spells (Keras refuses any
    # list with a pretrained top, and NASNet's static-shape check misses a list).
    if isinstance(call["input_shape"], list):
        call = {**call, "input_shape": tuple(call["input_shape"])}
    try:
        want = keras_outcome(row, call, weights_file)
    except IndexError:  # a MobileNet crashes before any rule; ours takes the shape as the others do
        want = keras_outcome(row._replace(grid=()), call, weights_file)
    if want is None:
        assert isinstance(got, InvalidArgumentError), (call, got)
    else:
        assert got == (want, new_head), (call, got)


@pytest.mark.parametrize("name", sorted(KERAS_CONSTRUCTORS))
def test_registered_specs_follow_the_table(name: str) -> None:
    (spec,) = [s for s in TABLED if name in s.aliases]  # every family is installed for the tests
    row = KERAS_CONSTRUCTORS[name]
    assert (spec.default_size, spec.min_size, spec.static_pretrained_shape) == (
        row.default, row.minimum, row.static_pretrained)
    assert spec.formats == ("channels_last", "channels_first")  # the departure: both, everywhere


# -- the real constructors, on a fixed sample -----------------------------------------------
class _Stop(Exception):
    """Raised where Keras would go on to build (or download), with what it decided."""


def _no_download(*args: Any, **kwargs: Any) -> None:
    raise AssertionError(f"download attempted: {args}")


def constructor(name: str) -> Callable[..., Any]:
    """The real constructor: Keras 3's, or keras_applications' driven with tf_keras (ResNeXt)."""
    if not KERAS_CONSTRUCTORS[name].keras_applications:
        import keras

        return getattr(keras.applications, name)
    import tf_keras
    from keras_applications import resnext

    return functools.partial(getattr(resnext, name), backend=tf_keras.backend, layers=tf_keras.layers,
                             models=tf_keras.models, utils=types.SimpleNamespace(get_file=_no_download))


@pytest.fixture
def intercepted(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Make every constructor stop right after its shape rules, recording them."""
    from keras.src.applications import imagenet_utils
    from keras.src.utils import file_utils
    from keras_applications import resnet_common

    seen: list[dict[str, Any]] = []

    def recording(real: Callable[..., Any]) -> Callable[..., Any]:
        def obtain(input_shape: Any, **kwargs: Any) -> Any:
            shape = real(input_shape, **kwargs)
            seen.append({**kwargs, "shape": tuple(shape)})
            raise _Stop

        return obtain

    monkeypatch.setattr(imagenet_utils, "obtain_input_shape", recording(imagenet_utils.obtain_input_shape))
    monkeypatch.setattr(resnet_common, "_obtain_input_shape", recording(resnet_common._obtain_input_shape))
    monkeypatch.setattr(file_utils, "get_file", _no_download)
    return seen


SAMPLE = [  # (arguments, accepted by the constructor's checks and shape rules)
    (dict(weights=None, include_top=False, input_shape=None), True),
    (dict(weights="imagenet", include_top=True, classes=10), False),
    (dict(weights="no/such/file.h5"), False),
    (dict(weights="imagenet", include_top=False, input_shape=(100, 120, 1)), False),
    (dict(weights=None, include_top=False, input_shape=(100, 120, 1)), True),
    (dict(weights=None, include_top=True, input_shape=(None, None, 3)), False),
]


def sample(row: Row) -> list[tuple[dict[str, Any], bool]]:
    """The shared sample, then one call for each rule of the table's columns."""
    return [
        *SAMPLE,
        (dict(weights=None, include_top=False, input_shape=(row.minimum - 1, row.minimum, 3)), False),
        (dict(weights="imagenet", include_top=False, input_shape=(None, None, 3)), not row.static_pretrained),
        (dict(weights="imagenet", include_top=True, input_shape=(128, 128, 3)), 128 in row.grid),
    ]


@pytest.mark.parametrize("name", sorted(KERAS_CONSTRUCTORS))
def test_real_constructors_follow_the_table(name: str, intercepted: list[dict[str, Any]],
                                            weights_file: str) -> None:
    build, row = constructor(name), KERAS_CONSTRUCTORS[name]
    (mine,) = [s for s in TABLED if name in s.aliases]
    for kwargs, accepted in sample(row):
        with pytest.raises(_Stop if accepted else ValueError):
            build(**kwargs)
        call = {**dict(include_top=True, input_shape=None, classes=1000, pooling=None,
                       classifier_activation="softmax", data_format="channels_last"), **kwargs}
        new_head = call["classes"] != 1000  # the sample's one departure
        got = as_built(mine, call, weights_file)
        assert (not isinstance(got, Exception)) == (accepted or new_head), (kwargs, got)
    intercepted.clear()
    with pytest.raises(_Stop):
        build(weights="imagenet", include_top=True)
    assert (intercepted[0]["default_size"], intercepted[0]["min_size"]) == (row.default, row.minimum)
    assert intercepted[0]["shape"] == (row.default, row.default, 3)


@pytest.mark.parametrize("kwargs", [
    dict(weights=None, classes=0),
    dict(weights="path", classifier_activation="relu"),
], ids=["classes-0", "path-with-relu-top"])
def test_keras_checks_after_the_body(kwargs: dict[str, Any], weights_file: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The two table rows Keras checks only once the body is built: one small real build each."""
    import keras
    from keras.src.utils import file_utils

    monkeypatch.setattr(file_utils, "get_file", lambda *a, **k: pytest.fail("download attempted"))
    kwargs = {**kwargs, "weights": weights_file if kwargs["weights"] == "path" else kwargs["weights"]}
    keras.backend.clear_session()
    with pytest.raises(ValueError):
        keras.applications.VGG16(input_shape=(32, 32, 3), **kwargs)
    with pytest.raises(InvalidArgumentError):
        plan_input(synthetic(224, 32), include_top=True, input_shape=(32, 32, 3), input_tensor_shape=None,
                   pooling=None, **{"classes": 1000, **kwargs})


@pytest.mark.parametrize(("fmt", "shape", "weights"), [
    ("channels_last", (3, 224, 224), "imagenet"),
    ("channels_last", (3, 224, 224), None),
    ("channels_first", (224, 224, 3), "imagenet"),
    ("channels_first", (224, 224, 1), None),
])
def test_a_shape_of_the_other_data_format_is_named_as_such(fmt: str, shape: tuple, weights: str | None) -> None:
    spec = synthetic(224, 32)
    with pytest.raises(InputShapeError) as info:
        plan_input(spec, include_top=False, weights=weights, input_shape=shape, input_tensor_shape=None,
                   pooling=None, classes=1000, data_format=fmt)
    other = "channels_first" if fmt == "channels_last" else "channels_last"
    assert f"It looks like a {other} shape, but models build {fmt} here" in str(info.value)


def test_a_plain_too_small_shape_gets_no_data_format_hint() -> None:
    with pytest.raises(InputShapeError) as info:
        plan_input(synthetic(224, 32), include_top=False, weights=None, input_shape=(16, 16, 3),
                   input_tensor_shape=None, pooling=None, classes=1000)
    assert "It looks like" not in str(info.value)
