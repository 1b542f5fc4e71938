"""`registry predict` and `registry extract`: the main job from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import InvalidArgumentError
from ._images import iter_image_files
from ._spec import NO_TOP, TOP, ModelSpec

if TYPE_CHECKING:
    from ._registry import Registry

EXIT_OK, EXIT_FAILED = 0, 1


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, received {text}")
    return value


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="model name or alias")
    p.add_argument("paths", nargs="+", metavar="PATH", help="image files or directories")
    p.add_argument("--batch-size", type=_positive, default=16)
    p.add_argument("--weights", default="imagenet", help="a pretrained tag or a weights file")
    p.add_argument("--alpha", type=float, help="width multiplier (MobileNet models)")
    p.add_argument("--input-size", type=_positive, help="input height and width")


def add_inference_commands(sub: Any) -> None:
    p = sub.add_parser("predict", help="classify images")
    _common(p)
    p.add_argument("--top", type=_positive, default=5)
    p.add_argument("--json", action="store_true", help="JSON Lines, one object per image")
    p.set_defaults(handler=cmd_predict)

    p = sub.add_parser("extract", help="write feature vectors to an .npz file")
    _common(p)
    p.add_argument("--out", required=True, type=Path, help="output .npz (features, files)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--layer", help="a layer name of the model")
    where.add_argument("--stage", help="a feature stage of the model's spec")
    p.add_argument("--pooling", choices=("avg", "max"))
    p.set_defaults(handler=cmd_extract)


def _files(paths: list[str]) -> list[Path]:
    files = list(iter_image_files(paths))
    if not files:
        raise InvalidArgumentError(
            f"No image files found. Received: {' '.join(paths)}. Give image files, or directories "
            "holding .jpg, .png and similar files."
        )
    return files


def _prefetch(reg: Registry, spec: ModelSpec, args: argparse.Namespace, include_top: bool) -> None:
    """Fetch the plain weight file before keras is imported, so a missing one fails in seconds."""
    if args.alpha is None and args.input_size is None and args.weights in spec.weights:
        variant = TOP if include_top else NO_TOP
        if variant in spec.weights[args.weights]:
            reg.store.fetch(spec.weights[args.weights][variant])


def _build(reg: Registry, args: argparse.Namespace, **kwargs: Any) -> Any:
    if args.alpha is not None:
        kwargs["alpha"] = args.alpha
    if args.input_size is not None:
        import keras

        n = args.input_size
        kwargs["input_shape"] = (3, n, n) if keras.config.image_data_format() == "channels_first" else (n, n, 3)
    weights = args.weights if args.weights in reg.info(args.name).weights else Path(args.weights)
    return reg.get(args.name)(weights=weights, **kwargs)


def _infer(model: Any, spec: ModelSpec, pooling: str | None = None) -> tuple[int, Any]:
    """The model's input size, and a function from RGB 0..255 batches (NHWC) to outputs.

    `pooling` reduces 4-D outputs (an intermediate layer's) over height and width.
    """
    import keras

    from ._preprocess import preprocess_input

    first = keras.config.image_data_format() == "channels_first"
    shape = model.input_shape
    size = shape[2] if first else shape[1]
    if size is None:
        size = spec.default_size

    def infer(images: np.ndarray) -> np.ndarray:
        x = np.transpose(images, (0, 3, 1, 2)) if first else images
        x = preprocess_input(x, mode=spec.preprocessing, data_format=keras.config.image_data_format())
        out = np.asarray(model.predict_on_batch(x))
        if pooling is not None and out.ndim == 4:
            reduce = np.mean if pooling == "avg" else np.max
            out = reduce(out, axis=(2, 3) if first else (1, 2))
        return out

    return size, infer


def _progress(n: int) -> bool:
    import os

    return n > 1 and sys.stderr.isatty() and os.environ.get("REGISTRY_PROGRESS", "1") != "0"


def cmd_predict(args: argparse.Namespace, reg: Registry) -> int:
    from . import _pipeline
    from ._decode import decode_predictions

    spec = reg.info(args.name)
    files = _files(args.paths)
    _prefetch(reg, spec, args, include_top=True)
    model = _build(reg, args)
    size, infer = _infer(model, spec)
    failed = 0
    for path, probs, error in _pipeline.run(files, size, spec.data_config, args.batch_size, infer,
                                            progress=_progress(len(files))):
        if error is not None:
            failed += 1
            if args.json:
                print(json.dumps({"file": str(path), "error": error}), flush=True)
            else:
                print(f"{path}: error: {error}", file=sys.stderr)
            continue
        top = decode_predictions(probs[None], top=args.top)[0]
        if args.json:
            preds = [{"wnid": w, "label": label, "score": float(s)} for w, label, s in top]
            print(json.dumps({"file": str(path), "predictions": preds}), flush=True)
        else:
            print(f"{path}: " + ", ".join(f"{label} ({float(s):.3f})" for _, label, s in top), flush=True)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_extract(args: argparse.Namespace, reg: Registry) -> int:
    from . import _pipeline

    spec = reg.info(args.name)
    layer = args.layer
    if args.stage is not None:
        if args.stage not in spec.feature_stages:
            raise InvalidArgumentError(
                f"{spec.name} has no feature stage {args.stage!r}. Stages: "
                f"{', '.join(spec.feature_stages) or 'none'}. Use --layer for any layer name."
            )
        layer = spec.feature_stages[args.stage]
    files = _files(args.paths)
    _prefetch(reg, spec, args, include_top=False)
    pool_in_model = layer is None
    model = _build(reg, args, include_top=False, pooling=args.pooling if pool_in_model else None)
    if layer is not None:
        import keras

        try:
            output = model.get_layer(layer).output
        except ValueError:
            raise InvalidArgumentError(
                f"{spec.name} has no layer {layer!r}. Run the model's `summary()` for layer names, "
                f"or use --stage ({', '.join(spec.feature_stages) or 'none'})."
            ) from None
        model = keras.Model(model.inputs, output)
    size, infer = _infer(model, spec, pooling=None if pool_in_model else args.pooling)
    features, names, failed = [], [], 0
    for path, row, error in _pipeline.run(files, size, spec.data_config, args.batch_size, infer,
                                          progress=_progress(len(files))):
        if error is not None:
            failed += 1
            print(f"{path}: error: {error}", file=sys.stderr)
            continue
        features.append(row)
        names.append(str(path))
    if features:
        np.savez(args.out, features=np.stack(features), files=np.array(names))
        print(f"{args.out}: {len(names)} feature vectors of shape {features[0].shape}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK
