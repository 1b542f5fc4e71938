"""The weightless half of ResNeXt's grouped 3x3 convolution, as a registered layer.

The official ResNeXt files store each grouped convolution as a
`DepthwiseConv2D` with depth multiplier `width` (every input channel of a
group convolved once per output channel of that group), followed by a sum
over the group's input channels. Keeping that split is what lets the files
load; `GroupSum` is the sum, written with `keras.ops` so a `.keras` file
reloads without `Lambda` and without `safe_mode=False`.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="registry_resnet")
class GroupSum(keras.layers.Layer):
    """Sums a depthwise convolution's outputs into a grouped convolution's.

    Input channel `(g * width + j) * width + m` (group `g`, input channel `j`
    of the group, multiplier `m`) contributes to output channel `g * width + m`.
    Height and width may be unknown: the reshape reads them from the tensor
    when called, and only the channel axis is fixed in the config.
    """

    def __init__(self, groups: int, width: int, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.groups = groups
        self.width = width
        self.data_format = data_format or keras.config.image_data_format()

    def build(self, input_shape: tuple[Any, ...]) -> None:
        channels = input_shape[1 if self.data_format == "channels_first" else -1]
        expected = self.groups * self.width * self.width
        if channels != expected:
            raise ValueError(
                f"Layer {self.name!r} sums {self.groups} groups of width {self.width}, so it takes "
                f"{expected} channels ({self.data_format}). Received: input_shape={tuple(input_shape)}."
            )
        super().build(input_shape)

    def call(self, inputs: Any) -> Any:
        g, c = self.groups, self.width
        if self.data_format == "channels_first":
            n, _, h, w = ops.shape(inputs)
            summed = ops.sum(ops.reshape(inputs, (n, g, c, c, h, w)), axis=2)
            return ops.reshape(summed, (n, g * c, h, w))
        n, h, w, _ = ops.shape(inputs)
        summed = ops.sum(ops.reshape(inputs, (n, h, w, g, c, c)), axis=4)
        return ops.reshape(summed, (n, h, w, g * c))

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        if self.data_format == "channels_first":
            return (input_shape[0], self.groups * self.width, *input_shape[2:])
        return (*input_shape[:-1], self.groups * self.width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "groups": self.groups, "width": self.width,
                "data_format": self.data_format}
