"""`registry predict` and `registry extract`: the main job from the shell.

Everything that can fail without keras is checked first (the model name, the
weights, the inputs, the output path), and the weight files and the class
index are fetched before keras is imported: a missing file fails in seconds
with the store's message, not after a framework import and a model build.
`extract --layer` is the exception: the layer is looked up on a
build without weights first, so a mistyped name costs no download.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import inspect
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from . import _decode, _progress
from ._errors import InputShapeError, InvalidArgumentError
from ._images import find_images
from ._pipeline import Result, run
from ._shapes import check_weights
from ._spec import NO_TOP, TOP, ModelSpec

if TYPE_CHECKING:
    import numpy as np

    from ._registry import Registry

EXIT_OK, EXIT_FAILED = 0, 1


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, received {text!r}")
    return value


def _top(text: str) -> int:
    value = _positive(text)
    if value > 1000:
        raise argparse.ArgumentTypeError(f"must be at most 1000 (the ImageNet classes), received {text!r}")
    return value


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", metavar="NAME", help="model name or alias")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="image files, or directories walked for image files")
    p.add_argument("--batch-size", type=_positive, default=16, metavar="N",
                   help="images per model call (default 16)")
    p.add_argument("--weights", default="imagenet", metavar="TAG_OR_PATH",
                   help="a pretrained tag or a weights file (default imagenet)")
    p.add_argument("--alpha", type=float, metavar="A", help="width multiplier (MobileNet models)")
    p.add_argument("--input-size", type=_positive, metavar="N", help="input height and width (default: the model's)")


def add_inference_commands(sub: Any) -> None:
    p = sub.add_parser("predict", help="classify images")
    _common(p)
    p.add_argument("--top", type=_top, default=5, metavar="K", help="classes shown per image (default 5)")
    p.add_argument("--json", action="store_true",
                   help='JSON Lines, one object per image: {"file", "predictions": [{"wnid", "label", '
                        '"score"}]} or {"file", "error"}')
    p.set_defaults(handler=cmd_predict)

    p = sub.add_parser("extract", help="write feature vectors to an .npz file")
    _common(p)
    p.add_argument("--out", required=True, type=Path, metavar="F.npz",
                   help="the .npz file to write (arrays features, files)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--layer", metavar="L",
                       help="a layer name of the model (default: the last layer before the top)")
    where.add_argument("--stage", metavar="S",
                       help="a feature stage of the model, as `registry info NAME` lists them")
    p.add_argument("--pooling", choices=("avg", "max"), default="avg",
                   help="how spatial feature maps become vectors (default avg)")
    p.set_defaults(handler=cmd_extract)


# -- before keras ----------------------------------------------------------------------------------
def _say(command: str, message: str) -> None:
    print(f"registry {command}: {message}", file=sys.stderr, flush=True)


def _inputs(command: str, paths: list[str]) -> list[Path]:
    """The files to read; what a directory walk passed over is mentioned, not counted as a failure."""
    found = find_images(paths)
    if found.skipped:
        shown = ", ".join(str(p) for p in found.skipped[:3]) + (", ..." if len(found.skipped) > 3 else "")
        _say(command, f"skipped {len(found.skipped)} file(s) without an image suffix in the given "
                      f"directories: {shown}")
    if not found.files:
        raise InvalidArgumentError(
            f"No image files to read. Received: {' '.join(paths)}. Give image files, or directories holding "
            "files with an image suffix (.jpg, .jpeg, .png, .webp, .bmp, .gif, .tif, ...)."
        )
    return found.files


def _prefetch(reg: Registry, spec: ModelSpec, args: argparse.Namespace, variant: str) -> None:
    """Fetch the weight file a plain build loads (a family's grid of other files is fetched by the build)."""
    plain = args.alpha is None and args.input_size in (None, spec.default_size)
    if plain and variant in spec.weights.get(args.weights, {}):
        reg.store.fetch(spec.weights[args.weights][variant])


def _spec(reg: Registry, args: argparse.Namespace) -> ModelSpec:
    spec = reg.info(args.name)
    check_weights(spec, args.weights)
    return spec


# -- building and running ----------------------------------------------------------------------------
def _build(reg: Registry, spec: ModelSpec, args: argparse.Namespace, **kwargs: Any) -> Any:
    import keras

    builder = reg.get(spec.name)
    size = args.input_size or spec.default_size
    kwargs["input_shape"] = (3, size, size) if keras.config.image_data_format() == "channels_first" else (size, size, 3)
    if args.alpha is not None:
        if "alpha" not in inspect.signature(builder._function()).parameters:
            raise InvalidArgumentError(
                f"{spec.name} has no width multiplier. Received: --alpha {args.alpha}. --alpha applies to "
                "models whose builder takes `alpha` (MobileNet, MobileNetV2); leave it out for this one."
            )
        kwargs["alpha"] = args.alpha
    kwargs.setdefault("weights", args.weights)
    try:
        return builder(**kwargs)
    except InputShapeError as exc:
        if args.input_size is None:
            raise
        raise InputShapeError(_for_input_size(str(exc), spec, args.input_size)) from exc


def _for_input_size(message: str, spec: ModelSpec, size: int) -> str:
    """A builder's shape error in the CLI's terms: its facts, then --input-size instead of the
    Python advice (input_shape, include_top) a command line cannot follow."""
    facts = message.partition(" Received: ")[0].rstrip()
    return (f"{facts} Received: --input-size {size}. Give an --input-size that this allows, or leave "
            f"--input-size out for the model's default, {spec.default_size} (images are resized to it).")


def _infer(model: Any, spec: ModelSpec, pooling: str | None = None) -> Any:
    """A function from RGB 0..255 batches (N, H, W, 3) to the model's outputs (numpy).

    4-D outputs (an intermediate layer's maps) are reduced over height and
    width with `pooling`.
    """
    import keras
    import numpy as np

    from ._preprocess import preprocess_input

    data_format = keras.config.image_data_format()
    first = data_format == "channels_first"

    def infer(images: np.ndarray) -> np.ndarray:
        x = np.transpose(images, (0, 3, 1, 2)) if first else images
        out = np.asarray(model.predict_on_batch(preprocess_input(x, mode=spec.preprocessing,
                                                                 data_format=data_format)))
        if pooling is not None and out.ndim == 4:
            reduce = np.mean if pooling == "avg" else np.max
            out = reduce(out, axis=(2, 3) if first else (1, 2))
        return out

    return infer


@contextlib.contextmanager
def _progress_bar(total: int, batch_size: int) -> Iterator[Any]:
    """A tqdm bar on a terminal for runs of more than one batch; None otherwise."""
    if total <= batch_size or not _progress._wanted() or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="img", file=sys.stderr, leave=False, dynamic_ncols=True) as bar:
        yield bar


