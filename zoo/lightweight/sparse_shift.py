"""Sparse shift layer (SSL).

All You Need is a Few Shifts: Designing Efficient Convolutional Neural Networks for Image
Classification. Weijie Chen, Di Xie, Yuan Zhang, Shiliang Pu. CVPR 2019.
Catalog id ``2019-cvpr-all-you-need-few`` · https://arxiv.org/abs/1903.05285

A shift layer moves each channel ``c`` of the feature map by its own displacement
``(α_c, β_c)`` and leaves the mixing of channels to a ``1×1`` convolution, so a ``K×K``
convolution ``M → N`` becomes a multiply-free shift plus ``N·M`` weights:

    S(x)_c[i, j] = x_c[i + α_c, j + β_c]             (zero outside the map)
    FLOPs = D_o²·N·M  instead of  D_o²·N·M·K²       (shift: memory moves only)

The paper's Sparse Shift Layer learns the displacements with a penalty ``λ·Σ_c (|α_c| + |β_c|)``
that drives most of them to zero — "a few shifts" suffice and unshifted channels cost no memory
movement either — and quantization-aware shift learning: displacements are real-valued during
training (bilinear interpolation gives them gradients) but the forward pass already uses the
integer shift that inference will use.

Measured here (``tests/zoo/test_lightweight.py``; digits, seed 0, 12 epochs): shift + point-wise
costs exactly 1/K² of the convolution it replaces; the two inner 3×3 convs of
``digits_cnn(width=16)`` swapped, the net drops from 1.20 M to 0.15 M FLOPs and from 24 058 to
3 674 parameters. Without the penalty it reaches 0.967 test accuracy with 25 % of the channels
unshifted; with λ = 1e-2, 0.978 with 90 % unshifted (asserted: ≥ 0.90 both, and the penalty
raises the unshifted share by ≥ 30 points). The unswapped net reaches 0.994. On 8×8 digits few
shifts suffice — which is the paper's point, though such a small task shows it only weakly.

>>> import torch
>>> layer = SparseShiftConv(16, 32, 3, padding=1, bias=False)   # replaces nn.Conv2d(16, 32, 3, ...)
>>> layer(torch.zeros(2, 16, 8, 8)).shape
torch.Size([2, 32, 8, 8])
>>> layer.pointwise.weight.numel(), layer.shift.displacement.numel()  # N·M weights, 2·M shifts
(512, 32)

Deviations from the paper:

* Only the layer is implemented (shift + point-wise conv as a drop-in ``nn.Conv2d``), not the
  paper's FE-Net architecture built from it.
* The straight-through form is ours: the forward value is the integer shift, the backward pass
  takes the bilinear interpolation's gradient at the real-valued displacement.
* Displacements start uniform in [-1, 1] (our choice); the penalty is the plain L1 sum of
  :func:`shift_penalty`, to be weighted by the caller.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..registry import register
from .geometry import ConvSpec, IntOrPair, center_tap_input

__all__ = [
    "SparseShift", "SparseShiftConv", "bilinear_shift", "integer_shift", "shift_penalty",
    "shift_sparsity",
]


def integer_shift(x: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """``out[:, c, i, j] = x[:, c, i + shifts[c, 0], j + shifts[c, 1]]``, zero outside the map.

    Only channels with a non-zero shift are touched — the sparse layer's point.
    """
    out = x.clone()
    shifts = shifts.to(torch.long)
    moved = (shifts != 0).any(dim=1)
    if not moved.any():
        return out
    height, width = x.shape[-2:]
    radius = int(shifts.abs().max())
    padded = F.pad(x, (radius, radius, radius, radius))
    for dy, dx in torch.unique(shifts[moved], dim=0).tolist():  # one slice per distinct shift
        channels = ((shifts[:, 0] == dy) & (shifts[:, 1] == dx)).nonzero().flatten()
        out[:, channels] = padded[
            :, channels, radius + dy : radius + dy + height, radius + dx : radius + dx + width
        ]
    return out


def bilinear_shift(x: torch.Tensor, displacement: torch.Tensor) -> torch.Tensor:
    """Shift channel ``c`` by the real-valued ``displacement[c]`` with bilinear interpolation."""
    n, c, h, w = x.shape
    ys = torch.arange(h, dtype=x.dtype, device=x.device)
    xs = torch.arange(w, dtype=x.dtype, device=x.device)
    # Sample positions per channel: (C, H, W) each, then normalise to [-1, 1] (align_corners).
    rows = ys.view(1, h, 1) + displacement[:, 0].view(c, 1, 1)
    cols = xs.view(1, 1, w) + displacement[:, 1].view(c, 1, 1)
    rows, cols = torch.broadcast_tensors(rows, cols)
    grid = torch.stack((2 * cols / max(w - 1, 1) - 1, 2 * rows / max(h - 1, 1) - 1), dim=-1)
    grid = grid.unsqueeze(0).expand(n, c, h, w, 2).reshape(n * c, h, w, 2)
    out = F.grid_sample(x.reshape(n * c, 1, h, w), grid, mode="bilinear",
                        padding_mode="zeros", align_corners=True)
    return out.view(n, c, h, w)


class SparseShift(nn.Module):
    """Per-channel learnable shift; integer shifts in the forward pass, bilinear gradients.

    With ``quantization_aware=False`` training uses the bilinear shift itself (the rounding
    happens only in eval mode).
    """

    def __init__(self, channels: int, *, quantization_aware: bool = True) -> None:
        super().__init__()
        self.displacement = nn.Parameter(torch.empty(channels, 2).uniform_(-1.0, 1.0))
        self.quantization_aware = quantization_aware

    def integer_displacement(self) -> torch.Tensor:
        return torch.round(self.displacement.detach()).to(torch.long)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and torch.is_grad_enabled()):
            return integer_shift(x, self.integer_displacement())  # inference: memory moves only
        soft = bilinear_shift(x, self.displacement)
        if not self.quantization_aware:
            return soft
        hard = integer_shift(x, self.integer_displacement())
        return soft + (hard - soft).detach()  # value of the integer shift, gradient of bilinear


@register(
    "sparse-shift",
    paper="2019-cvpr-all-you-need-few",
    category="architecture",
    subcategory="lightweight",
    summary="Sparse shift layer + 1×1 conv: learned per-channel integer shifts; drop-in Conv2d",
)
class SparseShiftConv(nn.Module):
    """Drop-in for ``nn.Conv2d(M, N, K, ...)``: a sparse shift of the M channels, then 1×1 M → N.

    ``kernel_size``, ``padding`` and ``dilation`` only fix the output grid (the 1×1 conv reads the
    centre tap of the replaced K×K window); ``stride`` is applied by the 1×1 conv.
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
        quantization_aware: bool = True,
    ) -> None:
        super().__init__()
        spec = ConvSpec.of(in_channels, out_channels, kernel_size, stride, padding, dilation,
                           groups, bias).require_dense("SparseShiftConv")
        self.spec = spec
        self.shift = SparseShift(in_channels, quantization_aware=quantization_aware)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, spec.stride, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.spec
        shifted = center_tap_input(
            self.shift(x), kernel_size=s.kernel_size, padding=s.padding, dilation=s.dilation
        )
        return self.pointwise(shifted)


def _shift_layers(model: nn.Module) -> list[SparseShift]:
    return [m for m in model.modules() if isinstance(m, SparseShift)]


def shift_penalty(model: nn.Module) -> torch.Tensor:
    """``Σ |α_c| + |β_c|`` over every :class:`SparseShift` in ``model`` (the sparsity penalty)."""
    layers = _shift_layers(model)
    if not layers:
        raise ValueError("the model has no SparseShift layers to penalise")
    return sum((layer.displacement.abs().sum() for layer in layers), torch.zeros(()))


def shift_sparsity(model: nn.Module) -> float:
    """Fraction of channels whose integer shift is ``(0, 0)`` across the model's shift layers."""
    layers = _shift_layers(model)
    if not layers:
        raise ValueError("the model has no SparseShift layers")
    still = sum(int((layer.integer_displacement() == 0).all(dim=1).sum()) for layer in layers)
    return still / sum(layer.displacement.shape[0] for layer in layers)
