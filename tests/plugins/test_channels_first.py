"""channels_first across the registry, without building a model (issue 10).

Every model declares both data formats and `registry list`/`info` say so;
each Keras module's `preprocess_input` works on the channel axis of the data
format it is given or, when given none, of Keras' setting; the input rules
read height and width from the channels_first positions. Builds and outputs
in channels_first, on every backend, are test_backends.py's.
"""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest

from registry_core import InputShapeError, registry
from registry_core._cli import main

from .references import REFERENCES

FORMATS = ["channels_last", "channels_first"]
#: The Keras Applications models installed (not the example plugin's).
MODELS = [m for m in registry.list() if m in REFERENCES]
#: Their Keras modules (`registry_vgg.vgg16`, ...), where users find `preprocess_input`.
MODULES = sorted({registry.info(m).builder.partition(":")[0] for m in MODELS})


def test_every_model_lists_both_formats(capsys):
    assert main(["list", "--json"]) == 0
    listed = {entry["name"]: entry["formats"] for entry in json.loads(capsys.readouterr().out)}
    assert {name: listed[name] for name in MODELS} == {name: FORMATS for name in MODELS}


@pytest.mark.parametrize("model", MODELS)
def test_info_names_both_formats(model, capsys):
    assert main(["info", model, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["formats"] == FORMATS
    assert main(["info", model]) == 0
    assert "channels_last, channels_first" in capsys.readouterr().out


@pytest.mark.parametrize("module", MODULES)
def test_preprocess_input_works_on_the_formats_channel_axis(module, channels_first_config):
    preprocess = importlib.import_module(module).preprocess_input
    rgb = np.random.default_rng(0).uniform(0, 255, (2, 5, 7, 3)).astype("float32")
    last = preprocess(rgb, data_format="channels_last")
    first = rgb.transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(preprocess(first, data_format="channels_first"), last.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(preprocess(first), last.transpose(0, 3, 1, 2))  # Keras' setting


@pytest.mark.parametrize("model", MODELS)
def test_input_rules_read_channels_first_positions(model, channels_first_config):
    """Shapes valid in channels_last are refused when read as channels, height, width."""
    build, spec = registry.get(model), registry.info(model)
    m, size = spec.min_size, spec.default_size
    with pytest.raises(InputShapeError, match=f"at least {m}"):  # 3 columns are too few
        build(weights=None, include_top=False, input_shape=(m, m, 3))
    # A pretrained top takes only its trained size, not `size` rows of 3 columns.
    with pytest.raises(InputShapeError, match=rf"Received: input_shape=\({size}, {size}, 3\)"):
        build(weights="imagenet", include_top=True, input_shape=(size, size, 3))