def _results(files: list[Path], spec: ModelSpec, args: argparse.Namespace, infer: Any,
             bar: Any) -> Iterator[Result]:
    size = args.input_size or spec.default_size
    on_batch = None if bar is None else bar.update
    return run(files, size, spec.data_config, args.batch_size, infer, on_batch=on_batch)


def _emit(bar: Any, line: str, stream: TextIO) -> None:
    if bar is None:
        print(line, file=stream, flush=True)
    else:
        bar.write(line, file=stream)  # above the bar, which is redrawn below


def _unreadable(command: str, files: list[Path], emit: Any) -> int | None:
    """With no readable file at all, report each and give the exit status without building."""
    if any(f.is_file() for f in files):
        return None
    for f in files:
        emit(Result(f, error="not a regular file" if f.exists() else "no such file"))
    _say(command, "none of the inputs could be read; nothing to do.")
    return EXIT_FAILED


def _summary(command: str, failed: int, total: int, done: str) -> int:
    if failed:
        _say(command, f"{failed} of {total} file(s) could not be read and were skipped; {done}.")
        return EXIT_FAILED
    return EXIT_OK


# -- predict ------------------------------------------------------------------------------------------
def cmd_predict(args: argparse.Namespace, reg: Registry) -> int:
    spec = _spec(reg, args)
    files = _inputs("predict", args.paths)

    def emit(result: Result, bar: Any = None) -> None:
        if args.json:
            record: dict[str, Any] = {"file": str(result.file)}
            if result.error is None:
                record["predictions"] = [{"wnid": w, "label": label, "score": s} for w, label, s in result.output]
            else:
                record["error"] = result.error
            _emit(bar, json.dumps(record), sys.stdout)
        elif result.error is None:
            _emit(bar, f"{result.file}: " + ", ".join(f"{label} {s:.3f}" for _, label, s in result.output),
                  sys.stdout)
        else:
            _emit(bar, f"registry predict: {result.file}: {result.error}; skipped.", sys.stderr)

    status = _unreadable("predict", files, emit)
    if status is not None:
        return status
    _prefetch(reg, spec, args, TOP)
    reg.store.fetch(_decode.CLASS_INDEX)
    infer = _infer(_build(reg, spec, args), spec)

    def classify(images: np.ndarray) -> list[list[tuple[str, str, float]]]:
        return _decode.decode_predictions(infer(images), top=args.top, store=reg.store)

    failed = 0
    with _progress_bar(len(files), args.batch_size) as bar:
        for result in _results(files, spec, args, classify, bar):
            failed += result.error is not None
            emit(result, bar)
    return _summary("predict", failed, len(files), "the others were classified")


