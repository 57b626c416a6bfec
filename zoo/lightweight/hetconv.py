"""HetConv — Heterogeneous Kernel-Based Convolutions for Deep CNNs.

Pravendra Singh, Vinay Kumar Verma, Piyush Rai, Vinay P. Namboodiri. CVPR 2019.
Catalog id ``2019-cvpr-hetconv`` · https://arxiv.org/abs/1903.04120

Every filter of a HetConv layer with *part* ``P`` keeps ``M/P`` of its ``M`` input-channel kernels
at full size ``K×K`` and shrinks the other ``M - M/P`` to ``1×1``; consecutive filters place their
``K×K`` kernels on different channels. For ``N`` filters on a ``D_o×D_o`` output:

    FLOPs_HetConv = D_o²·N·(M/P)·K²  +  D_o²·N·(M - M/P)
    FLOPs_HetConv / FLOPs_conv = 1/P + (1 - 1/P)/K²

and the weights shrink by the same ratio (the paper's Eq. for the reduction).

Implementation: filter group ``g`` (``N/P`` filters) takes its ``K×K`` kernels on input group ``g``
(``M/P`` channels) — a grouped convolution with ``P`` groups — and its ``1×1`` kernels on the other
``M - M/P`` channels — a grouped ``1×1`` convolution over the input with group ``g`` left out. So
the layer holds exactly the paper's weights, and ``torch.utils.flop_counter`` sees exactly the
paper's multiply-adds.

Measured here (``tests/zoo/test_lightweight.py``; digits, seed 0, 12 epochs): with P=4 each
swapped layer costs exactly ``1/4 + (3/4)/9 = 1/3`` of its convolution; the two inner convs of
``digits_cnn(width=16)`` swapped, the net drops from 24 058 to 8 698 parameters and from 1.20 M to
0.41 M FLOPs, and trains to 0.994 test accuracy, as the unswapped net does (floor asserted: 0.93).

>>> import torch
>>> het = HetConv(16, 32, 3, padding=1, bias=False, part=4)   # replaces nn.Conv2d(16, 32, 3, ...)
>>> het(torch.zeros(2, 16, 8, 8)).shape
torch.Size([2, 32, 8, 8])
>>> sum(p.numel() for p in het.parameters()) == 32 * (16 // 4 * 9 + (16 - 16 // 4))
True

Deviations from the paper:

* Filters are ordered by group (all filters using input group 0 first) instead of the paper's
  shifted pattern where filter ``j`` starts one channel later than filter ``j-1``; a layer's
  filters are unordered, so the two are the same set of kernels.
* Input channels of group ``g`` are contiguous rather than every ``P``-th channel — the same
  argument applies to the permutation of input channels.
* The ``1×1`` part copies the input ``P-1`` times to gather each group's complement (memory, not
  FLOPs); a fused kernel would avoid it.
"""

from __future__ import annotations

import torch
from torch import nn

from ..registry import register
from .geometry import ConvSpec, IntOrPair, center_tap_input

__all__ = ["HetConv"]


@register(
    "hetconv",
    paper="2019-cvpr-hetconv",
    category="architecture",
    subcategory="lightweight",
    summary="HetConv: each filter has M/P K×K kernels and M-M/P 1×1 kernels; drop-in Conv2d",
)
class HetConv(nn.Module):
    """Drop-in for ``nn.Conv2d``: per filter, ``1/part`` of the kernels are ``K×K``, others ``1×1``.

    ``in_channels`` and ``out_channels`` must be divisible by ``part`` (the paper's ``P``).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair = 1,
        padding: IntOrPair | str = 0,
        dilation: IntOrPair = 1,
        groups: int = 1,
        bias: bool = True,
        *,
        part: int = 4,
    ) -> None:
        super().__init__()
        spec = ConvSpec.of(in_channels, out_channels, kernel_size, stride, padding, dilation,
                           groups, bias).require_dense("HetConv")
        if part < 2 or in_channels % part or out_channels % part:
            raise ValueError(
                f"part P={part} must be ≥ 2 and divide in_channels={in_channels} and "
                f"out_channels={out_channels}"
            )
        self.spec, self.part = spec, part
        # K×K kernels: filter group g convolves input group g only.
        self.spatial = nn.Conv2d(in_channels, out_channels, spec.kernel_size, spec.stride,
                                 spec.padding, spec.dilation, groups=part, bias=bias)
        # 1×1 kernels: filter group g sees the M - M/P channels outside input group g.
        self.pointwise = nn.Conv2d(part * (in_channels - in_channels // part), out_channels, 1,
                                   spec.stride, groups=part, bias=False)
        width = in_channels // part
        complement = [
            [c for c in range(in_channels) if c // width != g] for g in range(part)
        ]
        self.register_buffer(
            "complement_index", torch.tensor(complement).flatten(), persistent=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spec = self.spec
        aligned = center_tap_input(  # 1×1 kernels sit at the K×K kernels' centre tap
            x, kernel_size=spec.kernel_size, padding=spec.padding, dilation=spec.dilation
        )
        gathered = aligned.index_select(1, self.complement_index)  # [x without g₀, x without g₁…]
        return self.spatial(x) + self.pointwise(gathered)

    @torch.no_grad()
    def dense_weight(self) -> torch.Tensor:
        """The equivalent ``nn.Conv2d`` weight ``(N, M, K, K)`` (zeros where the paper has none)."""
        spec, part = self.spec, self.part
        n, m = spec.out_channels, spec.in_channels
        kh, kw = spec.kernel_size
        weight = torch.zeros(n, m, kh, kw, dtype=self.spatial.weight.dtype)
        per_out, per_in = n // part, m // part
        point = self.pointwise.weight.view(n, m - per_in)
        for g in range(part):
            rows = slice(g * per_out, (g + 1) * per_out)
            weight[rows, g * per_in : (g + 1) * per_in] = self.spatial.weight[rows]
            others = [c for c in range(m) if c // per_in != g]
            weight[rows, others, kh // 2, kw // 2] = point[rows]
        return weight

    def extra_repr(self) -> str:
        return f"{self.spec.extra_repr()}, part={self.part}"

