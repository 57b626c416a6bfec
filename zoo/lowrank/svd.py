"""Truncated SVD of fully connected (and 1×1 convolution) layers.

Exploiting Linear Structure Within Convolutional Networks for Efficient Evaluation.
Emily L. Denton, Wojciech Zaremba, Joan Bruna, Yann LeCun, Rob Fergus. NeurIPS 2014.
Catalog id ``2014-neurips-exploiting-linear-structure-within`` · https://arxiv.org/abs/1404.0736

A weight matrix ``W ∈ R^{m×n}`` with singular value decomposition ``W = U S Vᵀ`` is replaced by its
best rank-``r`` approximation, computed as two thinner layers:

    W ≈ W_r = (U_r S_r^{½}) (S_r^{½} V_rᵀ)       n → r → m
    ‖W − W_r‖_F² = Σ_{i>r} σ_i²,   ‖W − W_r‖₂ = σ_{r+1}

(Eckart–Young: no rank-``r`` matrix is closer in either norm), which cuts ``m·n`` weights and
multiply-adds to ``r·(m + n)``. A ``1×1`` convolution is the same matrix applied at every pixel
and is factorised the same way, into two ``1×1`` convolutions.

Measured here (``tests/zoo/test_lowrank.py``): the factorised weight's Frobenius and spectral
errors equal the Eckart–Young optimum to 1e-5 relative (the factors are stored in float32), a
random rank-``r`` projection does worse, and at full rank the outputs match to 1e-5.

>>> import torch
>>> layer = nn.Linear(64, 32)
>>> small = svd_linear(layer, rank=8)
>>> [m.weight.shape for m in small]
[torch.Size([8, 64]), torch.Size([32, 8])]
>>> sum(p.numel() for p in small.parameters()) == 8 * (64 + 32) + 32   # r(m+n) + bias
True

Deviations from the paper:

* Denton et al. approximate mostly the convolutional layers (monochromatic and bi-clustered
  tensor approximations) and use SVD for the fully connected ones; only the SVD part is here —
  convolutions with larger kernels go through Tucker-2 (:mod:`zoo.lowrank.tucker`).
* The singular values are split evenly (``√S`` on each side) to balance the factors' scales; the
  paper does not prescribe a split.
"""

from __future__ import annotations

import torch
from torch import nn

from ..registry import register
from .factorized import Factorized

__all__ = ["svd_linear", "svd_pointwise_conv", "truncated_svd"]


@torch.no_grad()
def truncated_svd(weight: torch.Tensor, rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(A, B)`` with ``A @ B`` the best rank-``rank`` approximation of the matrix ``weight``.

    ``A`` is ``(m, r)`` = ``U_r √S_r`` and ``B`` is ``(r, n)`` = ``√S_r V_rᵀ``; computed in float64.
    """
    if weight.dim() != 2:
        raise ValueError(f"truncated_svd needs a matrix, got shape {tuple(weight.shape)}")
    if not 1 <= rank <= min(weight.shape):
        raise ValueError(f"rank must be in [1, {min(weight.shape)}], got {rank}")
    u, s, vh = torch.linalg.svd(weight.detach().to(torch.float64), full_matrices=False)
    root = s[:rank].sqrt()
    first = (root.unsqueeze(1) * vh[:rank]).to(weight.dtype)  # √S_r V_rᵀ : n → r
    second = (u[:, :rank] * root).to(weight.dtype)  # U_r √S_r : r → m
    return second, first


@register(
    "truncated-svd",
    paper="2014-neurips-exploiting-linear-structure-within",
    category="low-rank",
    subcategory=None,
    summary="Truncated SVD: Linear(n, m) → Linear(n, r) + Linear(r, m), the Eckart–Young optimum",
)
def svd_linear(linear: nn.Linear, rank: int) -> Factorized:
    """``Linear(n, m)`` → ``Linear(n, r, bias=False)`` then ``Linear(r, m)`` (original bias)."""
    second, first = truncated_svd(linear.weight, rank)
    factory = {"device": linear.weight.device, "dtype": linear.weight.dtype}
    reduce = nn.Linear(linear.in_features, rank, bias=False, **factory)
    expand = nn.Linear(rank, linear.out_features, bias=linear.bias is not None, **factory)
    with torch.no_grad():
        reduce.weight.copy_(first)
        expand.weight.copy_(second)
        if linear.bias is not None:
            expand.bias.copy_(linear.bias)
    return Factorized(reduce, expand, method="svd", ranks=(rank,))


def svd_pointwise_conv(conv: nn.Conv2d, rank: int) -> Factorized:
    """A ``1×1`` ``Conv2d`` → two ``1×1`` convs through ``rank`` channels (stride on the first)."""
    if conv.kernel_size != (1, 1) or conv.groups != 1:
        raise ValueError(f"svd_pointwise_conv needs a dense 1×1 convolution, got {conv}")
    second, first = truncated_svd(conv.weight.flatten(1), rank)
    factory = {"device": conv.weight.device, "dtype": conv.weight.dtype}
    # Padding happens before the first conv: padded zeros stay zero through the bias-free reduce.
    reduce = nn.Conv2d(conv.in_channels, rank, 1, conv.stride, conv.padding, bias=False, **factory)
    expand = nn.Conv2d(rank, conv.out_channels, 1, bias=conv.bias is not None, **factory)
    with torch.no_grad():
        reduce.weight.copy_(first[:, :, None, None])
        expand.weight.copy_(second[:, :, None, None])
        if conv.bias is not None:
            expand.bias.copy_(conv.bias)
    return Factorized(reduce, expand, method="svd", ranks=(rank,))
