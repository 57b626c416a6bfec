"""Tucker-2 decomposition of convolutions (the paper's ranks from VBMF; by default an energy share).

Compression of Deep Convolutional Neural Networks for Fast and Low Power Mobile Applications.
Yong-Deok Kim, Eunhyeok Park, Sungjoo Yoo, Taelim Choi, Lu Yang, Dongjun Shin. ICLR 2016.
Catalog id ``2016-iclr-compression-deep-convolutional-neural`` · https://arxiv.org/abs/1511.06530

The kernel ``K ∈ R^{T×S×d×d}`` (``T`` outputs, ``S`` inputs) is decomposed along its two channel
modes only — the spatial modes are small already:

    K[t, s, i, j] ≈ Σ_{r₃, r₄} C[r₄, r₃, i, j] · U⁽⁴⁾[t, r₄] · U⁽³⁾[s, r₃]

which is three convolutions in a row: ``1×1`` (S → R₃, weights ``U⁽³⁾ᵀ``), ``d×d`` core
(R₃ → R₄, stride and padding of the original) and ``1×1`` (R₄ → T, weights ``U⁽⁴⁾``, original
bias). Weights and multiply-adds per output pixel fall from ``T·S·d²`` to

    S·R₃ + R₃·R₄·d² + R₄·T.

The paper's one-shot pipeline is rank selection (VBMF on the mode-3 and mode-4 unfoldings),
Tucker-2 decomposition, then fine-tuning the whole network.

Measured here (``tests/zoo/test_lowrank.py``; ``digits_cnn(width=16)`` trained 8 epochs, seed 0,
0.994 test accuracy, 24 058 parameters, 1.20 M FLOPs; classifier left alone): at ``rank_ratio=0.5``
the net keeps 9 960 parameters and 0.48 M FLOPs; accuracy drops to 0.10 and recovers to 0.986
after 3 epochs of fine-tuning (asserted: ≥ 0.93). ``energy=0.9`` (10 666 parameters, 0.68 M FLOPs)
keeps 0.986 without fine-tuning. VBMF, the paper's rule, judges this small, briefly trained net's
flat spectra mostly noise and keeps ranks (1, 1), (3, 5), (11, 13): 3 618 parameters, 0.89 after
fine-tuning — hence ``energy=0.9`` is now :func:`zoo.lowrank.decompose`'s default and VBMF is
asked for with ``vbmf=True``. On planted low-rank + noise matrices VBMF finds the planted rank
(asserted).

Cost (``benchmarks/lowrank_factors.py``, one thread of a shared 2-core machine, noisy): for a
512×512×3×3 kernel, one full float64 SVD of its 512×4608 unfolding took 12.2 s and the Gram
eigendecomposition that replaces it 0.64 s (same leading-128 subspace to 4e-13;
``torch.svd_lowrank`` at q = 138: 2.2 s). The ~14 full SVDs per convolution of the earlier code
(HOSVD, five HOOI sweeps, two rank selections) would take ≈ 170 s; rank selection and Tucker-2
of that kernel now take 13.8 s in all, mostly the HOOI contractions.

>>> import torch
>>> conv = nn.Conv2d(32, 64, 3, padding=1)
>>> small = tucker2_conv(conv, ranks=(16, 8))              # R₄ = 16 (outputs), R₃ = 8 (inputs)
>>> [tuple(m.weight.shape) for m in small]
[(8, 32, 1, 1), (16, 8, 3, 3), (64, 16, 1, 1)]
>>> small(torch.zeros(1, 32, 8, 8)).shape
torch.Size([1, 64, 8, 8])

Deviations from the paper:

* The factors come from HOSVD refined by a few HOOI sweeps (alternating truncated SVDs), a
  standard way to compute a Tucker-2 decomposition; the paper does not fix the algorithm. Each
  truncated SVD is the eigendecomposition of the smaller Gram matrix (:mod:`zoo.lowrank.gram`):
  exact and deterministic, where ``torch.svd_lowrank`` would draw from the global random
  generator and was slower at these ranks.
* The default rank rule of :func:`zoo.lowrank.decompose` is an energy share (0.9) of each
  unfolding, not VBMF (``vbmf=True``), which on small nets keeps too little; ranks may also be a
  fixed fraction (:mod:`zoo.lowrank.ranks`). A warning says when a rule removes more than 90 %
  of a layer's or the model's parameters.
* Fine-tuning is left to the caller (e.g. ``zoo.training.fine_tune``).
"""

