"""k-bit uniform (affine) fake quantisation on top of ``torch.fake_quantize_per_*``.

An affine quantiser maps a real ``x`` to the integer ``q = clamp(round(x / s) + z, q_min, q_max)``
and back to ``x̂ = (q - z) · s`` (scale ``s``, zero point ``z``). "Fake" quantisation keeps ``x̂`` in
floating point so a float network can train with the rounding error in its forward pass; PyTorch's
kernels give the straight-through gradient (identity inside the clamping range, zero outside).
Every k-bit method in this package calls :func:`fake_quantize` rather than re-deriving the rule.

>>> import torch
>>> x = torch.linspace(-1, 1, 101)
>>> scale, zero_point, q_min, q_max = symmetric_qparams(x, bits=3)
>>> count_levels(fake_quantize(x, scale, zero_point, q_min, q_max)) <= 2**3
True
"""

from __future__ import annotations

import torch

__all__ = ["count_levels", "fake_quantize", "symmetric_qparams"]


def fake_quantize(
    x: torch.Tensor,
    scale: float | torch.Tensor,
    zero_point: int | torch.Tensor,
    quant_min: int,
    quant_max: int,
    *,
    axis: int | None = None,
) -> torch.Tensor:
    """``(clamp(round(x / scale) + zero_point, quant_min, quant_max) - zero_point) · scale``.

    ``axis=None`` is one scale for the whole tensor (``torch.fake_quantize_per_tensor_affine``);
    an ``axis`` takes one scale and zero point per slice along it
    (``torch.fake_quantize_per_channel_affine``). Rounding is half-to-even, as in PyTorch.
    """
    if axis is None:
        if isinstance(scale, torch.Tensor):  # the tensor overload wants float32 / int32 scalars
            scale = scale.detach().reshape(1).to(torch.float32)
            zero_point = torch.as_tensor(zero_point).reshape(1).to(torch.int32)
            return torch.fake_quantize_per_tensor_affine(x, scale, zero_point, quant_min, quant_max)
        return torch.fake_quantize_per_tensor_affine(
            x, float(scale), int(zero_point), quant_min, quant_max
        )
    channels = x.shape[axis]
    scale_t = torch.as_tensor(scale, dtype=torch.float32).detach().expand(channels).contiguous()
    zp_t = torch.as_tensor(zero_point, dtype=torch.int32).expand(channels).contiguous()
    return torch.fake_quantize_per_channel_affine(x, scale_t, zp_t, axis, quant_min, quant_max)


def symmetric_qparams(
    x: torch.Tensor, bits: int, *, axis: int | None = None, clip: torch.Tensor | float | None = None
) -> tuple[torch.Tensor, int, int, int]:
    """Scale, zero point and range of a signed, symmetric ``bits``-bit grid covering ``[-c, c]``.

    ``c`` is ``clip`` if given, else ``max |x|`` (per slice along ``axis``). The grid is the
    "narrow" one, ``-(2^(b-1) - 1) … 2^(b-1) - 1``, so that it is symmetric and zero is exact.
    """
    if bits < 2:
        raise ValueError(f"a symmetric grid needs at least 2 bits, got {bits}")
    q_max = 2 ** (bits - 1) - 1
    if clip is None:
        if axis is None:
            clip = x.detach().abs().max()
        else:
            dims = [d for d in range(x.dim()) if d != axis % x.dim()]
            clip = x.detach().abs().amax(dim=dims)
    clip_t = torch.as_tensor(clip, dtype=torch.float32)
    scale = torch.clamp(clip_t, min=1e-8) / q_max  # an all-zero tensor still gets a valid scale
    return scale, 0, -q_max, q_max


def count_levels(x: torch.Tensor) -> int:
    """Number of distinct values in ``x`` — what a b-bit quantiser bounds by ``2^b``."""
    return int(torch.unique(x.detach()).numel())
