"""Straight-through estimators: use a discrete value forward, pretend it was smooth backward.

Quantisers are step functions whose gradient is zero almost everywhere. The straight-through
estimator (STE, Bengio et al. 2013) keeps the quantised value in the forward pass and lets the
gradient through to the real-valued "latent" weight as if the quantiser were the identity — the
trick every quantisation-aware method in this package trains with.

>>> import torch
>>> w = torch.tensor([-1.5, -0.2, 0.0, 0.7], requires_grad=True)
>>> b = sign_ste(w)
>>> b.tolist()
[-1.0, -1.0, 1.0, 1.0]
>>> b.sum().backward()
>>> w.grad.tolist()  # cancelled where |w| > 1, identity elsewhere
[0.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

import torch

__all__ = ["binary_sign", "sign_ste", "straight_through"]


def straight_through(forward: torch.Tensor, backward: torch.Tensor) -> torch.Tensor:
    """``forward``'s values with ``backward``'s gradient.

    Written ``f + (b - b.detach())`` rather than the common ``b + (f - b).detach()``: ``b - b`` is
    exactly zero, so the result equals ``f`` bit for bit and a binary layer holds exactly two
    values, where the common form leaves rounding residue of the latent weight.
    """
    return forward.detach() + (backward - backward.detach())


def binary_sign(x: torch.Tensor) -> torch.Tensor:
    """``sign`` with ``sign(0) = +1``, so the result always takes exactly the two values ±1."""
    return torch.where(x >= 0, 1.0, -1.0).to(x.dtype)


def sign_ste(x: torch.Tensor) -> torch.Tensor:
    """±1 forward; backward the gradient of ``hardtanh`` — identity inside [-1, 1], zero outside.

    Cancelling the gradient for |x| > 1 (Hubara et al.'s "saturated STE") stops latent weights and
    activations that are already far from the threshold drifting further away.
    """
    return straight_through(binary_sign(x), torch.clamp(x, -1.0, 1.0))
