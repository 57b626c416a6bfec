"""DoReFa-Net: k-bit weights and activations trained with a straight-through estimator.

Paper: Shuchang Zhou, Yuxin Wu, Zekun Ni, Xinyu Zhou, He Wen, Yuheng Zou, *DoReFa-Net: Training Low
Bitwidth Convolutional Neural Networks with Low Bitwidth Gradients*, arXiv 2016 — catalog id
``2016-arxiv-dorefa-net``, https://arxiv.org/abs/1606.06160.

This is the zoo's k-bit uniform quantisation-aware training; it follows DoReFa's rule (not Jacob et
al.'s min/max-range QAT, whose integer-kernel scheme lives in :mod:`.int8_ptq`). The rule::

    quantize_k(r) = round((2^k - 1) · r) / (2^k - 1)                 r ∈ [0, 1]
    weights:      w_k = 2 · quantize_k( tanh(w) / (2 max|tanh(w)|) + 1/2 ) - 1      (k ≥ 2)
                  w_1 = E(|w|) · sign(w)                                             (k = 1)
    activations:  x_k = quantize_k( clip(x, 0, 1) )

``quantize_k`` is exactly ``torch.fake_quantize_per_tensor_affine(r, 1/(2^k-1), 0, 0, 2^k-1)``
and its backward pass is the straight-through estimator ``∂quantize_k/∂r = 1``, so the whole
rule is built on PyTorch's kernel. ``tanh`` squashes outliers before the max-normalisation, so a
single large weight does not waste the grid; a k-bit weight tensor holds at most ``2^k`` values.
Activation quantisation is applied to the *input* of each quantised layer, i.e. to the output of
the previous block.

>>> import torch
>>> from zoo.nets import digits_cnn
>>> from zoo.quantization import count_levels, quantized_weights
>>> model = dorefa(digits_cnn(width=8), weight_bits=2, activation_bits=4)
>>> [count_levels(w) <= 4 for w in quantized_weights(model).values()]
[True, True]
>>> model(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])

Measured on scikit-learn's digits (the trained digits CNN of width 16, 99.4 %, converted and
fine-tuned for 4 epochs; first conv and classifier in float): W4/A4 98.3 %, W2/A4 98.1 %,
W2/A2 98.9 %, W1/A2 98.3 % test accuracy. Re-measured in 2026-12 on the test's digits CNN
(99.7 %, one thread): W2/A4 fine-tuned for 4 epochs reaches 97.5 % at lr 2e-3 and 98.9 % at
lr 5e-3 (99.2 % after BN re-estimation). ``tests/zoo/test_quantization.py`` asserts W2/A4
within 2 points of float (at lr 5e-3) and the level counts.

Deviations from the paper
-------------------------
* Gradients are not quantised (the paper's "G" bits); the straight-through gradients are float.
* The first and the last layer stay in float by default, as in the paper's experiments; ``skip``
  changes that.
* Activations are clipped to [0, 1] as the paper assumes bounded activations; a network whose
  BatchNorm–ReLU outputs are far above 1 needs fine-tuning (which the method is) to adapt.
"""

from __future__ import annotations

from collections.abc import Collection

import torch
from torch import nn

from zoo.registry import register

from .fake_quant import fake_quantize
from .layers import Quantizer, quant_layer, swap_layers
from .ste import sign_ste

__all__ = ["DoReFaActivationQuantizer", "DoReFaWeightQuantizer", "dorefa", "quantize_k"]


def quantize_k(r: torch.Tensor, bits: int) -> torch.Tensor:
    """DoReFa's ``quantize_k`` on ``r ∈ [0, 1]``: levels ``0, 1/(2^k-1), …, 1``; STE backward."""
    levels = 2**bits - 1
    return fake_quantize(r, 1.0 / levels, 0, 0, levels)


class DoReFaWeightQuantizer(Quantizer):
    """``w ↦ 2·quantize_k(tanh(w) / (2 max|tanh w|) + 1/2) - 1``; ``E|w|·sign(w)`` if ``k = 1``."""

    def __init__(self, bits: int) -> None:
        super().__init__()
        if bits < 1:
            raise ValueError(f"weight_bits must be at least 1, got {bits}")
        self.bits = bits

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        if self.bits == 1:
            return w.abs().mean().detach() * sign_ste(w)  # the paper's E(|w|) is a constant
        t = torch.tanh(w)
        r = t / (2 * t.abs().max().clamp(min=1e-12)) + 0.5  # into [0, 1]
        return 2 * quantize_k(r, self.bits) - 1

    def extra_repr(self) -> str:
        return f"bits={self.bits}"


class DoReFaActivationQuantizer(Quantizer):
    """``x ↦ quantize_k(clip(x, 0, 1))``."""

    def __init__(self, bits: int) -> None:
        super().__init__()
        if bits < 1:
            raise ValueError(f"activation_bits must be at least 1, got {bits}")
        self.bits = bits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return quantize_k(torch.clamp(x, 0.0, 1.0), self.bits)

    def extra_repr(self) -> str:
        return f"bits={self.bits}"


@register(
    "dorefa",
    paper="2016-arxiv-dorefa-net",
    category="quantization",
    subcategory="fixed-bit",
    summary="k-bit weights (tanh-normalised) and activations, trained straight-through.",
)
def dorefa(
    model: nn.Module,
    *,
    weight_bits: int = 4,
    activation_bits: int | None = 4,
    skip: Collection[str] | None = None,
) -> nn.Module:
    """A copy of ``model`` for quantisation-aware training with DoReFa's k-bit rule.

    ``activation_bits=None`` keeps activations in float. ``skip`` defaults to the first and the
    last layer. Fine-tune (or train) the result with any loop.
    """

    def build(_name: str, layer: nn.Module) -> nn.Module:
        act = None if activation_bits is None else DoReFaActivationQuantizer(activation_bits)
        return quant_layer(layer, DoReFaWeightQuantizer(weight_bits), act)

    return swap_layers(model, build, skip=skip)
