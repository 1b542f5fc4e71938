"""Every builder takes the seeds' arguments, in the seeds' order, with the seeds' defaults.

The seeds write each constructor as `keras.applications.<module>.<Class>(...)`;
ours is the same class in the same Keras module name of its plugin. Later
parameters (`classifier_activation`, `name`, family arguments) may follow.
No model is built.
"""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

# The seeds' argument lists, as they write them.
_COMMON = "include_top=True, weights='imagenet', input_tensor=None, input_shape=None, pooling=None, classes=1000"
_NASNET = "input_shape=None, include_top=True, weights='imagenet', input_tensor=None, pooling=None, classes=1000"
_MOBILENET = "input_shape=None, alpha=1.0, depth_multiplier=1, {}include_top=True, weights='imagenet', " \
             "input_tensor=None, pooling=None, classes=1000"

#: Keras module -> (our module, {class: the seeds' arguments})
SEED_BUILDERS = {
    "xception": ("registry_xception.xception", {"Xception": _COMMON}),
    "vgg16": ("registry_vgg.vgg16", {"VGG16": _COMMON}),
    "vgg19": ("registry_vgg.vgg19", {"VGG19": _COMMON}),
    "resnet": ("registry_resnet.resnet", dict.fromkeys(("ResNet50", "ResNet101", "ResNet152"), _COMMON)),
    "resnet_v2": ("registry_resnet.resnet_v2", dict.fromkeys(("ResNet50V2", "ResNet101V2", "ResNet152V2"), _COMMON)),
    "resnext": ("registry_resnet.resnext", dict.fromkeys(("ResNeXt50", "ResNeXt101"), _COMMON)),
    "inception_v3": ("registry_inception.inception_v3", {"InceptionV3": _COMMON}),
    "inception_resnet_v2": ("registry_inception.inception_resnet_v2", {"InceptionResNetV2": _COMMON}),
    "mobilenet": ("registry_mobilenet.mobilenet", {"MobileNet": _MOBILENET.format("dropout=1e-3, ")}),
    "mobilenet_v2": ("registry_mobilenet.mobilenet_v2", {"MobileNetV2": _MOBILENET.format("")}),
    "densenet": ("registry_densenet.densenet",
                 dict.fromkeys(("DenseNet121", "DenseNet169", "DenseNet201"), _COMMON)),
    "nasnet": ("registry_nasnet.nasnet", dict.fromkeys(("NASNetLarge", "NASNetMobile"), _NASNET)),
}
CASES = [(module, cls, args) for module, (ours, classes) in SEED_BUILDERS.items() for cls, args in classes.items()]


def _parse(args: str) -> list[tuple[str, object]]:
    pairs = (item.strip().split("=") for item in args.split(","))
    return [(name, ast.literal_eval(default)) for name, default in pairs]


@pytest.mark.parametrize(("module", "cls", "args"), CASES, ids=[f"{m}.{c}" for m, c, _ in CASES])
def test_builder_takes_the_seeds_arguments(module, cls, args):
    builder = getattr(importlib.import_module(SEED_BUILDERS[module][0]), cls)
    params = list(inspect.signature(builder).parameters.values())
    seed = _parse(args)
    assert [(p.name, p.default) for p in params[:len(seed)]] == seed
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params[:len(seed)])
