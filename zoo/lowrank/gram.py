"""Singular values and leading singular vectors from the Gram matrix of a matrix's smaller side.

For ``M ∈ R^{m×n}`` with ``m ≤ n``, ``M Mᵀ = U S² Uᵀ``: one ``m×m`` symmetric eigendecomposition
gives the left singular vectors and values, at the cost of forming ``M Mᵀ`` (``m²n``
multiply-adds). With ``m > n`` the ``n×n`` Gram matrix ``MᵀM = V S² Vᵀ`` gives ``V``, and
``U = M V S⁻¹``. Both work in float64; squaring loses singular values below about
``1e-8 · σ_max``, which the rank rules and the leading factors never need.

Measured here (``benchmarks/lowrank_factors.py``; one thread of a shared 2-core machine, so
noisy): for one 512×4608 float64 matrix — the mode-0 unfolding of a 512×512×3×3 kernel — a full
``torch.linalg.svd`` took 12.2 s, :func:`gram_svd` 0.64 s, :func:`singular_values` 0.47 s and
``torch.svd_lowrank(q=138, niter=2)`` 2.2 s; the Gram route's leading-128 subspace matched the
full SVD's to 4e-13 (Frobenius norm of the projector difference).

>>> import torch
>>> m = torch.randn(6, 40, dtype=torch.float64)
>>> s, u = gram_svd(m)
>>> torch.allclose(s, torch.linalg.svdvals(m))
True
>>> torch.allclose(u.T @ u, torch.eye(6, dtype=torch.float64))
True
"""

from __future__ import annotations

import torch

__all__ = ["gram_svd", "leading_left", "singular_values"]


def gram_svd(matrix: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(s, u)``: the ``min(m, n)`` singular values (descending) and left singular vectors of
    ``matrix`` (float64), from the eigendecomposition of its smaller Gram matrix."""
    m = matrix.detach().to(torch.float64)
    if m.shape[0] <= m.shape[1]:
        values, vectors = torch.linalg.eigh(m @ m.T)
        s = values.flip(0).clamp_min(0.0).sqrt()
        return s, vectors.flip(1)
    values, vectors = torch.linalg.eigh(m.T @ m)
    s = values.flip(0).clamp_min(0.0).sqrt()
    u = (m @ vectors.flip(1)) / s.clamp_min(torch.finfo(torch.float64).tiny)
    return s, u


def leading_left(matrix: torch.Tensor, rank: int) -> torch.Tensor:
    """The ``rank`` leading left singular vectors of ``matrix``, as columns (float64)."""
    return gram_svd(matrix)[1][:, :rank]


def singular_values(matrix: torch.Tensor) -> torch.Tensor:
    """The singular values of ``matrix``, descending (float64), from its smaller Gram matrix."""
    m = matrix.detach().to(torch.float64)
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    return torch.linalg.eigvalsh(gram).flip(0).clamp_min(0.0).sqrt()
