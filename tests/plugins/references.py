"""The oracles: canonical model name -> a constructor of the reference model.

Keras 3.15.1's `keras.applications` for 18 models; keras_applications 1.0.8
driven with tf_keras for ResNeXt, which Keras 3 does not ship. Each entry
takes the builder keyword arguments and returns a built reference model.
Imports happen inside the constructors so collecting tests stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_KERAS = {
    "xception": "Xception",
    "vgg16": "VGG16",
    "vgg19": "VGG19",
    "resnet50": "ResNet50",
    "resnet101": "ResNet101",
    "resnet152": "ResNet152",
    "resnet50_v2": "ResNet50V2",
    "resnet101_v2": "ResNet101V2",
    "resnet152_v2": "ResNet152V2",
    "inception_v3": "InceptionV3",
    "inception_resnet_v2": "InceptionResNetV2",
    "mobilenet": "MobileNet",
    "mobilenet_v2": "MobileNetV2",
    "densenet121": "DenseNet121",
    "densenet169": "DenseNet169",
    "densenet201": "DenseNet201",
    "nasnet_mobile": "NASNetMobile",
    "nasnet_large": "NASNetLarge",
}
_KERAS_APPLICATIONS = {"resnext50": "ResNeXt50", "resnext101": "ResNeXt101"}


def _keras(cls: str) -> Callable[..., Any]:
    def build(**kwargs: Any) -> Any:
        import keras

        keras.backend.clear_session()
        return getattr(keras.applications, cls)(**kwargs)

    return build


def _keras_applications(cls: str) -> Callable[..., Any]:
    def build(**kwargs: Any) -> Any:
        import tf_keras
        from keras_applications import resnext

        tf_keras.backend.clear_session()
        return getattr(resnext, cls)(
            backend=tf_keras.backend, layers=tf_keras.layers, models=tf_keras.models,
            utils=tf_keras.utils, **kwargs,
        )

    return build


def _tf_keras(cls: str) -> Callable[..., Any]:
    """The same architecture in tf_keras: writes the legacy `.h5` layout."""
    def build(**kwargs: Any) -> Any:
        import tf_keras

        tf_keras.backend.clear_session()
        return getattr(tf_keras.applications, cls)(**kwargs)

    return build


#: name -> reference constructor (keras 3 objects, or tf_keras for ResNeXt)
REFERENCES: dict[str, Callable[..., Any]] = {
    **{name: _keras(cls) for name, cls in _KERAS.items()},
    **{name: _keras_applications(cls) for name, cls in _KERAS_APPLICATIONS.items()},
}

#: name -> tf_keras constructor, used to write legacy `.h5` files the way the
#: official ones were written (`save_weights("x.h5")`).
LEGACY_WRITERS: dict[str, Callable[..., Any]] = {
    **{name: _tf_keras(cls) for name, cls in _KERAS.items()},
    **{name: _keras_applications(cls) for name, cls in _KERAS_APPLICATIONS.items()},
}

#: True where the reference is a tf_keras model (weights copied as numpy lists).
IS_TF_KERAS = frozenset(_KERAS_APPLICATIONS)
