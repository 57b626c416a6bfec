"""Relaxed Quantization: learn a quantisation grid by smoothing rounding into a sampling problem.

Paper: Christos Louizos, Matthias Reisser, Tijmen Blankevoort, Efstratios Gavves, Max Welling,
*Relaxed Quantization for Discretized Neural Networks*, ICLR 2019 — catalog id
``2019-iclr-relaxed-quantization-discretized-neural``, https://openreview.net/forum?id=HkxjYoCqKX.

The rule. Quantise onto the grid ``G = {α·i : i = q_min … q_max}`` (``b`` bits, learned step
``α``). Instead of rounding, add logistic noise ``ε ~ L(0, σ)`` to ``x`` and ask which grid cell
``[g_i - α/2, g_i + α/2)`` the noisy value falls into — a categorical distribution with::

    p(x̂ = g_i | x, α, σ) = Sigmoid((g_i + α/2 - x) / σ) - Sigmoid((g_i - α/2 - x) / σ)

(the outermost cells extend to ±∞, so the grid also clips). Training samples ``x̂`` from this
distribution with the concrete / Gumbel-softmax relaxation at temperature ``λ``::

    π = softmax((log p + Gumbel noise) / λ),        x̂ = Σ_i π_i g_i

which is differentiable in ``x``, ``α`` and ``σ`` — the grid and the noise are learned with the
network. Only grid points near ``x`` carry probability, so the sum runs over a local window (the
paper's "local grid"). At test time ``x̂`` is the most probable grid point, which for symmetric
noise is plain rounding: ``α·clamp(round(x/α), q_min, q_max)``, i.e.
``torch.fake_quantize_per_tensor_affine(x, α, 0, q_min, q_max)``.

>>> import torch
>>> from zoo.nets import digits_cnn
>>> from zoo.quantization import count_levels, quantized_weights
>>> model = relaxed_quantization(digits_cnn(width=8), weight_bits=3, activation_bits=3)
>>> _ = model.train()(torch.rand(4, 1, 8, 8))             # first batch sets activation grids
>>> [count_levels(w) <= 2**3 for w in quantized_weights(model).values()]
[True, True]

Measured on scikit-learn's digits (the trained digits CNN of width 16, 99.4 %, converted and
fine-tuned for 3 epochs; first conv and classifier in float): W4/A4 99.2 % as trained and 99.7 %
after re-estimating BatchNorm statistics; W3/A3 96.7 % and 99.4 %. An epoch costs about five
times a float one (three grid points per value, one CPU thread: ~2.2 s against ~0.4 s).
``tests/zoo/test_quantization.py`` asserts W4/A4 within 2 points of float.

Deviations from the paper
-------------------------
* The local grid is a fixed window of ``2·window + 1`` points (default 3) around the nearest one,
  rather than the points within ``δ = 3σ``; probabilities are renormalised over the window.
* BatchNorm statistics are re-estimated under test-time rounding after training
  (:func:`~zoo.quantization.batchnorm.recalibrate_batchnorm`).
* Grids are per tensor; weight grids are signed, activation grids unsigned unless the first batch
  seen contains negative values. ``α`` starts at ``max|x| / q_max`` and ``σ`` at ``α / 3`` — our
  choices, not the paper's schedule.
* No straight-through (hard-sample) variant of the relaxation, no temperature annealing, and
  none of the paper's training schedules; the temperature is fixed (default 1).
"""

from __future__ import annotations

import math
from collections.abc import Collection

import torch
from torch import nn

from zoo.registry import register

from .fake_quant import fake_quantize
from .layers import Quantizer, quant_layer, swap_layers

__all__ = ["RelaxedQuantizer", "relaxed_quantization"]


