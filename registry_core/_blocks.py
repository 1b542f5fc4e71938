"""What architecture modules share: Keras' counter names and the pooled head.

Keras names a layer left unnamed from a session-wide counter (`conv2d`,
`conv2d_1`, ...), so the reference's names depend on what was built before.
Our architectures give those layers explicitly the names a fresh session
gives them, counted per build with `LayerNames`. Importing this module never
imports keras; `pooled_head` imports it when called.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._build import BuildPlan


class LayerNames:
    """Keras' counter names, counted for one build: `names("add")` gives `add`, then `add_1`, ..."""

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()

    def __call__(self, prefix: str) -> str:
        n = self._seen[prefix]
        self._seen[prefix] += 1
        return prefix if n == 0 else f"{prefix}_{n}"


def pooled_head(x: Any, plan: BuildPlan, names: LayerNames, *, pool_name: str = "avg_pool") -> Any:
    """The head most Keras Applications share.

    With top: global average pooling named `pool_name`, then the `predictions`
    classifier. Without: the optional global pooling (`plan.pooling`), which
    Keras leaves to its counter.
    """
    from keras import layers

    if plan.include_top:
        x = layers.GlobalAveragePooling2D(name=pool_name)(x)
        return layers.Dense(plan.classes, activation=plan.classifier_activation, name="predictions")(x)
    if plan.pooling == "avg":
        return layers.GlobalAveragePooling2D(name=names("global_average_pooling2d"))(x)
    if plan.pooling == "max":
        return layers.GlobalMaxPooling2D(name=names("global_max_pooling2d"))(x)
    return x
