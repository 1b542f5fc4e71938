"""NASNet-A: Learning Transferable Architectures for Scalable Image Recognition.

Zoph, Vasudevan, Shlens & Le, CVPR 2018, https://arxiv.org/abs/1707.07012.
A strided stem convolution and two reduction cells, then three stages of
`num_blocks` normal cells separated by reduction cells, each cell combining
its input with the previous cell's output (`p`). Layer names follow Keras,
which is what the official weight files are keyed by; the layers Keras leaves
to its global counter get the names a fresh session gives them, counted per
build, so names never depend on what was built before.
"""

from __future__ import annotations

from typing import Any

from keras import layers

from registry_core import BuildPlan
from registry_core import LayerNames, pooled_head

# The converted TF-slim checkpoints were trained with these BN settings.
_BN = {"momentum": 0.9997, "epsilon": 1e-3}


class Cells:
    """What the cells of one build share: the channel axis and the counter names."""

    def __init__(self, plan: BuildPlan) -> None:
        self.axis = plan.channel_axis
        self.data_format = plan.data_format
        self.auto = LayerNames()

    def relu(self, x: Any, name: str | None = None) -> Any:
        return layers.Activation("relu", name=name or self.auto("activation"))(x)

    def bn(self, x: Any, name: str) -> Any:
        return layers.BatchNormalization(axis=self.axis, name=name, **_BN)(x)

    def spatial(self, x: Any) -> tuple[Any, Any]:
        shape = x.shape
        return (shape[2], shape[3]) if self.data_format == "channels_first" else (shape[1], shape[2])

    def downsample_pad(self, x: Any, kernel: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """Padding that makes a stride-2 valid window halve `x` like TF-slim's 'SAME'.

        An even size loses one row of padding at the top (left); an unknown
        size is padded as an even one, as Keras does.
        """
        half = kernel // 2
        rows, cols = (half - 1 + (n is not None and n % 2) for n in self.spatial(x))
        return ((rows, half), (cols, half))


def conv1x1(x: Any, filters: int, name: str) -> Any:
    return layers.Conv2D(filters, 1, padding="same", use_bias=False, kernel_initializer="he_normal",
                         name=name)(x)


def separable_block(cells: Cells, x: Any, filters: int, kernel: int, block_id: str, strides: int = 1) -> Any:
    """Two ReLU, separable convolution, BN units; the first one strided."""
    x = cells.relu(x)
    padding = "same"
    if strides == 2:
        x = layers.ZeroPadding2D(cells.downsample_pad(x, kernel), name=f"separable_conv_1_pad_{block_id}")(x)
        padding = "valid"
    x = layers.SeparableConv2D(filters, kernel, strides=strides, padding=padding, use_bias=False,
                               name=f"separable_conv_1_{block_id}")(x)
    x = cells.bn(x, f"separable_conv_1_bn_{block_id}")
    x = cells.relu(x)
    x = layers.SeparableConv2D(filters, kernel, padding="same", use_bias=False,
                               name=f"separable_conv_2_{block_id}")(x)
    return cells.bn(x, f"separable_conv_2_bn_{block_id}")


def factorized_reduction(cells: Cells, p: Any, filters: int, block_id: str) -> Any:
    """Halve `p` with two 1x1 paths, the second shifted by one pixel, concatenated."""
    p = cells.relu(p, name=f"adjust_relu_1_{block_id}")
    p1 = layers.AveragePooling2D(1, strides=2, name=f"adjust_avg_pool_1_{block_id}")(p)
    p1 = conv1x1(p1, filters // 2, f"adjust_conv_1_{block_id}")
    p2 = layers.ZeroPadding2D(((0, 1), (0, 1)), name=cells.auto("zero_padding2d"))(p)
    p2 = layers.Cropping2D(((1, 0), (1, 0)), name=cells.auto("cropping2d"))(p2)
    p2 = layers.AveragePooling2D(1, strides=2, name=f"adjust_avg_pool_2_{block_id}")(p2)
    p2 = conv1x1(p2, filters // 2, f"adjust_conv_2_{block_id}")
    p = layers.Concatenate(axis=cells.axis, name=cells.auto("concatenate"))([p1, p2])
    return cells.bn(p, f"adjust_bn_{block_id}")


def adjust(cells: Cells, p: Any, ip: Any, filters: int, block_id: str, *, downsample: bool) -> Any:
    """Bring the previous cell's output `p` to the resolution and width of this cell.

    `downsample` says `p` comes from before a reduction cell. It is decided
    from the structure, not by comparing sizes, so the graph is the same
    whatever the input size.
    """
    if p is None:
        return ip
    if downsample:
        return factorized_reduction(cells, p, filters, block_id)
    if p.shape[cells.axis] != filters:
        p = cells.relu(p)
        p = conv1x1(p, filters, f"adjust_conv_projection_{block_id}")
        return cells.bn(p, f"adjust_bn_{block_id}")
    return p


def squeeze(cells: Cells, x: Any, filters: int, kind: str, block_id: str) -> Any:
    """ReLU, 1x1 convolution to the cell's width, BN: the cell's view of its input."""
    x = cells.relu(x)
    x = conv1x1(x, filters, f"{kind}_conv_1_{block_id}")
    return cells.bn(x, f"{kind}_bn_1_{block_id}")


def pool(kind: str, x: Any, strides: int, name: str) -> Any:
    cls = layers.AveragePooling2D if kind == "avg" else layers.MaxPooling2D
    return cls(3, strides=strides, padding="same" if strides == 1 else "valid", name=name)(x)


def normal_cell(cells: Cells, x: Any, p: Any, filters: int, block_id: str, *, downsample: bool) -> Any:
    """The NASNet-A normal cell (Fig. 4 of the paper): five combinations, concatenated with `p`."""
    p = adjust(cells, p, x, filters, block_id, downsample=downsample)
    h = squeeze(cells, x, filters, "normal", block_id)
    i = block_id
    x1 = layers.Add(name=f"normal_add_1_{i}")([
        separable_block(cells, h, filters, 5, f"normal_left1_{i}"),
        separable_block(cells, p, filters, 3, f"normal_right1_{i}"),
    ])
    x2 = layers.Add(name=f"normal_add_2_{i}")([
        separable_block(cells, p, filters, 5, f"normal_left2_{i}"),
        separable_block(cells, p, filters, 3, f"normal_right2_{i}"),
    ])
    x3 = layers.Add(name=f"normal_add_3_{i}")([pool("avg", h, 1, f"normal_left3_{i}"), p])
    x4 = layers.Add(name=f"normal_add_4_{i}")([
        pool("avg", p, 1, f"normal_left4_{i}"), pool("avg", p, 1, f"normal_right4_{i}"),
    ])
    x5 = layers.Add(name=f"normal_add_5_{i}")([separable_block(cells, h, filters, 3, f"normal_left5_{i}"), h])
    return layers.Concatenate(axis=cells.axis, name=f"normal_concat_{i}")([p, x1, x2, x3, x4, x5])


def reduction_cell(cells: Cells, x: Any, p: Any, filters: int, block_id: str, *, downsample: bool) -> Any:
    """The NASNet-A reduction cell (Fig. 4 of the paper): halves the resolution."""
    p = adjust(cells, p, x, filters, block_id, downsample=downsample)
    h = squeeze(cells, x, filters, "reduction", block_id)
    h3 = layers.ZeroPadding2D(cells.downsample_pad(h, 3), name=f"reduction_pad_1_{block_id}")(h)
    i = block_id
    x1 = layers.Add(name=f"reduction_add_1_{i}")([
        separable_block(cells, h, filters, 5, f"reduction_left1_{i}", strides=2),
        separable_block(cells, p, filters, 7, f"reduction_right1_{i}", strides=2),
    ])
    x2 = layers.Add(name=f"reduction_add_2_{i}")([
        pool("max", h3, 2, f"reduction_left2_{i}"),
        separable_block(cells, p, filters, 7, f"reduction_right2_{i}", strides=2),
    ])
    x3 = layers.Add(name=f"reduction_add3_{i}")([
        pool("avg", h3, 2, f"reduction_left3_{i}"),
        separable_block(cells, p, filters, 5, f"reduction_right3_{i}", strides=2),
    ])
    x4 = layers.Add(name=cells.auto("add"))([x2, pool("avg", x1, 1, f"reduction_left4_{i}")])
    x5 = layers.Add(name=f"reduction_add4_{i}")([
        separable_block(cells, x1, filters, 3, f"reduction_left4_{i}"),
        pool("max", h3, 2, f"reduction_right5_{i}"),
    ])
    return layers.Concatenate(axis=cells.axis, name=f"reduction_concat_{i}")([x2, x3, x4, x5])


def cell_sequence(num_blocks: int, filters: int, multiplier: int) -> list[tuple[str, int, str]]:
    """(kind, filters, block id) of every cell, in order, with Keras' block ids."""
    seq = [("reduction", filters // multiplier**2, "stem_1"), ("reduction", filters // multiplier, "stem_2")]
    for stage in range(3):
        width = filters * multiplier**stage
        if stage:
            seq.append(("reduction", width, f"reduce_{stage * num_blocks}"))
        first = stage * num_blocks + (1 if stage else 0)
        seq.extend(("normal", width, str(first + i)) for i in range(num_blocks))
    return seq


def nasnet_body(
    img_input: Any,
    plan: BuildPlan,
    *,
    penultimate_filters: int,
    num_blocks: int,
    stem_filters: int,
    skip_reduction: bool,
    multiplier: int = 2,
) -> Any:
    """The generic NASNet-A (N @ P): `num_blocks` normal cells a stage, P penultimate filters.

    `skip_reduction` keeps, after each inner reduction cell, the `p` from
    before it (NASNetLarge) instead of the reduction cell's input.
    """
    cells = Cells(plan)
    x = layers.Conv2D(stem_filters, 3, strides=2, padding="valid", use_bias=False,
                      kernel_initializer="he_normal", name="stem_conv1")(img_input)
    x = cells.bn(x, "stem_bn1")
    p, after_reduction = None, False
    for kind, filters, block_id in cell_sequence(num_blocks, penultimate_filters // 24, multiplier):
        cell = reduction_cell if kind == "reduction" else normal_cell
        out = cell(cells, x, p, filters, block_id, downsample=after_reduction)
        if not (skip_reduction and block_id.startswith("reduce_")):
            p = x
        x, after_reduction = out, kind == "reduction"
    x = cells.relu(x)
    return pooled_head(x, plan, cells.auto, pool_name="global_average_pooling2d")
