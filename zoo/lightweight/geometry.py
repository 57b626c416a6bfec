"""Shared geometry of the drop-in modules: the arguments of the ``nn.Conv2d`` they replace.

A light module that computes part of a ``k×k`` convolution with ``1×1`` kernels (HetConv's
point-wise part, the shift + point-wise pair) must land on the same output grid as the ``k×k``
kernel it replaces. A ``1×1`` kernel equals a ``k×k`` kernel whose only non-zero tap is the centre,
so it sees the input shifted by ``padding - dilation·(k-1)/2`` pixels: :func:`center_tap_input`
pads or crops the input by that amount, after which a ``1×1`` convolution with the same stride
produces exactly the ``k×k`` convolution's output size.

>>> import torch
>>> x = torch.zeros(1, 1, 8, 8)
>>> center_tap_input(x, kernel_size=(3, 3), padding=(1, 1), dilation=(1, 1)).shape  # "same"
torch.Size([1, 1, 8, 8])
>>> center_tap_input(x, kernel_size=(3, 3), padding=(0, 0), dilation=(1, 1)).shape  # "valid"
torch.Size([1, 1, 6, 6])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.utils import _pair

__all__ = ["ConvSpec", "center_tap_input"]

IntOrPair = int | tuple[int, int]


@dataclass(frozen=True)
class ConvSpec:
    """The constructor arguments of an ``nn.Conv2d``, normalised to pairs."""

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    bias: bool = True

    @classmethod
    def of(
        cls,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair = 1,
        padding: IntOrPair | str = 0,
        dilation: IntOrPair = 1,
        groups: int = 1,
        bias: bool = True,
    ) -> ConvSpec:
        k, d = _pair(kernel_size), _pair(dilation)
        if padding == "same":  # what nn.Conv2d accepts for stride 1 and odd kernels
            if any(x % 2 == 0 for x in k):
                raise ValueError(f"padding='same' needs odd kernels, got kernel_size={k}")
            padding = (d[0] * (k[0] - 1) // 2, d[1] * (k[1] - 1) // 2)
        elif padding == "valid":
            padding = 0
        elif isinstance(padding, str):
            raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', not {padding!r}")
        return cls(in_channels, out_channels, k, _pair(stride), _pair(padding), d, groups, bias)

    @classmethod
    def from_conv(cls, conv: nn.Conv2d) -> ConvSpec:
        """The arguments ``conv`` was built with (``padding_mode`` must be ``'zeros'``)."""
        if conv.padding_mode != "zeros":
            raise ValueError(f"only zero padding is supported, not {conv.padding_mode!r}")
        return cls.of(
            conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,  # type: ignore[arg-type]
            conv.padding, conv.dilation, conv.groups, conv.bias is not None,  # type: ignore[arg-type]
        )

    def require_dense(self, replacement: str) -> ConvSpec:
        """``self``, after checking that ``replacement`` (a module name) may stand in for it: the
        modules built on one dense filter bank cannot replace a grouped convolution."""
        if self.groups != 1:
            raise ValueError(
                f"{replacement} replaces dense convolutions (groups=1), got groups={self.groups}"
            )
        return self

    def extra_repr(self) -> str:
        """The start of a drop-in module's ``extra_repr``: ``in, out, kernel_size=(k, k)``."""
        return f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments that rebuild the convolution (or a drop-in replacement of it)."""
        return dict(self.__dict__)

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """Spatial size of the convolution's output for an input of ``height × width``."""
        return tuple(  # type: ignore[return-value]
            (n + 2 * p - d * (k - 1) - 1) // s + 1
            for n, k, s, p, d in zip(
                (height, width), self.kernel_size, self.stride, self.padding, self.dilation,
                strict=True,
            )
        )


def center_tap_input(
    x: torch.Tensor,
    *,
    kernel_size: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
) -> torch.Tensor:
    """``x`` padded (or cropped) so that a ``1×1`` conv sees what a ``k×k`` kernel's centre sees."""
    offsets = []
    for k, p, d in zip(kernel_size, padding, dilation, strict=True):
        if (d * (k - 1)) % 2:
            raise ValueError(f"kernel {kernel_size} with dilation {dilation} has no centre tap")
        offsets.append(p - d * (k - 1) // 2)
    top, left = offsets
    if top == 0 and left == 0:
        return x
    # F.pad with negative amounts crops, which is exactly the 'valid' case.
    return F.pad(x, (left, left, top, top))
