"""XNOR-Net: binary weights scaled per filter, and optionally binary inputs scaled per position.

Paper: Mohammad Rastegari, Vicente Ordonez, Joseph Redmon, Ali Farhadi, *XNOR-Net: ImageNet
Classification Using Binary Convolutional Neural Networks*, ECCV 2016 — catalog id
``2016-eccv-xnor-net``, https://arxiv.org/abs/1603.05279.

The rule. Approximate each filter ``W`` (``n`` weights) by a scaled sign, ``W ≈ α·B`` with
``B = sign(W)`` and ``α = ‖W‖₁ / n`` — the least-squares optimum for a binary ``B``. That is the
*Binary-Weight-Network*. The full *XNOR-Net* also binarises the layer's input ``I``::

    I * W  ≈  (sign(I) ⊛ sign(W)) ⊙ K α,     K = A * k,   A = mean_c |I_c|,   k = 1/(h·w) box

where ⊛ is a convolution a binary kernel can compute with XNOR and popcount, and ``K`` holds one
scale per output position (the mean magnitude of the input patch under the filter). Gradients pass
through ``sign`` straight-through, cancelled where |x| > 1, and through ``α``: the paper's
``∂C/∂W = ∂C/∂W̃ (1/n + α ∂sign(W)/∂W)``.

Usage:

>>> import torch
>>> from zoo.nets import digits_cnn
>>> from zoo.quantization import quantized_weights
>>> model = xnor_net(digits_cnn(width=8))                 # binary weights, float inputs
>>> w = quantized_weights(model)["features.1.0"]          # (16, 8, 3, 3)
>>> all(len(filt.unique()) == 2 for filt in w)            # each filter is ±α_c
True
>>> model(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])

Binary inputs need inputs centred on zero: the paper reorders each block to
``BatchNorm → sign → BinaryConv → pool``. After a ReLU every input would binarise to +1, so use
``binary_inputs=True`` only on networks built in that order (the test builds one).

Measured on scikit-learn's digits (one CPU thread): the trained digits CNN of width 16 (99.4 %)
drops to 16.9 % right after binarising its two middle convolutions and recovers to 99.2 % after a
4-epoch fine-tune; a BN → sign → binary-conv network with binary weights *and* inputs in its two
middle convolutions reaches 98.3 % in 10 epochs from scratch, the same network in float 99.2 %.
``tests/zoo/test_quantization.py`` asserts floors (3 points below float, and 93 %).

Deviations from the paper
-------------------------
* The first and the last layer stay in float by default (as in the paper's experiments).
* ``K`` averages ``|I|`` over all input channels, also for grouped convolutions.
* Forward passes run as ordinary float convolutions of ±1 tensors: the result equals the
  XNOR-popcount arithmetic, but there is no bit-packed kernel, so no speed-up on a CPU.
"""

from __future__ import annotations

from collections.abc import Collection

import torch
import torch.nn.functional as F
from torch import nn

from zoo.registry import register

from .layers import QuantConv2d, Quantizer, QuantLinear, quant_layer, swap_layers
from .ste import sign_ste

__all__ = ["XnorConv2d", "XnorLinear", "XnorWeightQuantizer", "xnor_net"]


class XnorWeightQuantizer(Quantizer):
    """``W ↦ α_c · sign(W_c)`` per output channel ``c``, ``α_c`` the mean of ``|W_c|``."""

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        dims = tuple(range(1, w.dim()))
        alpha = w.abs().mean(dim=dims, keepdim=True)  # differentiable: the paper's 1/n term
        return alpha * sign_ste(w)


class XnorConv2d(QuantConv2d):
    """Binary input ⊛ binary filter, rescaled by ``K`` (input patch magnitude) and ``α``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # A: mean |I| over channels; K: A averaged over each receptive field (the paper's A * k).
        a = x.abs().mean(dim=1, keepdim=True)
        kh, kw = self.kernel_size
        box = a.new_full((1, 1, kh, kw), 1.0 / (kh * kw))
        k = F.conv2d(a, box, None, self.stride, self.padding, self.dilation)
        out = self._conv_forward(sign_ste(x), self.quantized_weight(), None) * k
        return out if self.bias is None else out + self.bias.view(1, -1, 1, 1)


class XnorLinear(QuantLinear):
    """Binary input · binary weight rows, rescaled by ``β = mean |x|`` per sample and by ``α``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        beta = x.abs().mean(dim=-1, keepdim=True)
        return F.linear(sign_ste(x), self.quantized_weight(), None) * beta + (
            0 if self.bias is None else self.bias
        )


@register(
    "xnor-net",
    paper="2016-eccv-xnor-net",
    category="quantization",
    subcategory="binary",
    summary="Per-filter scaled binary weights (α·sign W), optionally binary inputs scaled by K.",
)
def xnor_net(
    model: nn.Module, *, binary_inputs: bool = False, skip: Collection[str] | None = None
) -> nn.Module:
    """A copy of ``model`` with XNOR-Net layers: binary weights, and binary inputs if asked.

    ``binary_inputs=False`` gives the paper's Binary-Weight-Network; ``True`` the full XNOR-Net
    (inputs must be zero-centred, e.g. BatchNorm right before the layer). ``skip`` defaults to the
    first and the last layer.
    """

    def build(_name: str, layer: nn.Module) -> nn.Module:
        cls = None
        if binary_inputs:
            cls = XnorConv2d if isinstance(layer, nn.Conv2d) else XnorLinear
        return quant_layer(layer, XnorWeightQuantizer(), cls=cls)

    return swap_layers(model, build, skip=skip)
