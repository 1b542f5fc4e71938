"""ResNet50 (Keras module `keras.applications.resnet50`, the older seed's spelling)."""

from __future__ import annotations

from .resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
