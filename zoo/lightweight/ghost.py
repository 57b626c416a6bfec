"""Ghost module and Ghost bottleneck — GhostNet: More Features from Cheap Operations.

Kai Han, Yunhe Wang, Qi Tian, Jianyuan Guo, Chunjing Xu, Chang Xu. CVPR 2020.
Catalog id ``2020-cvpr-ghostnet`` · https://arxiv.org/abs/1911.11907 ·
official code https://github.com/huawei-noah/ghostnet

Many output maps of a convolution are near-copies ("ghosts") of others. A Ghost module computes
only ``m = ⌈n/s⌉`` *intrinsic* maps with an ordinary convolution and derives the rest with cheap
depthwise ``d×d`` convolutions Φ:

    Y' = X ∗ f'                      (c → m channels, k×k kernels)
    y_ij = Φ_ij(y'_i),  j = 1..s-1   (one d×d depthwise kernel per ghost)
    Y = [Y', Φ(Y')][:n]              (concatenate, keep n channels)

so the weights shrink from ``n·c·k²`` to ``m·c·k² + m(s-1)·d²`` and the multiply-adds by the same
factor, ≈ ``s`` when ``d ≈ k`` and ``s ≪ c`` (the paper's compression ratio r_c and speed-up r_s).

Measured here (``tests/zoo/test_lightweight.py``; digits, seed 0, 12 epochs, one thread):
swapping the two inner 3×3 convs of ``zoo.nets.digits_cnn(width=16)`` for Ghost modules (s=2,
d=3) cuts the net from 24 058 to 13 162 parameters and from 1.20 M to 0.64 M FLOPs per image; it
trains to 0.994 test accuracy, as the unswapped net does (floor asserted: 0.93).
``GhostDigitsNet(width=8)`` (stem + four Ghost bottlenecks, 5 392 parameters, 0.17 M FLOPs)
reaches 0.989 in 10 epochs (floor asserted: 0.90).

>>> import torch
>>> ghost = GhostModule(16, 32, 3, padding=1)          # replaces nn.Conv2d(16, 32, 3, padding=1)
>>> ghost(torch.zeros(2, 16, 8, 8)).shape
torch.Size([2, 32, 8, 8])
>>> conv_weights = sum(m.weight.numel() for m in ghost.modules() if isinstance(m, nn.Conv2d))
>>> conv_weights == 16 * 16 * 9 + 16 * 1 * 9        # m·c·k² + m(s-1)·d² with m = 16
True

Deviations from the paper:

* As in the official code, each of the two convolutions is followed by BatchNorm (and ReLU when
  ``relu=True``), so the module is self-contained; ``bias`` is accepted for the ``nn.Conv2d``
  signature and ignored, since the BatchNorm shift makes a bias redundant.
* When ``n`` is not a multiple of ``s`` the extra ghost maps are computed and sliced off (as in the
  official code), so FLOPs use ``m = ⌈n/s⌉``.
* The squeeze-and-excitation gate of the bottleneck uses a hard sigmoid, as the official code; the
  paper only says "SE module".
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..registry import register
from .geometry import ConvSpec, IntOrPair

__all__ = ["GhostBottleneck", "GhostDigitsNet", "GhostModule", "SqueezeExcite"]


@register(
    "ghost-module",
    paper="2020-cvpr-ghostnet",
    category="architecture",
    subcategory="lightweight",
    summary="Ghost module: a few intrinsic maps plus cheap depthwise 'ghost' maps; drop-in Conv2d",
)
class GhostModule(nn.Module):
    """Drop-in for ``nn.Conv2d(in_channels, out_channels, kernel_size, ...)``: intrinsic + ghosts.

    ``ratio`` is the paper's ``s`` (total maps per intrinsic map), ``dw_size`` its ``d``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair = 1,
        stride: IntOrPair = 1,
        padding: IntOrPair | str = 0,
        dilation: IntOrPair = 1,
        groups: int = 1,
        bias: bool = True,
        *,
        ratio: int = 2,
        dw_size: int = 3,
        relu: bool = True,
    ) -> None:
        super().__init__()
        if ratio < 2:
            raise ValueError(f"ratio s must be ≥ 2 (s=1 is a plain convolution), got {ratio}")
        spec = ConvSpec.of(in_channels, out_channels, kernel_size, stride, padding, dilation,
                           groups, bias)
        self.out_channels = out_channels
        intrinsic = math.ceil(out_channels / ratio)  # m = ⌈n/s⌉
        if intrinsic % groups:
            raise ValueError(f"groups={groups} must divide the {intrinsic} intrinsic maps")
        self.primary = nn.Sequential(  # Y' = X ∗ f'
            nn.Conv2d(in_channels, intrinsic, spec.kernel_size, spec.stride, spec.padding,
                      spec.dilation, groups, bias=False),
            nn.BatchNorm2d(intrinsic),
            nn.ReLU(inplace=True) if relu else nn.Identity(),
        )
        self.cheap = nn.Sequential(  # y_ij = Φ_ij(y'_i): s-1 depthwise d×d kernels per map
            nn.Conv2d(intrinsic, intrinsic * (ratio - 1), dw_size, 1, dw_size // 2,
                      groups=intrinsic, bias=False),
            nn.BatchNorm2d(intrinsic * (ratio - 1)),
            nn.ReLU(inplace=True) if relu else nn.Identity(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        intrinsic = self.primary(x)
        ghosts = self.cheap(intrinsic)
        return torch.cat([intrinsic, ghosts], dim=1)[:, : self.out_channels]  # keep n maps


class SqueezeExcite(nn.Module):
    """Channel gate ``x · hsigmoid(W₂ relu(W₁ avgpool(x)))`` used inside Ghost bottlenecks."""

    def __init__(self, channels: int, se_ratio: float = 0.25) -> None:
        super().__init__()
        reduced = max(1, int(channels * se_ratio))
        self.reduce = nn.Conv2d(channels, reduced, 1)
        self.expand = nn.Conv2d(reduced, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.expand(F.relu(self.reduce(F.adaptive_avg_pool2d(x, 1))))
        return x * F.hardsigmoid(gate)


@register(
    "ghost-bottleneck",
    paper="2020-cvpr-ghostnet",
    category="architecture",
    subcategory="lightweight",
    summary="Ghost bottleneck: two Ghost modules (expand, project) with a residual shortcut",
)
class GhostBottleneck(nn.Module):
    """Ghost module (expand, ReLU) → [depthwise stride-2 conv] → [SE] → Ghost module (project).

    The shortcut is the identity when shapes match, else a depthwise + point-wise conv pair.
    """

    def __init__(
        self,
        in_channels: int,
        mid_channels: int,
        out_channels: int,
        dw_kernel_size: int = 3,
        stride: int = 1,
        se_ratio: float = 0.0,
        *,
        ratio: int = 2,
    ) -> None:
        super().__init__()
        self.expand = GhostModule(in_channels, mid_channels, 1, ratio=ratio, relu=True)
        self.downsample: nn.Module = nn.Identity()
        if stride > 1:  # the paper's stride-2 bottleneck puts a depthwise conv between the two
            self.downsample = nn.Sequential(
                nn.Conv2d(mid_channels, mid_channels, dw_kernel_size, stride,
                          dw_kernel_size // 2, groups=mid_channels, bias=False),
                nn.BatchNorm2d(mid_channels),
            )
        self.se = SqueezeExcite(mid_channels, se_ratio) if se_ratio > 0 else nn.Identity()
        # No ReLU after the projection, following MobileNetV2's linear bottleneck.
        self.project = GhostModule(mid_channels, out_channels, 1, ratio=ratio, relu=False)
        self.shortcut: nn.Module = nn.Identity()
        if stride > 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, in_channels, dw_kernel_size, stride, dw_kernel_size // 2,
                          groups=in_channels, bias=False),
                nn.BatchNorm2d(in_channels),
                nn.Conv2d(in_channels, out_channels, 1, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.se(self.downsample(self.expand(x))))
        return out + self.shortcut(x)


class GhostDigitsNet(nn.Module):
    """A GhostNet in miniature for 8×8 digits: 3×3 stem, four Ghost bottlenecks, pooling, Linear."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 16) -> None:
        super().__init__()
        w = width
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(True)
        )
        self.blocks = nn.Sequential(
            GhostBottleneck(w, 2 * w, w),
            GhostBottleneck(w, 3 * w, 2 * w, stride=2, se_ratio=0.25),  # 8×8 → 4×4
            GhostBottleneck(2 * w, 4 * w, 2 * w),
            GhostBottleneck(2 * w, 4 * w, 4 * w, se_ratio=0.25),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(4 * w, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))
