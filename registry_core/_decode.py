"""`decode_predictions`: ImageNet class scores to `(wnid, label, score)`.

The class index is a weight-store file like any other: fetched once from its
official URL, verified against its published md5, cached, mirrored and
available offline the same way as the weights.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from ._errors import InvalidArgumentError
from ._spec import WeightFile

if TYPE_CHECKING:
    import numpy as np

CLASS_INDEX = WeightFile(
    "imagenet_class_index.json",
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
    "c2c37ea517e94d9795004a39431a14cb",
    "md5",
)


@functools.lru_cache(maxsize=4)
def _class_index(path: str) -> tuple[tuple[str, str], ...]:
    with open(path, encoding="utf8") as f:
        raw = json.load(f)
    return tuple((raw[str(i)][0], raw[str(i)][1]) for i in range(len(raw)))


def class_index(store: Any = None) -> tuple[tuple[str, str], ...]:
    """`(wnid, label)` for each of the 1000 ImageNet classes, in class order."""
    if store is None:
        from ._registry import registry

        store = registry.store
    return _class_index(str(store.fetch(CLASS_INDEX)))


def decode_predictions(preds: Any, top: int = 5, *, store: Any = None) -> list[list[tuple[str, str, float]]]:
    """The `top` classes of each row of `preds` (shape `(batch, 1000)`), best first."""
    import numpy as np  # here, not at import: `registry list` never needs numpy
    scores = np.asarray(preds)
    if scores.ndim != 2 or scores.shape[1] != 1000:
        raise InvalidArgumentError(
            "decode_predictions expects ImageNet scores of shape (batch, 1000). "
            f"Received: an array of shape {scores.shape}. Pass the output of a model built with "
            "include_top=True and classes=1000."
        )
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= 1000:
        raise InvalidArgumentError(f"`top` must be an integer from 1 to 1000. Received: top={top!r}.")
    index = class_index(store)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :top]
    return [[(*index[i], float(row[i])) for i in best] for row, best in zip(scores, order)]
