"""The candidate operations of the DARTS search space, shared by DARTS, P-DARTS and ProxylessNAS.

Every operation maps ``C`` channels to ``C`` channels and keeps the spatial size at ``stride=1`` or
halves it at ``stride=2``, so any of them can sit on any edge of a cell:

=================  ======================================================================
name               operation
=================  ======================================================================
``none``           zeros (lets an edge switch itself off during the search)
``skip_connect``   identity (``stride=2``: factorised reduce, two offset 1×1 convs)
``max_pool_3x3``   3×3 max pooling
``avg_pool_3x3``   3×3 average pooling (padding not counted)
``sep_conv_3x3``   (ReLU, 3×3 depthwise, 1×1, BN) twice
``sep_conv_5x5``   the same with 5×5 kernels
``dil_conv_3x3``   ReLU, 3×3 depthwise with dilation 2, 1×1, BN
``dil_conv_5x5``   the same with 5×5 kernels
=================  ======================================================================

>>> import torch
>>> [OPS[name](8, 2)(torch.zeros(1, 8, 8, 8)).shape[-1] for name in PRIMITIVES]
[4, 4, 4, 4, 4, 4, 4, 4]
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

__all__ = ["OPS", "PRIMITIVES", "FactorizedReduce", "ReLUConvBN", "Zero"]

PRIMITIVES = (
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)


class Zero(nn.Module):
    """The ``none`` operation: zeros of the output shape."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


class ReLUConvBN(nn.Sequential):
    """ReLU → Conv → BN, the preprocessing of cell inputs."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int,
                 affine: bool = True) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class FactorizedReduce(nn.Module):
    """Halve the resolution without dropping pixels: two 1×1 stride-2 convs, one shifted by one."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True) -> None:
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_a = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.conv_b = nn.Conv2d(c_in, c_out - c_out // 2, 1, 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_a(x), self.conv_b(x[:, :, 1:, 1:])], dim=1))


def _dil_conv(c: int, kernel: int, stride: int, dilation: int, affine: bool) -> nn.Sequential:
    padding = dilation * (kernel - 1) // 2
    return nn.Sequential(
        nn.ReLU(inplace=False),
        nn.Conv2d(c, c, kernel, stride, padding, dilation, groups=c, bias=False),
        nn.Conv2d(c, c, 1, bias=False),
        nn.BatchNorm2d(c, affine=affine),
    )


def _sep_conv(c: int, kernel: int, stride: int, affine: bool) -> nn.Sequential:
    return nn.Sequential(  # two depthwise-separable convolutions, the first one strided
        *_dil_conv(c, kernel, stride, 1, affine), *_dil_conv(c, kernel, 1, 1, affine)
    )


def _pool(kind: type[nn.Module], stride: int) -> nn.Module:
    if kind is nn.AvgPool2d:
        return nn.AvgPool2d(3, stride, 1, count_include_pad=False)
    return nn.MaxPool2d(3, stride, 1)


OpFactory = Callable[..., nn.Module]

OPS: dict[str, OpFactory] = {
    "none": lambda c, stride, affine=False: Zero(stride),
    "max_pool_3x3": lambda c, stride, affine=False: _pool(nn.MaxPool2d, stride),
    "avg_pool_3x3": lambda c, stride, affine=False: _pool(nn.AvgPool2d, stride),
    "skip_connect": lambda c, stride, affine=False: (
        nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine)
    ),
    "sep_conv_3x3": lambda c, stride, affine=False: _sep_conv(c, 3, stride, affine),
    "sep_conv_5x5": lambda c, stride, affine=False: _sep_conv(c, 5, stride, affine),
    "dil_conv_3x3": lambda c, stride, affine=False: _dil_conv(c, 3, stride, 2, affine),
    "dil_conv_5x5": lambda c, stride, affine=False: _dil_conv(c, 5, stride, 2, affine),
}
