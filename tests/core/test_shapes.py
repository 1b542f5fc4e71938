"""The shared shape rules (`registry_core._shapes`), without building models.

Three checks:
- `test_rules_*`: over the whole argument space, a call is accepted exactly
  when the rules (written out in `expected`) say so, and resolves the shape
  they say, for every registered spec and for synthetic specs;
- `test_matches_keras`: a differential property against Keras' own rules
  (`obtain_input_shape` and the generic constructors' own checks, `keras_outcome`),
  holding everywhere except the departures DESIGN.md lists;
- `test_keras_constructors_*`: the real constructors, on a small fixed sample
  with downloads patched out, agree with the written table.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from registry_core import InputShapeError, InvalidArgumentError, Metadata, ModelSpec, RegistryError, registry
from registry_core._shapes import check_input_tensor, plan_input

FORMATS = ("channels_last", "channels_first")
ACTIVATIONS = ("softmax", None, "linear", "relu", "sigmoid")
POOLINGS = (None, "avg", "max", "sum")

#: Keras 3.15.1's generic constructors: (default size, minimum size, refuses channels_first).
#: ResNeXt comes from keras_applications 1.0.8, whose rules are the same. NASNet and
#: MobileNet add rules of their own, tested by their families.
KERAS_CONSTRUCTORS: dict[str, tuple[int, int, bool]] = {
    **dict.fromkeys(("VGG16", "VGG19"), (224, 32, False)),
    **dict.fromkeys(("ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2"),
                    (224, 32, False)),
    **dict.fromkeys(("ResNeXt50", "ResNeXt101"), (224, 32, False)),
    **dict.fromkeys(("DenseNet121", "DenseNet169", "DenseNet201"), (224, 32, True)),
    "InceptionV3": (299, 75, False),
    "InceptionResNetV2": (299, 75, False),
    "Xception": (299, 71, False),
}

SPECS = registry.specs()
GENERIC = [s for s in SPECS if any(a in KERAS_CONSTRUCTORS for a in s.aliases)]


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


@st.composite
def input_shapes(draw: st.DrawFn, fmt: str, default: int) -> Any:
    """None, a shape (tuple or list) in `fmt`'s order, or one of the wrong length."""
    kind = draw(st.sampled_from(["none", "shape", "shape", "shape", "default", "wrong"]))
    if kind == "none":
        return None
    if kind == "wrong":
        return tuple(draw(st.lists(st.integers(1, 300), max_size=4).filter(lambda s: len(s) != 3)))
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


def check_against_rules(spec: ModelSpec, call: dict[str, Any], weights_file: str,
                        default_size: int | None = None) -> None:
    got = ours(spec, call, weights_file, default_size=default_size)
    want = expected(spec, call, default_size)
    if want is None:
        assert isinstance(got, ValueError) and isinstance(got, RegistryError), (call, got)
        assert "Received" in str(got) and str(got).startswith(spec.name), got
    else:
        assert got == want, call


# -- our rules, stated -------------------------------------------------------------------
RULES = settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.skipif(not SPECS, reason="no model plugin installed")
@RULES
@given(data=st.data())
def test_rules_hold_for_every_registered_spec(data: st.DataObject, weights_file: str) -> None:
    spec = data.draw(st.sampled_from(SPECS), label="spec")
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
    else:
        assert not refused


def test_a_path_that_is_no_file_is_refused(tmp_path: Path) -> None:
    spec = synthetic(224, 32)
    with pytest.raises(InvalidArgumentError, match=r"Received: weights='.*missing.h5'"):
        plan_input(spec, include_top=True, weights=str(tmp_path / "missing.h5"), input_shape=None,
                   input_tensor_shape=None, pooling=None, classes=1000)


def test_a_format_the_spec_lacks_is_refused() -> None:
    spec = dataclasses.replace(synthetic(224, 32), formats=("channels_last",))
    with pytest.raises(InvalidArgumentError, match="builds only in channels_last"):
        plan_input(spec, include_top=True, weights=None, input_shape=None, input_tensor_shape=None,
                   pooling=None, classes=1000, data_format="channels_first")


# -- Keras' rules --------------------------------------------------------------------------
def keras_outcome(row: tuple[int, int, bool], call: dict[str, Any], weights_file: str) -> tuple | None:
    """What a generic Keras constructor does: the shape it builds, or None when it raises.

    The written table of the constructors' own checks, in their order, around the real
    `obtain_input_shape`, `Dense` and `validate_activation`. Pooling is ignored by Keras.
    """
    import keras
    from keras.src.applications import imagenet_utils

    default, minimum, refuses_cf = row
    weights = weights_file if call["weights"] == "path" else call["weights"]
    top, classes = call["include_top"], call["classes"]
    if refuses_cf and call["data_format"] == "channels_first":
        return None
    if weights == "imagenet" and top and classes != 1000:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "usually expects 1 or 3 input channels"
            shape = imagenet_utils.obtain_input_shape(
                call["input_shape"], default_size=default, min_size=minimum, data_format=call["data_format"],
                require_flatten=top, weights=weights)
        if top:
            keras.layers.Dense(classes, activation=call["classifier_activation"])
            imagenet_utils.validate_activation(call["classifier_activation"], weights)
    except ValueError:
        return None
    return tuple(shape)


