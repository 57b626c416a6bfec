"""How many components to keep: a fixed fraction, an energy share, or VBMF's estimate.

Three rules, applied to one matrix (a ``Linear`` weight, or a mode unfolding of a conv kernel):

* ``rank_ratio`` — keep ``⌈ratio · full⌉`` components, ``full = min(rows, cols)``;
* ``energy`` — keep the fewest leading singular values whose squares hold at least ``energy`` of
  ``‖W‖_F² = Σ σ_i²`` (so the relative Frobenius error is at most ``√(1 - energy)``);
* ``vbmf=True`` — the rank that *empirical variational Bayesian matrix factorisation* (EVBMF)
  estimates, which Kim et al. (ICLR 2016) apply to the two mode unfoldings of each kernel; it treats
  ``W = signal + Gaussian noise of variance σ²`` and keeps the singular values above the analytic
  threshold ``√(M σ² (1 + τ̄)(1 + α/τ̄))`` with ``α = L/M ≤ 1`` and ``τ̄ = 2.5129 √α``; ``σ²`` is
  itself estimated by minimising the EVBMF free energy over a bracket derived from the spectrum.

With no rule given, ``energy=DEFAULT_ENERGY`` (0.9): VBMF, the paper's rule for Tucker-2, treats
the flat spectra of small or briefly trained layers as noise and kept 0.2 % of a ResNet-18's
parameters in an outside review (issue 14); an energy share cannot remove a layer's dominant
directions. Singular values come from the Gram matrix (:mod:`zoo.lowrank.gram`).

>>> import torch
>>> torch.manual_seed(0) is not None
True
>>> signal = torch.randn(40, 3) @ torch.randn(3, 60) * 3.0       # rank 3
>>> vbmf_rank(signal + 0.1 * torch.randn(40, 60))
3
>>> select_rank(torch.tensor([3.0, 2.0, 1.0, 0.5]), energy=0.9)  # 9+4 = 13 of 14.25 → 0.91
2
"""

from __future__ import annotations

import math

import torch

from .gram import singular_values

__all__ = ["DEFAULT_ENERGY", "select_rank", "vbmf_rank"]

DEFAULT_ENERGY = 0.9  # share of ‖W‖_F² kept when no rule is given


def _tau(x: torch.Tensor, alpha: float) -> torch.Tensor:
    """Posterior signal strength τ(x) for a normalised squared singular value ``x > x̄``."""
    shifted = x - (1 + alpha)
    return 0.5 * (shifted + torch.sqrt(shifted**2 - 4 * alpha))


def _free_energy(sigma2: float, rows: int, cols: int, s: torch.Tensor, residual: float,
                 x_bar: float) -> float:
    """EVBMF free energy (up to a constant) as a function of the noise variance ``sigma2``."""
    alpha = rows / cols
    x = s**2 / (cols * sigma2)
    above, below = x[x > x_bar], x[x <= x_bar]
    tau = _tau(above, alpha)
    energy = (below - torch.log(below)).sum() + (above - tau).sum()
    energy = energy + torch.log((tau + 1) / above).sum() + alpha * torch.log(tau / alpha + 1).sum()
    energy = energy + residual / (cols * sigma2) + (rows - len(s)) * math.log(sigma2)
    return float(energy)


def vbmf_rank(matrix: torch.Tensor) -> int:
    """The rank EVBMF keeps for ``matrix`` with an estimated noise variance (at least 1)."""
    from scipy.optimize import minimize_scalar  # scikit-learn's dependency; only needed here

    y = matrix.detach().to(torch.float64)
    if y.shape[0] > y.shape[1]:
        y = y.T  # the analysis assumes L ≤ M
    rows, cols = y.shape
    s = singular_values(y)
    alpha = rows / cols
    tau_bar = 2.5129 * math.sqrt(alpha)
    x_bar = (1 + tau_bar) * (1 + alpha / tau_bar)
    # Bracket for σ²: at most the mean energy per entry; at least what the tail implies.
    upper = float((s**2).sum()) / (rows * cols)
    tail_start = max(0, min(math.ceil(rows / (1 + alpha)) - 1, rows) - 1)
    tail = s[tail_start:]
    if len(tail) < 2 or upper <= 0:
        return 1
    lower = max(float(tail[1] ** 2) / (cols * x_bar), float((tail[1:] ** 2).mean()) / cols)
    if not lower < upper:
        return 1
    result = minimize_scalar(
        _free_energy, args=(rows, cols, s, 0.0, x_bar), bounds=(lower, upper), method="bounded"
    )
    threshold = math.sqrt(cols * result.x * (1 + tau_bar) * (1 + alpha / tau_bar))
    return max(1, int((s > threshold).sum()))


def select_rank(
    spectrum: torch.Tensor,
    *,
    rank_ratio: float | None = None,
    energy: float | None = None,
    vbmf: bool = False,
) -> int:
    """Rank to keep, from a matrix or its singular values (1-D, descending); see the module doc.

    At most one rule; with none, ``energy=DEFAULT_ENERGY``. ``vbmf=True`` (:func:`vbmf_rank`)
    needs the matrix itself.
    """
    if sum((rank_ratio is not None, energy is not None, vbmf)) > 1:
        raise ValueError("give one of rank_ratio, energy or vbmf, not both")
    if rank_ratio is not None and not 0 < rank_ratio <= 1:
        raise ValueError(f"rank_ratio must be in (0, 1], got {rank_ratio}")
    if energy is not None and not 0 < energy <= 1:
        raise ValueError(f"energy must be in (0, 1], got {energy}")
    if vbmf:
        if spectrum.dim() != 2:
            raise ValueError("the VBMF rule needs the matrix, not its singular values")
        return vbmf_rank(spectrum)
    s = singular_values(spectrum) if spectrum.dim() == 2 else spectrum.to(torch.float64)
    full = len(s)
    if rank_ratio is not None:
        return min(full, max(1, math.ceil(rank_ratio * full)))
    energy = DEFAULT_ENERGY if energy is None else energy
    share = torch.cumsum(s**2, 0) / (s**2).sum()
    # smallest r with share[r-1] ≥ energy (a hair of tolerance for energy = 1 in floating point)
    return min(full, int((share < energy - 1e-12).sum()) + 1)
