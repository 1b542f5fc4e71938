"""Checks the Inception and Xception tests share: whole layer lists, stages, channels_first.

The equivalence harness compares weighted layers; these compare every layer
(poolings, concatenations, sums, activations), whose names Keras mostly
leaves to its counter, and run the same weights in both data formats.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import keras
import numpy as np


def stage_sizes(model: Any, stages: Mapping[str, str]) -> list[int]:
    """The spatial size (channels_last) at each feature stage of `model`."""
    return [model.get_layer(layer).output.shape[1] for layer in stages.values()]


def layer_list(model: Any) -> list[tuple[str, str]]:
    return [(layer.name, type(layer).__name__) for layer in model.layers]


def assert_same_layers(ours: Any, reference: Any) -> None:
    """Every layer's name and class, in order.

    The input layer's class only: `build_model` leaves its name to Keras (an
    input named explicitly would clash when two models share a graph).
    """
    got, want = layer_list(ours), layer_list(reference)
    assert len(got) == len(want)
    assert got[0][1] == want[0][1] == "InputLayer"
    mismatches = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if i and g != w]
    assert not mismatches, f"{len(mismatches)} layers differ, the first (index, ours, reference): {mismatches[0]}"


@contextlib.contextmanager
def channels_first() -> Iterator[None]:
    keras.config.set_image_data_format("channels_first")
    try:
        yield
    finally:
        keras.config.set_image_data_format("channels_last")


def layer_outputs(model: Any, names: Sequence[str], x: np.ndarray) -> list[np.ndarray]:
    """The outputs of the layers `names` for `x`, in inference mode."""
    taps = keras.Model(model.inputs[0], [model.get_layer(name).output for name in names])
    return [np.asarray(out) for out in taps(x, training=False)]


def assert_channels_first_matches(last: Any, build_first: Callable[[], Any], names: Sequence[str]) -> None:
    """`build_first()` in channels_first, given `last`'s weights, gives `last`'s outputs at `names`."""
    with channels_first():
        first = build_first()
    assert [layer.name for layer in first.layers[1:]] == [layer.name for layer in last.layers[1:]]
    first.set_weights(last.get_weights())
    x = np.random.default_rng(0).uniform(-1, 1, (1, *last.input_shape[1:])).astype("float32")
    expected = layer_outputs(last, names, x)
    got = layer_outputs(first, names, x.transpose(0, 3, 1, 2))
    for name, g, e in zip(names, got, expected):
        assert_close(g.transpose(0, 2, 3, 1), e, name)


def assert_close(got: np.ndarray, expected: np.ndarray, name: str = "") -> None:
    """Within 1e-5 of the largest magnitude: random weights give outputs of any scale."""
    assert got.shape == expected.shape, name
    scale = max(float(np.abs(expected).max()), 1e-12)
    np.testing.assert_allclose(got / scale, expected / scale, rtol=0, atol=1e-5, err_msg=name)
