"""Run in a subprocess under one KERAS_BACKEND and data format: build models from
legacy `.h5` files and write their outputs, for tests/plugins/test_backends.py.

    python backend_worker.py JOBS.json OUT.npz

Each job: {"model", "h5", "input" (.npy, channels_last), "size", "data_format"}.
"""

from __future__ import annotations

import json
import sys

import numpy as np


def main(jobs_path: str, out_path: str) -> None:
    import keras

    from registry_core import registry

    outputs = {}
    for job in json.load(open(jobs_path)):
        keras.config.set_image_data_format(job["data_format"])
        size = job["size"]
        first = job["data_format"] == "channels_first"
        shape = (3, size, size) if first else (size, size, 3)
        model = registry.get(job["model"])(weights=job["h5"], include_top=False, input_shape=shape,
                                           pooling="avg")
        x = np.load(job["input"])
        if first:
            x = np.transpose(x, (0, 3, 1, 2))
        outputs[f'{job["model"]}/{job["data_format"]}'] = np.asarray(model.predict(x, verbose=0))
    np.savez(out_path, backend=keras.backend.backend(), **outputs)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
