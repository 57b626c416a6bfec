"""Group-wise weight quantisation and round-to-nearest (RTN), the baseline every LLM method beats.

Each row of a Linear weight ``W`` (``out × in``) is cut into groups of ``group_size`` input
columns; each group gets its own asymmetric ``bits``-bit grid from its min and max:

.. math:: s = \\frac{\\max w - \\min w}{2^b - 1},\\quad z = \\mathrm{round}(-\\min w / s),\\quad
          q = \\mathrm{clamp}(\\mathrm{round}(w / s) + z, 0, 2^b - 1),\\quad \\hat w = s (q - z)

RTN applies it to every weight as is; GPTQ and AWQ use the same grid (:func:`group_params`,
:func:`quantize_codes`, :func:`dequantize_codes`) after changing what they round. The codes,
scales and zero points are what :mod:`zoo.quantization.packing` stores.

>>> import torch
>>> w = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
>>> scale, zero = group_params(w, bits=2, group_size=4)
>>> fake_quantize_groups(w, scale, zero, bits=2).tolist()
[[0.0, 1.0, 2.0, 3.0]]
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

__all__ = [
    "SUPPORTED_BITS",
    "check_weight_config",
    "dequantize_codes",
    "fake_quantize_groups",
    "group_params",
    "quantize_codes",
    "rtn_weight",
]

SUPPORTED_BITS = (2, 3, 4, 8)


def check_weight_config(
    bits: int, group_size: int, layers: Iterable[tuple[str, nn.Linear]]
) -> None:
    """One-line ``ValueError`` for bits outside :data:`SUPPORTED_BITS` or a group size that
    does not divide a layer's input width (naming the layer)."""
    if bits not in SUPPORTED_BITS:
        raise ValueError(f"bits={bits} is not supported (choose from "
                         f"{', '.join(map(str, SUPPORTED_BITS))})")
    if group_size < 1:
        raise ValueError(f"group_size={group_size} must be a positive number of columns")
    for name, layer in layers:
        if layer.in_features % group_size:
            raise ValueError(f"group_size={group_size} does not divide layer {name!r} "
                             f"({layer.in_features} input features)")


def _grouped(w: torch.Tensor, group_size: int) -> torch.Tensor:
    return w.reshape(w.shape[0], -1, group_size)


def group_params(w: torch.Tensor, *, bits: int, group_size: int) -> tuple[torch.Tensor,
                                                                         torch.Tensor]:
    """Scale and zero point ``(out, in // group_size)`` of each group's min-max grid."""
    g = _grouped(w.float(), group_size)
    low = g.amin(dim=-1).clamp(max=0.0)  # the grid holds 0 so exact zeros stay zero
    high = g.amax(dim=-1).clamp(min=0.0)
    scale = ((high - low) / (2**bits - 1)).clamp(min=1e-8)
    zero = torch.round(-low / scale)
    return scale, zero


def _expand(t: torch.Tensor, group_size: int) -> torch.Tensor:
    return t.repeat_interleave(group_size, dim=-1)


def quantize_codes(w: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor, *,
                   bits: int) -> torch.Tensor:
    """Integer codes ``q ∈ [0, 2^b − 1]`` (uint8) of ``w`` on the groups' grids."""
    group_size = w.shape[-1] // scale.shape[-1]
    q = torch.round(w.float() / _expand(scale, group_size)) + _expand(zero, group_size)
    return q.clamp_(0, 2**bits - 1).to(torch.uint8)


def dequantize_codes(q: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor) -> torch.Tensor:
    """:math:`\\hat w = s (q - z)` as float32."""
    group_size = q.shape[-1] // scale.shape[-1]
    return (q.float() - _expand(zero, group_size)) * _expand(scale, group_size)


def fake_quantize_groups(w: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor, *,
                         bits: int) -> torch.Tensor:
    """``w`` rounded to its groups' grids and back to float."""
    return dequantize_codes(quantize_codes(w, scale, zero, bits=bits), scale, zero)


def rtn_weight(w: torch.Tensor, *, bits: int, group_size: int) -> tuple[torch.Tensor, torch.Tensor,
                                                                       torch.Tensor]:
    """Round-to-nearest of one weight: ``(ŵ, scale, zero)``."""
    scale, zero = group_params(w, bits=bits, group_size=group_size)
    return fake_quantize_groups(w, scale, zero, bits=bits), scale, zero
