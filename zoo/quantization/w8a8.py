"""W8A8 Linear layers that run a real int8 matrix multiplication on CPU.

Weights: int8, symmetric, one scale per output channel. Activations: quantised per token
(one scale per row of ``x``) at run time, so

.. math:: y_{t,:} = s^x_t \\, s^w \\odot (q^x_{t,:} \\, {q^w}^\\top) + b

and the integer product runs in oneDNN's int8 GEMM (``torch.ops.onednn.qlinear_pointwise``, the
kernel PyTorch's own x86 quantisation backend lowers to), with the per-token scales applied to its
output. Why not ``torch._int_mm``: on CPU it falls back to a reference loop, measured 20× *slower*
than the fp32 matmul here (1024 × 256 × 768: 295 ms against 14 ms of CPU time); torchao's
CPU int8 dynamic-activation path also ends in ``_int_mm`` on CPU. oneDNN took 5 ms.

Without AVX-512 VNNI (``avx512_vnni`` / ``avx_vnni`` absent from ``/proc/cpuinfo``) x86 int8 GEMMs
sum pairs of u8 × s8 products in int16 and saturate; PyTorch's fbgemm backend avoids it with
``reduce_range`` (7-bit activations) and so does this module: activations then use ±63 instead of
±127 levels (measured: exact int32 results at ±63, errors of 25 % of the output at ±127 on this
machine's AVX2 CPU).
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["W8A8Linear", "activation_levels", "w8a8", "w8a8_layers"]


@cache
def activation_levels() -> int:
    """127 where the CPU has VNNI, else 63 (7-bit activations, see the module docstring)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return 63
    return 127 if ("avx512_vnni" in flags or "avx_vnni" in flags) else 63


def _onednn() -> bool:
    return hasattr(torch.ops, "onednn") and hasattr(torch.ops.onednn, "qlinear_pointwise")


class W8A8Linear(nn.Module):
    """An ``nn.Linear`` replacement: int8 weights, per-token int8 activations, int8 GEMM."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        w = linear.weight.detach().float()
        scale = (w.abs().amax(dim=1) / 127).clamp_min(1e-8)
        self.register_buffer("weight_int8", torch.round(w / scale[:, None]).clamp(-127, 127)
                             .to(torch.int8))
        self.register_buffer("weight_scale", scale)
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().clone())
        self.levels = activation_levels()
        self._packed = (torch.ops.onednn.qlinear_prepack(self.weight_int8, None) if _onednn()
                        else None)
        self._zero_points = torch.zeros(self.out_features, dtype=torch.long)

    def dequantized_weight(self) -> torch.Tensor:
        return self.weight_int8.float() * self.weight_scale[:, None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x = x.reshape(-1, self.in_features).float()
        x_scale = (x.abs().amax(dim=1, keepdim=True) / self.levels).clamp_min(1e-8)
        q = torch.round(x / x_scale).clamp_(-self.levels, self.levels)
        if self._packed is not None:
            # u8 with zero point = levels + 1: oneDNN's u8 × s8 GEMM; output = Σ q·qʷ · sʷ.
            offset = self.levels + 1
            y = torch.ops.onednn.qlinear_pointwise(
                (q + offset).to(torch.uint8), 1.0, offset, self._packed, self.weight_scale,
                self._zero_points, None, 1.0, 0, torch.float32, "none", [None], "")
        else:
            y = torch._int_mm(q.to(torch.int8), self.weight_int8.T).float() * self.weight_scale
        y = y * x_scale
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, activation levels ±{self.levels}"


def w8a8_layers(model: nn.Module, names: list[str]) -> nn.Module:
    """Replace the Linear layers ``names`` of ``model`` (in place) by :class:`W8A8Linear`."""
    for name in names:
        model.set_submodule(name, W8A8Linear(model.get_submodule(name)))
    return model


def w8a8(model: nn.Module, *, skip: tuple[str, ...] = ("lm_head",)) -> nn.Module:
    """Naive W8A8 (no smoothing): a copy with every Linear but ``skip`` in int8 — the baseline
    SmoothQuant is measured against."""
    model = copy.deepcopy(model)
    names = [n for n, m in model.named_modules()
             if isinstance(m, nn.Linear) and n.split(".")[-1] not in skip]
    if not names:
        raise ValueError(f"{type(model).__name__} has no Linear layers to quantize")
    return w8a8_layers(model, names)


def _reference(x: torch.Tensor, layer: W8A8Linear) -> torch.Tensor:
    """The same arithmetic in float (for tests): per-token rounding, then a float matmul."""
    x_scale = (x.abs().amax(dim=-1, keepdim=True) / layer.levels).clamp_min(1e-8)
    q = torch.round(x / x_scale).clamp(-layer.levels, layer.levels) * x_scale
    return F.linear(q, layer.dequantized_weight(), layer.bias)