class RelaxedQuantizer(Quantizer):
    """A learned ``bits``-bit grid: Gumbel-softmax samples while training, rounding at test time.

    ``signed=None`` decides from the first tensor seen (signed if it has negative values); the
    step ``α`` is initialised from that tensor too, so the quantiser adapts to weights or
    activations alike.
    """

    def __init__(
        self,
        bits: int,
        *,
        signed: bool | None = None,
        temperature: float = 1.0,
        window: int = 1,
    ) -> None:
        super().__init__()
        if bits < 2:
            raise ValueError(f"relaxed quantisation needs at least 2 bits, got {bits}")
        self.bits, self.temperature, self.window = bits, temperature, window
        self.log_alpha = nn.Parameter(torch.zeros(()))  # log of the grid step α
        self.log_sigma = nn.Parameter(torch.zeros(()))  # log of the noise scale σ
        self.register_buffer("signed", torch.tensor(-1))  # -1: not yet initialised
        if signed is not None:
            self.signed.fill_(int(signed))

    @property
    def initialized(self) -> bool:
        return bool(self.log_alpha.detach() != 0) and int(self.signed) >= 0

    @property
    def qrange(self) -> tuple[int, int]:
        if int(self.signed):
            return -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
        return 0, 2**self.bits - 1

    @torch.no_grad()
    def _initialize(self, x: torch.Tensor) -> None:
        if int(self.signed) < 0:
            self.signed.fill_(int(bool((x < 0).any())))
        q_max = self.qrange[1]
        reach = float(x.abs().max()) if int(self.signed) else float(x.clamp(min=0).max())
        alpha = max(reach / max(q_max, 1), 1e-8)  # the grid covers the initial range
        self.log_alpha.fill_(math.log(alpha))
        self.log_sigma.fill_(math.log(alpha / 3))  # ±3σ ≈ one grid cell

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.initialized:
            self._initialize(x)
        alpha = self.log_alpha.exp()
        q_min, q_max = self.qrange
        if not self.training:
            return fake_quantize(x, alpha, 0, q_min, q_max)  # the mode: nearest grid point
        sigma = self.log_sigma.exp()
        nearest = torch.clamp(torch.round(x.detach() / alpha.detach()), q_min, q_max)
        offsets = torch.arange(-self.window, self.window + 1, device=x.device, dtype=x.dtype)
        index = nearest.unsqueeze(-1) + offsets  # grid indices of the local window
        inside = (index >= q_min) & (index <= q_max)
        grid = index * alpha
        xs = x.unsqueeze(-1)
        # Cell edges; the outermost cells reach ±∞ so that the grid clips like rounding does.
        upper = torch.where(index >= q_max, torch.inf, (grid + alpha / 2 - xs) / sigma)
        lower = torch.where(index <= q_min, -torch.inf, (grid - alpha / 2 - xs) / sigma)
        prob = torch.sigmoid(upper) - torch.sigmoid(lower)
        logits = torch.where(inside, torch.log(prob.clamp(min=1e-20)), -torch.inf)
        uniform = torch.rand_like(prob).clamp(1e-10, 1 - 1e-10)
        gumbel = -torch.log(-torch.log(uniform))
        weights = torch.softmax((logits + gumbel) / self.temperature, dim=-1)
        return (weights * torch.where(inside, grid, 0.0)).sum(dim=-1)

    def extra_repr(self) -> str:
        return f"bits={self.bits}, temperature={self.temperature}, window={self.window}"


@register(
    "relaxed-quantization",
    paper="2019-iclr-relaxed-quantization-discretized-neural",
    category="quantization",
    subcategory="fixed-bit",
    summary="Learned b-bit grids trained through a Gumbel-softmax relaxation of rounding.",
)
def relaxed_quantization(
    model: nn.Module,
    *,
    weight_bits: int = 4,
    activation_bits: int | None = 4,
    temperature: float = 1.0,
    skip: Collection[str] | None = None,
) -> nn.Module:
    """A copy of ``model`` quantising weights (and inputs) with :class:`RelaxedQuantizer`.

    Weight grids are initialised at once from the weights; activation grids on the first forward
    pass — run one training batch (or fine-tune) before evaluating. After training, call
    :func:`~zoo.quantization.batchnorm.recalibrate_batchnorm`: BatchNorm statistics gathered under
    sampled grids do not fit test-time rounding. ``skip`` defaults to the first and the last layer.
    """

    def build(_name: str, layer: nn.Module) -> nn.Module:
        weight_q = RelaxedQuantizer(weight_bits, signed=True, temperature=temperature)
        if isinstance(layer, nn.Linear | nn.Conv2d):  # parametrised weights initialise it later
            weight_q._initialize(layer.weight.detach())
        act_q = None
        if activation_bits is not None:
            act_q = RelaxedQuantizer(activation_bits, temperature=temperature)
        return quant_layer(layer, weight_q, act_q)

    return swap_layers(model, build, skip=skip)