# -- extract ------------------------------------------------------------------------------------------
def _stage_layer(spec: ModelSpec, args: argparse.Namespace) -> str | None:
    if args.stage is None:
        return args.layer
    if args.stage not in spec.feature_stages:
        raise InvalidArgumentError(
            f"{spec.name} has no feature stage {args.stage!r}. Its stages: "
            f"{', '.join(spec.feature_stages) or 'none'}. Use --layer for any layer name."
        )
    return spec.feature_stages[args.stage]


def _find_layer(reg: Registry, spec: ModelSpec, args: argparse.Namespace, layer: str) -> tuple[bool, int]:
    """Where `layer` is: (whether it exists only with the top, like VGG's fc2; its index in the model).

    Decided on builds without weights, before any file is fetched: random
    initialization costs far less than downloading the with-top file (528 MB
    for VGG16) only to find the name missing. The index finds the layer in the
    real build, where a name Keras numbers (`input_layer`) has moved on.
    """
    names: list[str] = []
    for include_top in (False, True):
        names = [lay.name for lay in _build(reg, spec, args, weights=None, include_top=include_top).layers]
        if layer in names:
            return include_top, names.index(layer)
    close = difflib.get_close_matches(layer, names, n=3)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise InvalidArgumentError(
        f"{spec.name} has no layer {layer!r}.{hint} Its stages: "
        f"{', '.join(f'{k}={v}' for k, v in spec.feature_stages.items()) or 'none'}; "
        "`model.summary()` lists every layer name."
    )


def _feature_model(reg: Registry, spec: ModelSpec, args: argparse.Namespace, layer: str | None) -> Any:
    """The model without its top (pooled), or cut at `layer`."""
    if layer is None:
        _prefetch(reg, spec, args, NO_TOP)
        return _build(reg, spec, args, include_top=False, pooling=args.pooling)
    import keras

    if args.layer is None:  # a stage of the spec: a layer of the body, named by its plugin
        _prefetch(reg, spec, args, NO_TOP)
        model = _build(reg, spec, args, include_top=False)
        return keras.Model(model.inputs, model.get_layer(layer).output)
    include_top, index = _find_layer(reg, spec, args, layer)
    _prefetch(reg, spec, args, TOP if include_top else NO_TOP)
    model = _build(reg, spec, args, include_top=include_top)
    return keras.Model(model.inputs, model.layers[index].output)


def _check_out(out: Path) -> None:
    if not out.parent.is_dir():
        raise InvalidArgumentError(
            f"--out {out}: the directory {out.parent} does not exist. Create it, or give another path."
        )


def _save(out: Path, features: list[np.ndarray], names: list[str]) -> None:
    """Write the .npz under a temporary name, then rename, so no partial file is left."""
    import numpy as np
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")  # open() gives it the usual permissions
    try:
        with open(tmp, "wb") as f:
            np.savez(f, features=np.stack(features).astype(np.float32), files=np.array(names, dtype=str))
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def cmd_extract(args: argparse.Namespace, reg: Registry) -> int:
    spec = _spec(reg, args)
    layer = _stage_layer(spec, args)
    _check_out(args.out)
    files = _inputs("extract", args.paths)

    def emit(result: Result, bar: Any = None) -> None:
        _emit(bar, f"registry extract: {result.file}: {result.error}; skipped.", sys.stderr)

    status = _unreadable("extract", files, emit)
    if status is not None:
        return status
    infer = _infer(_feature_model(reg, spec, args, layer), spec, pooling=args.pooling)
    features: list[np.ndarray] = []
    names: list[str] = []
    with _progress_bar(len(files), args.batch_size) as bar:
        for result in _results(files, spec, args, infer, bar):
            if result.error is None:
                features.append(result.output)
                names.append(str(result.file))
            else:
                emit(result, bar)
    if not features:
        _say("extract", f"no file could be read; {args.out} was not written.")
        return EXIT_FAILED
    _save(args.out, features, names)
    _say("extract", f"wrote {args.out}: features {(len(names), *features[0].shape)} float32, files ({len(names)},).")
    return _summary("extract", len(files) - len(names), len(files), f"{args.out} holds the others")
