"""Loading a weight file into a built model: all or nothing.

Two layouts are read:

- the legacy Keras `.h5` layout of the official files (`layer_names` and
  per-layer `weight_names` attributes), matched to the model by the order of
  its weighted layers, as Keras does, because the official files' names come
  from Keras 2's global counter and differ from a fresh session's;
- the Keras 3 `.weights.h5` layout (`layers/<path>/vars/<i>`, each `vars`
  group naming its layer), matched by layer name.

Every shape is checked before the first assignment, so a file for another
model is refused naming the first mismatching layer and the model is left
exactly as it was.

Speed: the official files store every array contiguously and uncompressed,
so the loader walks the file's metadata with h5py's low-level API (the
high-level attribute and path lookups cost more than the data) and reads the
arrays as views of one memory map of the file; each byte is copied once,
straight into its variable. Chunked or compressed arrays are read by h5py.
"""

from __future__ import annotations

import math
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


class _File:
    """Low-level reads of an open h5py file: string attributes and arrays."""

    def __init__(self, handle: Any, path: str) -> None:
        import h5py

        self._h5 = h5py
        self.handle = handle
        self.path = path
        self._size = os.path.getsize(path)
        self._map: np.memmap | None = None

    def _read_attribute(self, obj_id: Any, name: str) -> list[str]:
        attribute = self._h5.h5a.open(obj_id, name.encode())
        values = np.empty(attribute.shape, dtype=attribute.dtype)
        attribute.read(values)
        if values.dtype.kind not in "OSU":  # Keras writes an empty float array for no names
            return []
        return [_text(v) for v in values.ravel()]

    def strings(self, obj_id: Any, name: str) -> list[str] | None:
        """A list-of-strings attribute, also when Keras split it (`name0`, `name1`, ...)."""
        h5a = self._h5.h5a
        if h5a.exists(obj_id, name.encode()):
            return self._read_attribute(obj_id, name)
        chunks = []
        while h5a.exists(obj_id, f"{name}{len(chunks)}".encode()):
            chunks.append(self._read_attribute(obj_id, f"{name}{len(chunks)}"))
        return [s for chunk in chunks for s in chunk] if chunks else None

    def array(self, parent_id: Any, name: str) -> np.ndarray:
        """The dataset `name` under `parent_id`: a view of the file where it is stored plainly."""
        dataset = self._h5.h5d.open(parent_id, name.encode())
        dtype = dataset.dtype
        shape = dataset.shape
        offset = dataset.get_offset()
        nbytes = math.prod(shape) * dtype.itemsize
        if offset is not None and dtype.kind in "fiub" and nbytes and offset + nbytes <= self._size:
            if self._map is None:
                self._map = np.memmap(self.path, mode="r")
            return np.ndarray(shape, dtype, buffer=self._map, offset=offset)
        values = np.empty(shape, dtype=dtype)
        if values.size:
            dataset.read(self._h5.h5s.ALL, self._h5.h5s.ALL, values)
        return values


def _read_legacy(file: _File, group: Any, layer_names: list[str]) -> list[_Entry]:
    h5g, h5o = file._h5.h5g, file._h5.h5o
    # One visit finds the groups that hold arrays; the weightless half of the
    # layers then costs no attribute read. Keras 2 named some layers with a
    # slash (DenseNet's `conv1/conv`), which h5py stores as nested groups, so
    # every ancestor of an array counts.
    holding: set[bytes] = set()

    def note(path: bytes, info: Any) -> None:
        if info.type == h5o.TYPE_DATASET:
            parts = path.split(b"/")
            holding.update(b"/".join(parts[:i]) for i in range(1, len(parts)))

    h5o.visit(group.id, note, info=True)
    entries = []
    for name in layer_names:
        if name.encode() not in holding:
            continue
        layer = h5g.open(group.id, name.encode())
        weight_names = file.strings(layer, "weight_names") or []
        if weight_names:
            entries.append(_Entry(name, [file.array(layer, w) for w in weight_names]))
    return entries


def _read_keras3(file: _File, group: Any) -> dict[str, list[np.ndarray]]:
    found: dict[str, list[np.ndarray]] = {}

    def visit(path: str, obj: Any) -> None:
        if path.endswith("/vars") or path == "vars":
            arrays = [file.array(obj.id, str(i)) for i in range(len(obj))]
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
        file = _File(f, path)
        group = f["model_weights"] if "model_weights" in f else f
        try:
            layer_names = file.strings(group.id, "layer_names")
            if layer_names is not None:
                return _pairs_legacy(model, _read_legacy(file, group, layer_names), skip, path)
            if "layers" in group:
                return _pairs_by_name(model, _read_keras3(file, group["layers"]), skip, path)
        except (KeyError, OSError) as exc:  # h5py's errors for a missing or unreadable object
            raise WeightsError(
                f"Cannot read weights from {path}: the file is damaged or not a Keras weight file ({exc}). "
                "Fetch the file again or pass a path to an intact one."
            ) from exc
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
            variable.assign(array)
