"""Loading a weight file into a built model: all or nothing.

Two layouts are read:

- the legacy Keras `.h5` layout of the official files (`layer_names` and
  per-layer `weight_names` attributes), matched to the model by the order of
  its weighted layers, as Keras does, because the official files' names come
  from Keras 2's global counter and differ from a fresh session's;
- the Keras 3 `.weights.h5` layout (`layers/<path>/vars/<i>`, each `vars`
  group naming its layer), matched by layer name.

Every array is read and every shape checked before the first assignment, so
a file for another model is refused naming the first mismatching layer and
the model is left exactly as it was.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._errors import WeightsError, WeightsMismatchError


@dataclass(frozen=True)
class _Entry:
    """One layer's arrays in a file, with the name the file gives it."""

    name: str
    arrays: list[np.ndarray]


def _text(value: Any) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def _read_legacy(group: Any) -> list[_Entry]:
    entries = []
    for raw in group.attrs["layer_names"]:
        name = _text(raw)
        layer = group[name]
        weight_names = [_text(w) for w in layer.attrs.get("weight_names", ())]
        if weight_names:
            entries.append(_Entry(name, [np.asarray(layer[w]) for w in weight_names]))
    return entries


def _read_keras3(group: Any) -> dict[str, list[np.ndarray]]:
    found: dict[str, list[np.ndarray]] = {}

    def visit(path: str, obj: Any) -> None:
        if path.endswith("/vars") or path == "vars":
            arrays = [np.asarray(obj[str(i)]) for i in range(len(obj))]
            if arrays:
                found[_text(obj.attrs.get("name", path))] = arrays

    group.visititems(visit)
    return found


def _weighted_layers(model: Any) -> list[Any]:
    # Keras orders a layer's legacy weights trainable first; for the layers
    # these models use that is also `layer.weights` order.
    return [layer for layer in model.layers if layer.weights]


def _legacy_weights(layer: Any) -> list[Any]:
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _mismatch(model: Any, layer: Any, file_name: str, expected: list[tuple[int, ...]],
              found: list[tuple[int, ...]], path: str) -> WeightsMismatchError:
    return WeightsMismatchError(
        f"The weights in {path} do not fit model {model.name!r}: layer {layer.name!r} has weights of "
        f"shapes {expected}, the file's layer {file_name!r} has {found}. Check that the file was "
        "saved from the same model with the same arguments (include_top, input size, alpha, classes)."
    )


def _pairs_legacy(model: Any, entries: list[_Entry], skip: Collection[str], path: str) -> list[tuple[Any, list]]:
    layers = _weighted_layers(model)
    pairs = []
    for layer, entry in zip(layers, entries):
        if layer.name in skip:
            continue
        variables = _legacy_weights(layer)
        expected = [tuple(v.shape) for v in variables]
        found = [a.shape for a in entry.arrays]
        if expected != found:
            raise _mismatch(model, layer, entry.name, expected, found, path)
        pairs.append((variables, entry.arrays))
    if len(layers) != len(entries):
        longer, extra = (layers, "model") if len(layers) > len(entries) else (entries, "file")
        first = longer[min(len(layers), len(entries))]
        raise WeightsMismatchError(
            f"The weights in {path} do not fit model {model.name!r}: the model has {len(layers)} layers "
            f"with weights, the file {len(entries)}; the first one only the {extra} has is "
            f"{first.name!r}. A file without top needs include_top=False, and a file with top needs "
            "include_top=True."
        )
    return pairs


def _pairs_by_name(model: Any, found: dict[str, list[np.ndarray]], skip: Collection[str],
                   path: str) -> list[tuple[Any, list]]:
    pairs = []
    for layer in _weighted_layers(model):
        if layer.name in skip:
            continue
        if layer.name not in found:
            raise WeightsMismatchError(
                f"The weights in {path} do not fit model {model.name!r}: the file has no weights for layer "
                f"{layer.name!r}. Check that the file was saved from the same model."
            )
        expected = [tuple(v.shape) for v in layer.weights]
        arrays = found[layer.name]
        if expected != [a.shape for a in arrays]:
            raise _mismatch(model, layer, layer.name, expected, [a.shape for a in arrays], path)
        pairs.append((list(layer.weights), arrays))
    return pairs


def read_pairs(model: Any, path: str | os.PathLike[str], skip: Collection[str] = ()) -> list[tuple[Any, list]]:
    """(variables, arrays) for every weighted layer of `model` not in `skip`, all shapes checked."""
    import h5py

    path = os.fspath(path)
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise WeightsError(
            f"Cannot read weights from {path}: {exc}. Weight files are HDF5 (`.h5` or `.weights.h5`); "
            "fetch the file again or pass a path to an intact one."
        ) from exc
    with handle as f:
        group = f["model_weights"] if "model_weights" in f else f
        if "layer_names" in group.attrs:
            return _pairs_legacy(model, _read_legacy(group), skip, path)
        if "layers" in group:
            return _pairs_by_name(model, _read_keras3(group["layers"]), skip, path)
    raise WeightsError(
        f"{path} is an HDF5 file but holds no Keras weights (neither the legacy `layer_names` layout nor "
        "the Keras 3 `.weights.h5` layout). Save weights with `model.save_weights(...)`."
    )


def load_weights(model: Any, path: str | os.PathLike[str], *, skip: Collection[str] = ()) -> None:
    """Load `path` into `model`, leaving the layers named in `skip` as built.

    Raises `WeightsMismatchError` (a `ValueError`) before touching the model
    when any shape differs, `WeightsError` (an `OSError`) when the file
    cannot be read.
    """
    for variables, arrays in read_pairs(model, path, skip):
        for variable, array in zip(variables, arrays):
            variable.assign(array.astype(variable.dtype, copy=False))
