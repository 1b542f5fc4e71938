"""Frozen descriptions of models and their weight files."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal
from urllib.parse import urlsplit

from ._download import SCHEMES
from ._errors import InvalidSpecError, UnsafeSourceError
from ._paths import checked_name

HashAlgorithm = Literal["md5", "sha256"]
Preprocessing = Literal["caffe", "tf", "torch"]
DataFormat = Literal["channels_last", "channels_first"]

PREPROCESSING_MODES: tuple[str, ...] = ("caffe", "tf", "torch")
DATA_FORMATS: tuple[str, ...] = ("channels_last", "channels_first")
#: The variant keys every family uses for its plain files; families with a
#: grid of files (MobileNet) add variants of their own.
TOP = "top"
NO_TOP = "no_top"

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_HEX = {"md5": 32, "sha256": 64}


@dataclass(frozen=True)
class WeightFile:
    """One published weight file.

    `hash` is the publisher's hash in `hash_algorithm`; both are None when the
    publisher gives none, and the store then pins the first verified download.
    """

    file_name: str
    origin: str
    hash: str | None = None
    hash_algorithm: HashAlgorithm | None = None
    size: int | None = None
    license: str | None = None

    def __post_init__(self) -> None:
        try:
            checked_name(self.file_name)
        except UnsafeSourceError as exc:
            raise InvalidSpecError(str(exc)) from None
        scheme = urlsplit(self.origin).scheme if isinstance(self.origin, str) else None
        if scheme not in SCHEMES:
            raise InvalidSpecError(
                f"{self.file_name}: the origin must be an {', '.join(SCHEMES[:-1])} or {SCHEMES[-1]} URL. Received: "
                f"origin={self.origin!r}. Give the URL the publisher serves the file from."
            )
        if (self.hash is None) != (self.hash_algorithm is None):
            raise InvalidSpecError(
                f"{self.file_name}: give both `hash` and `hash_algorithm`, or neither. "
                f"Received: hash={self.hash!r}, hash_algorithm={self.hash_algorithm!r}."
            )
        if self.hash_algorithm is not None:
            if self.hash_algorithm not in _HEX:
                raise InvalidSpecError(
                    f"{self.file_name}: hash_algorithm must be one of {sorted(_HEX)}. "
                    f"Received: {self.hash_algorithm!r}."
                )
            assert self.hash is not None
            if not re.fullmatch(rf"[0-9a-f]{{{_HEX[self.hash_algorithm]}}}", self.hash):
                raise InvalidSpecError(
                    f"{self.file_name}: {self.hash_algorithm} must be {_HEX[self.hash_algorithm]} "
                    f"lowercase hex digits. Received: hash={self.hash!r}."
                )


@dataclass(frozen=True)
class DataConfig:
    """How an image becomes the model's input before `preprocess_input`."""

    interpolation: str = "bilinear"
    crop_fraction: float = 0.875


@dataclass(frozen=True)
class Metadata:
    """Published facts about a model (the newer seed's table)."""

    parameters: int
    depth: int | None = None
    top1: float | None = None
    top5: float | None = None
    size_mb: float | None = None
    paper: str = ""
    license: str = ""


def _freeze(mapping: Mapping) -> Mapping:
    return MappingProxyType(
        {k: _freeze(v) if isinstance(v, Mapping) else v for k, v in mapping.items()}
    )


@dataclass(frozen=True)
class ModelSpec:
    """Everything the registry knows about a model without importing keras.

    `builder` is `"module:function"`, imported only when a model is built.
    `weights` maps a tag (`"imagenet"`) to variants (`"top"`, `"no_top"`, or
    family-specific keys) to `WeightFile`s. `classifier` names the layer that
    a new head replaces; `flatten_top` marks a top that takes only the default
    size (VGG's Flatten); `static_pretrained_shape` marks models whose
    pretrained weights need a fully known input shape (NASNet).
    """

    name: str
    family: str
    builder: str
    default_size: int
    min_size: int
    preprocessing: Preprocessing
    metadata: Metadata
    aliases: tuple[str, ...] = ()
    formats: tuple[DataFormat, ...] = ("channels_last", "channels_first")
    data_config: DataConfig = DataConfig()
    weights: Mapping[str, Mapping[str, WeightFile]] = field(default_factory=dict)
    feature_stages: Mapping[str, str] = field(default_factory=dict)
    classifier: str = "predictions"
    flatten_top: bool = False
    static_pretrained_shape: bool = False

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise InvalidSpecError(
                f"Model names are snake_case ([a-z][a-z0-9_]*). Received: name={self.name!r}."
            )
        if ":" not in self.builder:
            raise InvalidSpecError(
                f"{self.name}: builder must be 'module:function'. Received: builder={self.builder!r}."
            )
        if self.preprocessing not in PREPROCESSING_MODES:
            raise InvalidSpecError(
                f"{self.name}: preprocessing must be one of {PREPROCESSING_MODES}. "
                f"Received: {self.preprocessing!r}."
            )
        bad = [f for f in self.formats if f not in DATA_FORMATS]
        if bad or not self.formats:
            raise InvalidSpecError(
                f"{self.name}: formats must be a non-empty subset of {DATA_FORMATS}. Received: {self.formats!r}."
            )
        if not 1 <= self.min_size <= self.default_size:
            raise InvalidSpecError(
                f"{self.name}: need 1 <= min_size <= default_size. "
                f"Received: min_size={self.min_size}, default_size={self.default_size}."
            )
        for tag, variants in self.weights.items():
            for variant, wf in variants.items():
                if not isinstance(wf, WeightFile):
                    raise InvalidSpecError(
                        f"{self.name}: weights[{tag!r}][{variant!r}] must be a WeightFile. Received: {wf!r}."
                    )
        if isinstance(self.aliases, str) or not all(isinstance(a, str) and a for a in self.aliases):
            raise InvalidSpecError(
                f"{self.name}: aliases must be a tuple of names, e.g. ('ResNet50',). Received: aliases={self.aliases!r}."
            )
        object.__setattr__(self, "aliases", tuple(self.aliases))
        object.__setattr__(self, "formats", tuple(self.formats))
        object.__setattr__(self, "weights", _freeze(self.weights))
        object.__setattr__(self, "feature_stages", _freeze(self.feature_stages))

    @property
    def pretrained(self) -> tuple[str, ...]:
        """The weight tags this model can load, e.g. `("imagenet",)`."""
        return tuple(self.weights)

    def weight_file(self, tag: str, variant: str) -> WeightFile:
        """The file for `tag` and `variant`; `LookupError` naming what exists."""
        from ._errors import UnknownModelError

        try:
            return self.weights[tag][variant]
        except KeyError:
            known = {t: sorted(v) for t, v in self.weights.items()}
            raise UnknownModelError(
                f"{self.name} has no weight file for tag {tag!r}, variant {variant!r}. "
                f"Available: {known}."
            ) from None
