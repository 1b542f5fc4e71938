"""Specs against the newer seed's table, spec validation, and the package's public surface."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import registry_core
from registry_core import InvalidSpecError, Metadata, ModelSpec, RegistryError, WeightFile, registry

#: The newer seed's table (000): Keras class name -> (family, size MB, top-1, top-5, parameters, depth).
SEED_TABLE: dict[str, tuple[str, float, float, float, int, int | None]] = {
    "Xception": ("xception", 88, 0.790, 0.945, 22_910_480, 126),
    "VGG16": ("vgg", 528, 0.713, 0.901, 138_357_544, 23),
    "VGG19": ("vgg", 549, 0.713, 0.900, 143_667_240, 26),
    "ResNet50": ("resnet", 98, 0.749, 0.921, 25_636_712, None),
    "ResNet101": ("resnet", 171, 0.764, 0.928, 44_707_176, None),
    "ResNet152": ("resnet", 232, 0.766, 0.931, 60_419_944, None),
    "ResNet50V2": ("resnet", 98, 0.760, 0.930, 25_613_800, None),
    "ResNet101V2": ("resnet", 171, 0.772, 0.938, 44_675_560, None),
    "ResNet152V2": ("resnet", 232, 0.780, 0.942, 60_380_648, None),
    "ResNeXt50": ("resnet", 96, 0.777, 0.938, 25_097_128, None),
    "ResNeXt101": ("resnet", 170, 0.787, 0.943, 44_315_560, None),
    "InceptionV3": ("inception", 92, 0.779, 0.937, 23_851_784, 159),
    "InceptionResNetV2": ("inception", 215, 0.803, 0.953, 55_873_736, 572),
    "MobileNet": ("mobilenet", 16, 0.704, 0.895, 4_253_864, 88),
    "MobileNetV2": ("mobilenet", 14, 0.713, 0.901, 3_538_984, 88),
    "DenseNet121": ("densenet", 33, 0.750, 0.923, 8_062_504, 121),
    "DenseNet169": ("densenet", 57, 0.762, 0.932, 14_307_880, 169),
    "DenseNet201": ("densenet", 80, 0.773, 0.936, 20_242_984, 201),
    "NASNetMobile": ("nasnet", 23, 0.744, 0.919, 5_326_716, None),
    "NASNetLarge": ("nasnet", 343, 0.825, 0.960, 88_949_818, None),
}
FAMILIES = {row[0] for row in SEED_TABLE.values()}
KERAS_SPECS = [s for s in registry.specs() if s.family in FAMILIES]


@pytest.mark.parametrize("spec", KERAS_SPECS, ids=lambda s: s.name)
def test_metadata_matches_the_seed_table(spec: ModelSpec) -> None:
    (alias,) = [a for a in spec.aliases if a in SEED_TABLE]
    family, size_mb, top1, top5, parameters, depth = SEED_TABLE[alias]
    m = spec.metadata
    assert spec.family == family
    assert (m.parameters, m.depth, m.top1, m.top5, m.size_mb) == (parameters, depth, top1, top5, size_mb)
    assert m.paper and m.license


@pytest.mark.parametrize("family", sorted(FAMILIES & set(registry.families())))
def test_an_installed_family_registers_all_its_models(family: str) -> None:
    registered = {a for s in registry.specs() if s.family == family for a in s.aliases}
    assert {k for k, row in SEED_TABLE.items() if row[0] == family} <= registered


def test_the_seven_families_are_installed() -> None:
    assert set(registry.families()) >= FAMILIES


# -- spec validation ---------------------------------------------------------------------------
_GOOD = dict(name="net", family="f", builder="m:f", default_size=224, min_size=32, preprocessing="tf",
             metadata=Metadata(parameters=1))


@pytest.mark.parametrize(("change", "message"), [
    (dict(name="Net"), "snake_case"),
    (dict(name="1net"), "snake_case"),
    (dict(builder="module.function"), "'module:function'"),
    (dict(preprocessing="inception"), "preprocessing must be one of"),
    (dict(formats=()), "formats must be a non-empty subset"),
    (dict(formats=("channels_middle",)), "formats must be a non-empty subset"),
    (dict(min_size=300), "need 1 <= min_size <= default_size"),
    (dict(min_size=0), "need 1 <= min_size <= default_size"),
    (dict(weights={"imagenet": {"top": "https://x/y.h5"}}), "must be a WeightFile"),
    (dict(aliases="Net"), "aliases must be a tuple of names"),  # a string would give aliases N, e, t
    (dict(aliases=("Net", "")), "aliases must be a tuple of names"),
])
def test_malformed_specs_are_refused(change: dict, message: str) -> None:
    with pytest.raises(InvalidSpecError, match="Received") as exc:
        ModelSpec(**{**_GOOD, **change})
    assert message in str(exc.value) and isinstance(exc.value, ValueError)


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(file_name="a/b.h5"), "plain base name"),
    (dict(file_name=".."), "plain base name"),
    (dict(file_name=".hidden.h5"), "plain base name"),  # the store's own rule, applied at registration
    (dict(file_name="c:w.h5"), "plain base name"),
    (dict(origin="ftp://x/w.h5"), "origin must be an https, http or file URL"),
    (dict(origin="x/w.h5"), "origin must be an https, http or file URL"),
    (dict(hash="0" * 32), "give both `hash` and `hash_algorithm`"),
    (dict(hash="0" * 32, hash_algorithm="sha1"), "hash_algorithm must be one of"),
    (dict(hash="0" * 31, hash_algorithm="md5"), "32 lowercase hex digits"),
    (dict(hash="A" * 64, hash_algorithm="sha256"), "64 lowercase hex digits"),
])
def test_malformed_weight_files_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidSpecError, match=message):
        WeightFile(**{"file_name": "w.h5", "origin": "https://x/w.h5", **kwargs})


def test_specs_are_frozen_all_the_way_down() -> None:
    wf = WeightFile("w.h5", "https://x/w.h5", "0" * 32, "md5")
    spec = ModelSpec(**_GOOD, aliases=["Net"], weights={"imagenet": {"top": wf}}, feature_stages={"s": "l"})
    assert spec.aliases == ("Net",) and spec.pretrained == ("imagenet",)
    with pytest.raises(TypeError):
        spec.weights["imagenet"]["no_top"] = wf  # type: ignore[index]
    with pytest.raises(TypeError):
        spec.feature_stages["t"] = "m"  # type: ignore[index]
    assert spec.weight_file("imagenet", "top") is wf
    with pytest.raises(LookupError, match=r"no weight file for tag 'imagenet', variant 'no_top'"):
        spec.weight_file("imagenet", "no_top")


# -- the public surface ---------------------------------------------------------------------------
def test_init_only_reexports_a_sorted_all() -> None:
    assert registry_core.__all__ == sorted(registry_core.__all__)
    tree = ast.parse(Path(registry_core.__file__).read_text())
    kinds = {type(node).__name__ for node in tree.body}
    assert kinds <= {"Expr", "ImportFrom", "Assign"}, kinds  # docstring, imports, __all__
    imported = {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
    assert imported == set(registry_core.__all__)


def test_the_package_is_typed() -> None:
    assert (Path(registry_core.__file__).parent / "py.typed").is_file()
    for name in registry_core.__all__:
        obj = getattr(registry_core, name)
        if inspect.isfunction(obj):
            hints = obj.__annotations__
            assert "return" in hints and set(inspect.signature(obj).parameters) <= set(hints) | {"family_args"}, name


def test_every_error_has_one_root_and_a_builtin() -> None:
    errors = [getattr(registry_core, n) for n in registry_core.__all__ if n.endswith("Error")]
    assert len(errors) > 10
    for cls in errors:
        assert issubclass(cls, RegistryError)
        if cls is not RegistryError:
            builtins = [b for b in cls.__mro__ if b.__module__ == "builtins" and b not in (Exception, BaseException,
                                                                                           object)]
            assert builtins, f"{cls.__name__} inherits no builtin besides Exception"
        assert not issubclass(cls, KeyError), f"{cls.__name__}: KeyError quotes its message"