from __future__ import annotations

import torch
from torch import nn

from ..registry import register
from .factorized import Factorized
from .gram import leading_left

__all__ = ["reconstruct", "tucker2", "tucker2_conv", "unfold"]


def unfold(weight: torch.Tensor, mode: int) -> torch.Tensor:
    """Mode-``mode`` unfolding of a kernel: ``(size of that mode, product of the others)``."""
    return weight.movedim(mode, 0).reshape(weight.shape[mode], -1)


@torch.no_grad()
def tucker2(
    weight: torch.Tensor, ranks: tuple[int, int], *, sweeps: int = 5
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(core, u_out, u_in)`` of the Tucker-2 decomposition of a ``(T, S, kh, kw)`` kernel.

    ``ranks = (R_out, R_in)``; ``core`` is ``(R_out, R_in, kh, kw)``, ``u_out`` ``(T, R_out)`` and
    ``u_in`` ``(S, R_in)`` with orthonormal columns. Computed in float64, returned in float64.
    """
    if weight.dim() != 4:
        raise ValueError(f"tucker2 needs a 4-D kernel, got shape {tuple(weight.shape)}")
    r_out, r_in = ranks
    t, s = weight.shape[:2]
    if not (1 <= r_out <= t and 1 <= r_in <= s):
        raise ValueError(f"ranks {ranks} must lie in [1, {t}] × [1, {s}] for kernel {weight.shape}")
    w = weight.detach().to(torch.float64)
    u_out, u_in = leading_left(unfold(w, 0), r_out), leading_left(unfold(w, 1), r_in)  # HOSVD
    for _ in range(sweeps):  # HOOI: each factor is optimal given the other
        u_out = leading_left(unfold(torch.einsum("tshw,sr->trhw", w, u_in), 0), r_out)
        u_in = leading_left(unfold(torch.einsum("tshw,tr->rshw", w, u_out), 1), r_in)
    core = torch.einsum("tshw,to,si->oihw", w, u_out, u_in)
    return core, u_out, u_in


def reconstruct(core: torch.Tensor, u_out: torch.Tensor, u_in: torch.Tensor) -> torch.Tensor:
    """The kernel ``core ×₁ u_out ×₂ u_in`` the three convolutions compute."""
    return torch.einsum("oihw,to,si->tshw", core, u_out, u_in)


@register(
    "tucker2",
    paper="2016-iclr-compression-deep-convolutional-neural",
    category="low-rank",
    subcategory=None,
    summary="Tucker-2: a k×k Conv2d becomes 1×1 → k×k core → 1×1, ranks by energy (or VBMF)",
)
def tucker2_conv(conv: nn.Conv2d, ranks: tuple[int, int], *, sweeps: int = 5) -> Factorized:
    """``Conv2d(S, T, k)`` → ``1×1 (S→R_in)``, ``k×k (R_in→R_out)``, ``1×1 (R_out→T)``.

    ``ranks = (R_out, R_in)``. Stride, padding and dilation go to the core; the bias to the last.
    """
    if conv.groups != 1 or conv.padding_mode != "zeros":
        raise ValueError(f"tucker2_conv needs a dense zero-padded convolution, got {conv}")
    core, u_out, u_in = tucker2(conv.weight, ranks, sweeps=sweeps)
    r_out, r_in = ranks
    factory = {"device": conv.weight.device, "dtype": conv.weight.dtype}
    first = nn.Conv2d(conv.in_channels, r_in, 1, bias=False, **factory)
    middle = nn.Conv2d(r_in, r_out, conv.kernel_size, conv.stride, conv.padding,  # type: ignore[arg-type]
                       conv.dilation, bias=False, **factory)
    last = nn.Conv2d(r_out, conv.out_channels, 1, bias=conv.bias is not None, **factory)
    with torch.no_grad():
        first.weight.copy_(u_in.T[:, :, None, None])  # project the inputs on U⁽³⁾
        middle.weight.copy_(core)
        last.weight.copy_(u_out[:, :, None, None])  # expand back with U⁽⁴⁾
        if conv.bias is not None:
            last.bias.copy_(conv.bias)
    return Factorized(first, middle, last, method="tucker2", ranks=(r_out, r_in))