@st.composite
def keras_cases(draw: st.DrawFn) -> tuple[ModelSpec, tuple[int, int, bool], dict[str, Any]]:
    """A registered generic spec with its Keras row, or a synthetic spec with a made-up row."""
    if GENERIC and draw(st.booleans()):
        spec = draw(st.sampled_from(GENERIC))
        row = next(KERAS_CONSTRUCTORS[a] for a in spec.aliases if a in KERAS_CONSTRUCTORS)
    else:
        default = draw(st.integers(1, 600))
        row = (default, draw(st.integers(1, default)), False)
        spec = synthetic(row[0], row[1])
    return spec, row, draw(calls(spec))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=keras_cases())
def test_matches_keras(case: tuple, weights_file: str) -> None:
    spec, row, call = case
    got = ours(spec, call, weights_file)
    if call["pooling"] not in (None, "avg", "max"):  # kept departure: Keras ignores any pooling
        assert isinstance(got, InvalidArgumentError), (call, got)
        return
    # The departures DESIGN.md lists, each mapped onto the Keras call that must agree:
    if row[2] and call["data_format"] == "channels_first":  # every model builds in channels_first
        row = (row[0], row[1], False)
    new_head = False
    if call["weights"] == "imagenet" and call["include_top"] and call["classes"] != 1000 and (
            call["classes"] >= 1):  # a pretrained backbone with a new head, of any activation
        call, new_head = {**call, "classes": 1000, "classifier_activation": "softmax"}, True
    # Kept departure: a list input_shape counts as the tuple it spells (Keras refuses any
    # list with a pretrained top).
    if isinstance(call["input_shape"], list) and call["weights"] == "imagenet" and call["include_top"]:
        call = {**call, "input_shape": tuple(call["input_shape"])}
    want = keras_outcome(row, call, weights_file)
    if want is None:
        assert isinstance(got, InvalidArgumentError), (call, got)
    else:
        assert got == (want, new_head), call


@pytest.mark.parametrize("spec", GENERIC, ids=lambda s: s.name)
def test_registered_sizes_match_keras(spec: ModelSpec) -> None:
    row = next(KERAS_CONSTRUCTORS[a] for a in spec.aliases if a in KERAS_CONSTRUCTORS)
    assert (spec.default_size, spec.min_size) == row[:2]


# -- the real constructors, on a fixed sample -----------------------------------------------
class _Stop(Exception):
    """Raised where Keras would go on to build (or download), with what it decided."""


@pytest.fixture
def intercepted(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Make every Keras constructor stop right after its shape rules, recording them."""
    from keras.src.applications import imagenet_utils
    from keras.src.utils import file_utils

    seen: list[dict[str, Any]] = []
    real = imagenet_utils.obtain_input_shape

    def obtain(input_shape: Any, **kwargs: Any) -> Any:
        shape = real(input_shape, **kwargs)
        seen.append({**kwargs, "shape": tuple(shape)})
        raise _Stop

    def no_download(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"download attempted: {args}")

    monkeypatch.setattr(imagenet_utils, "obtain_input_shape", obtain)
    monkeypatch.setattr(file_utils, "get_file", no_download)
    return seen


SAMPLE = [  # (arguments, accepted by the constructor's checks and shape rules)
    (dict(weights=None, include_top=False, input_shape=None), True),
    (dict(weights="imagenet", include_top=True, classes=10), False),
    (dict(weights="no/such/file.h5"), False),
    (dict(weights="imagenet", include_top=False, input_shape=(100, 120, 1)), False),
    (dict(weights=None, include_top=False, input_shape=(100, 120, 1)), True),
    (dict(weights=None, include_top=True, input_shape=(None, None, 3)), False),
]


@pytest.mark.parametrize("name", sorted(set(KERAS_CONSTRUCTORS) - {"ResNeXt50", "ResNeXt101"}))
def test_keras_constructors_follow_the_table(name: str, intercepted: list[dict[str, Any]]) -> None:
    import keras

    constructor = getattr(keras.applications, name)
    default, minimum, _ = KERAS_CONSTRUCTORS[name]
    (mine,) = [s for s in GENERIC if name in s.aliases]  # every family is installed for the tests
    for kwargs, accepted in [*SAMPLE, (dict(weights=None, include_top=False,
                                            input_shape=(minimum - 1, minimum, 3)), False)]:
        with pytest.raises(_Stop if accepted else ValueError):
            constructor(**kwargs)
        call = dict(dict(include_top=True, input_shape=None, classes=1000), **kwargs)
        try:
            plan_input(mine, input_tensor_shape=None, pooling=None, **call)
        except InvalidArgumentError:
            assert not accepted or call["classes"] != 1000, kwargs
        else:
            assert accepted or call["classes"] != 1000, kwargs  # the new-head departure
    intercepted.clear()
    with pytest.raises(_Stop):
        constructor(weights="imagenet", include_top=True)
    assert (intercepted[0]["default_size"], intercepted[0]["min_size"]) == (default, minimum)
    assert intercepted[0]["shape"] == (default, default, 3)


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
