"""`decode_predictions` with the real class index, fetched through the store
from a loopback mirror and verified against its published md5."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from registry_core import InvalidArgumentError, OfflineError
from registry_core._decode import CLASS_INDEX, class_index, decode_predictions
from registry_core._store import WeightStore


@pytest.fixture
def mirrored(shared_weights, weight_server, tmp_cache, monkeypatch):
    """The official class index served by a loopback mirror, as the origin cannot be reached."""
    weight_server.serve("mirror/imagenet_class_index.json", shared_weights / "imagenet_class_index.json")
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", f"{weight_server.base}/mirror")
    return shared_weights / "imagenet_class_index.json"


def test_class_index_is_the_published_file(mirrored, weight_server):
    index = class_index(WeightStore())
    raw = json.loads(mirrored.read_text())
    assert len(index) == 1000 and index[0] == tuple(raw["0"]) == ("n01440764", "tench")
    assert index[285] == ("n02124075", "Egyptian_cat") and index[999] == ("n15075141", "toilet_tissue")
    assert weight_server.count("mirror/imagenet_class_index.json") == 1


def test_decode_orders_by_score(mirrored):
    preds = np.zeros((2, 1000), dtype="float32")
    preds[0, [285, 281, 287]] = [0.5, 0.34, 0.05]
    preds[1, 0] = 1.0
    first, second = decode_predictions(preds, top=3, store=WeightStore())
    assert first == [("n02124075", "Egyptian_cat", 0.5), ("n02123045", "tabby", pytest.approx(0.34)),
                     ("n02127052", "lynx", pytest.approx(0.05))]
    assert second[0] == ("n01440764", "tench", 1.0) and len(second) == 3
    assert all(isinstance(score, float) for _, _, score in first)


def test_decode_through_the_default_registry_store(mirrored):
    preds = np.eye(1000, dtype="float32")[[7]]
    assert decode_predictions(preds)[0][0][:2] == ("n01514668", "cock")
    assert len(decode_predictions(preds, top=1000)[0]) == 1000


def test_decode_offline_from_a_file_mirror(shared_weights, tmp_cache, monkeypatch):
    monkeypatch.setenv("REGISTRY_OFFLINE", "1")
    with pytest.raises(OfflineError, match="imagenet_class_index.json"):
        WeightStore().fetch(CLASS_INDEX)
    monkeypatch.setenv("REGISTRY_WEIGHTS_MIRROR", shared_weights.as_uri())
    assert decode_predictions(np.eye(1000)[[1]], top=1, store=WeightStore())[0][0][1] == "goldfish"


@pytest.mark.parametrize("shape", [(1000,), (2, 10), (1, 1000, 1)])
def test_decode_refuses_other_shapes(shape):
    with pytest.raises(InvalidArgumentError, match=re.escape(f"(batch, 1000). Received: an array of shape {shape}")):
        decode_predictions(np.zeros(shape))


@pytest.mark.parametrize("top", [0, 1001, 2.0, True, "5"])
def test_decode_refuses_bad_top(top):
    with pytest.raises(InvalidArgumentError, match="`top` must be an integer from 1 to 1000"):
        decode_predictions(np.zeros((1, 1000)), top=top)
