"""Lego filters — LegoNet: Efficient Convolutional Neural Networks with Lego Filters.

Zhaohui Yang, Yunhe Wang, Chuanjian Liu, Hanting Chen, Chunjing Xu, Boxin Shi, Chao Xu, Chang Xu.
ICML 2019. Catalog id ``2019-icml-legonet`` · http://proceedings.mlr.press/v97/yang19c.html ·
official code https://github.com/zhaohui-yang/LegoNet_pytorch

A layer of ``n`` filters of size ``c×k×k`` is assembled from ``m`` shared *Lego filters*
``B_1..B_m`` of size ``(c/o)×k×k``: the input channels are split into ``o`` fragments and fragment
``i`` of output filter ``j`` is one Lego filter, picked by a one-hot selection ``M`` and scaled:

    F_j = [ a_j1·B M_j1 , … , a_jo·B M_jo ]           (M_ji one-hot over the m Lego filters)
    Y_j = Σ_i a_ji · (X_i ∗ B)[M_ji]                  (convolve each fragment with every B once)

so each fragment is convolved with the ``m`` Lego filters only once and the ``n`` outputs are
gathered sums of those maps. Per output position:

    multiply-adds  m·c·k² + n·o     (instead of n·c·k²)
    weights        m·(c/o)·k² + n·o coefficients (+ n·o integer indices)

The selection ``M`` is learned through a straight-through estimator: the forward pass uses the
one-hot arg-max of real-valued scores, the backward pass hands the one-hot's gradient to the scores
(as the official ``copy_grad``). :meth:`LegoConv2d.freeze` drops the scores once trained.

Measured here (``tests/zoo/test_lightweight.py``; digits, seed 0, 12 epochs): with ``o = 2``
splits and ``m = n/2`` Lego filters in the two inner convs of ``digits_cnn(width=16)``, the frozen
net has 6 970 instead of 24 058 parameters and 0.62 M instead of 1.20 M FLOPs, and trains to
0.992 test accuracy (unswapped: 0.994; floor asserted: 0.90).

>>> import torch
>>> lego = LegoConv2d(16, 32, 3, padding=1, bias=False, n_split=2, n_lego=8)
>>> lego(torch.zeros(2, 16, 8, 8)).shape
torch.Size([2, 32, 8, 8])
>>> lego.freeze()
>>> sum(p.numel() for p in lego.parameters()) == 8 * (16 // 2) * 9 + 32 * 2
True

Deviations from the paper:

* The official code's balance term, which nudges every Lego filter to be selected equally often,
  is left out.
* The forward pass uses dense one-hot combination weights while the scores are trainable and the
  gathered sum (the paper's cost) after :meth:`~LegoConv2d.freeze` or in eval mode; both give the
  same output.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..registry import register
from .geometry import ConvSpec, IntOrPair

__all__ = ["LegoConv2d", "freeze_lego"]


@register(
    "legonet",
    paper="2019-icml-legonet",
    category="architecture",
    subcategory="lightweight",
    summary="Lego filters: filters assembled from a few shared split-channel filters; drop-in",
)
class LegoConv2d(nn.Module):
    """Drop-in for ``nn.Conv2d``: ``n_lego`` shared Lego filters over ``n_split`` input fragments.

    ``n_lego`` is a count, or (a float) a fraction of ``out_channels`` as in the official code.
    """

    selection: torch.Tensor

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
        n_split: int = 2,
        n_lego: int | float = 0.5,
    ) -> None:
        super().__init__()
        spec = ConvSpec.of(in_channels, out_channels, kernel_size, stride, padding, dilation,
                           groups, bias).require_dense("LegoConv2d")
        if n_split < 1 or in_channels % n_split:
            raise ValueError(f"n_split={n_split} must divide in_channels={in_channels}")
        lego = n_lego if isinstance(n_lego, int) else max(1, int(out_channels * n_lego))
        if lego < 1:
            raise ValueError(f"need at least one Lego filter, got n_lego={n_lego}")
        self.spec, self.n_split, self.n_lego = spec, n_split, lego
        kh, kw = spec.kernel_size
        self.lego = nn.Parameter(torch.empty(lego, in_channels // n_split, kh, kw))  # B
        nn.init.kaiming_normal_(self.lego, nonlinearity="relu")
        # a_ji: one scale per (fragment, filter); starts at 1/√o so the sum keeps its variance.
        self.coefficients = nn.Parameter(torch.full((n_split, out_channels), n_split**-0.5))
        self.scores: nn.Parameter | None = nn.Parameter(  # real-valued proxies of M
            torch.randn(n_split, out_channels, lego)
        )
        self.register_buffer("selection", torch.zeros(n_split, out_channels, dtype=torch.long))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None

    def lego_maps(self, x: torch.Tensor) -> torch.Tensor:
        """``X_i ∗ B`` for every fragment ``i``: shape ``(N, o, m, H', W')``."""
        n, c, h, w = x.shape
        s = self.spec
        fragments = x.reshape(n * self.n_split, c // self.n_split, h, w)
        maps = F.conv2d(fragments, self.lego, None, s.stride, s.padding, s.dilation)
        return maps.view(n, self.n_split, self.n_lego, *maps.shape[-2:])

    def current_selection(self) -> torch.Tensor:
        """Index of the Lego filter each (fragment, output filter) uses: ``(o, n)``."""
        return self.scores.argmax(dim=-1) if self.scores is not None else self.selection

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.lego_maps(x)
        if self.scores is not None and self.training and torch.is_grad_enabled():
            hard = F.one_hot(self.scores.argmax(dim=-1), self.n_lego).to(maps.dtype)
            chosen = hard + self.scores - self.scores.detach()  # straight-through to the scores
            weight = self.coefficients.unsqueeze(-1) * chosen  # (o, n, m)
            out = torch.einsum("bomhw,onm->bnhw", maps, weight)
        else:
            index = self.current_selection()  # gather, then one multiply-add per fragment
            fragments = torch.arange(self.n_split, device=maps.device).unsqueeze(1)
            gathered = maps[:, fragments, index]  # (N, o, n, H', W')
            out = torch.einsum("bonhw,on->bnhw", gathered, self.coefficients)
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1)
        return out

    @torch.no_grad()
    def freeze(self) -> None:
        """Fix the selection to the scores' arg-max and drop the scores (inference weights only)."""
        if self.scores is not None:
            self.selection.copy_(self.scores.argmax(dim=-1))
            self.scores = None

    def extra_repr(self) -> str:
        return f"{self.spec.extra_repr()}, n_split={self.n_split}, n_lego={self.n_lego}"


def freeze_lego(model: nn.Module) -> int:
    """:meth:`LegoConv2d.freeze` every Lego layer of ``model``; returns how many were frozen."""
    layers = [m for m in model.modules() if isinstance(m, LegoConv2d)]
    for layer in layers:
        layer.freeze()
    return len(layers)
