"""Build registry models from legacy `.h5` files under one Keras backend, in both data formats.

Run by tests/plugins/test_backends.py in a subprocess of its own (a process has one backend):

    KERAS_BACKEND=jax python backend_worker.py CASES.json OUT_DIR

Each case is {"model", "h5", "input", "include_top", "classes"}; the input is a
`.npy` batch of RGB values in 0..255, channels_last. For each case and data
format the model is built with the file's weights, its Keras module's
`preprocess_input` is applied to the input as a backend tensor in that format
(data_format left to Keras' setting), and `predict`'s output, moved back to
channels_last, is written to OUT_DIR/<model>.<format>.npy. A failure is
written as OUT_DIR/<model>.<format>.err (the traceback) and the other cases
go on, so one broken model fails only its own tests.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from pathlib import Path

import numpy as np

FORMATS = ("channels_last", "channels_first")


def run(case: dict, data_format: str) -> np.ndarray:
    import keras

    from registry_core import registry

    keras.config.set_image_data_format(data_format)
    first = data_format == "channels_first"
    x = np.load(case["input"])
    if first:
        x = x.transpose(0, 3, 1, 2)
    spec = registry.info(case["model"])
    module = importlib.import_module(spec.builder.partition(":")[0])
    model = registry.get(case["model"])(
        weights=case["h5"], include_top=case["include_top"], input_shape=x.shape[1:],
        classes=case["classes"], classifier_activation=None,
    )
    x = keras.ops.convert_to_numpy(module.preprocess_input(keras.ops.convert_to_tensor(x)))
    y = np.asarray(model.predict(x, verbose=0))
    return y.transpose(0, 2, 3, 1) if first and y.ndim == 4 else y


def main(cases_path: str, out_dir: str) -> None:
    import keras

    out = Path(out_dir)
    for case in json.loads(Path(cases_path).read_text()):
        for data_format in FORMATS:
            stem = f'{case["model"]}.{data_format}'
            try:
                np.save(out / f"{stem}.npy", run(case, data_format))
            except Exception:  # recorded for the test of this case; the others go on
                (out / f"{stem}.err").write_text(traceback.format_exc())
            keras.backend.clear_session()
    (out / "backend").write_text(keras.backend.backend())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
