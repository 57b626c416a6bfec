"""BinaryConnect: train with weights constrained to ±1 in the forward and backward passes.

Paper: Matthieu Courbariaux, Yoshua Bengio, Jean-Pierre David, *BinaryConnect: Training Deep
Neural Networks with binary weights during propagations*, NeurIPS 2015 — catalog id
``2015-neurips-binaryconnect``, https://arxiv.org/abs/1511.00363.

The rule. Keep a real-valued latent weight ``w``; every forward and backward pass uses its binary
version, either deterministic or stochastic::

    w_b = +1 if w >= 0 else -1                      (deterministic)
    w_b = +1 with probability σ(w), else -1         (stochastic), σ(w) = clip((w + 1) / 2, 0, 1)

The gradient with respect to ``w_b`` updates ``w`` directly (a straight-through estimator), and
``w`` is clipped to [-1, 1] after each update so it cannot grow without bound — beyond ±1 it would
no longer change the binary weight. Test time uses the deterministic ``w_b``, so that the deployed
model really is binary.

Usage — binarise a network, train it with any loop, read back the binary weights:

>>> import torch
>>> from zoo.nets import digits_cnn
>>> from zoo.quantization import quantized_weights
>>> model = binaryconnect(digits_cnn(width=8))
>>> model(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])
>>> sorted({tuple(w.unique().tolist()) for w in quantized_weights(model).values()})
[(-1.0, 1.0)]

Measured on scikit-learn's digits (digits CNN width 16 trained from scratch for 10 epochs with
Adam, first conv and classifier in float, the two other convolutions binary; one CPU thread):
deterministic 97.5 % test accuracy, against 99.4 % for the float network after 8 epochs;
stochastic (learning rate 3e-2) 78.9 % as trained and 98.6 % once BatchNorm statistics are
re-estimated for the deterministic weights. The binary convolutions need 1 bit per weight instead
of 32. ``tests/zoo/test_quantization.py`` asserts floors of 95 % and 93 %.

Deviations from the paper
-------------------------
* By default the first and the last layer stay in floating point (``skip``). The paper binarises
  every layer of networks that have batch normalisation after each one; a plain classifier head has
  nothing to absorb the lost scale. Pass ``skip=()`` to binarise every layer.
* With stochastic binarisation the paper tests with the real-valued weights; we keep binary test
  weights and re-estimate BatchNorm statistics for them (:func:`recalibrate_batchnorm`), since
  running statistics gathered under sampled weights do not fit the deterministic ones.
* The latent weights are rescaled per layer to fill [-1, 1] at conversion (the paper initialises
  them in that range from scratch); the signs, hence the deterministic network, are unchanged.
* The clip to [-1, 1] is applied at the start of each training-mode forward pass instead of after
  the optimiser step; the weights used for computation are the same and no training-loop hook is
  needed. The paper's learning-rate scaling by Glorot factors is not reproduced (we use Adam).
"""

from __future__ import annotations

from collections.abc import Collection

import torch
from torch import nn

from zoo.registry import register

from .layers import Quantizer, latent_weights, quant_layer, swap_layers
from .ste import binary_sign, straight_through

__all__ = ["BinaryConnectQuantizer", "binaryconnect"]


class BinaryConnectQuantizer(Quantizer):
    """Maps a latent weight to ±1, deterministically or (while training) stochastically."""

    def __init__(self, stochastic: bool = False) -> None:
        super().__init__()
        self.stochastic = stochastic

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        if self.training:
            with torch.no_grad():  # the paper's clip: beyond ±1 a latent weight is saturated
                w.clamp_(-1.0, 1.0)
        if self.stochastic and self.training:
            p = torch.clamp((w.detach() + 1) / 2, 0.0, 1.0)  # the "hard sigmoid"
            binary = torch.where(torch.rand_like(p) < p, 1.0, -1.0).to(w.dtype)
        else:
            binary = binary_sign(w.detach())
        return straight_through(binary, w)  # gradient of w_b flows to w unchanged


@register(
    "binaryconnect",
    paper="2015-neurips-binaryconnect",
    category="quantization",
    subcategory="binary",
    summary="Weights binarised to ±1 (deterministic or stochastic) with a straight-through update.",
)
def binaryconnect(
    model: nn.Module, *, stochastic: bool = False, skip: Collection[str] | None = None
) -> nn.Module:
    """A copy of ``model`` whose Linear/Conv2d layers (except ``skip``) use ±1 weights.

    Train the result with an ordinary loop; the latent weights are the layers' ``weight``
    parameters, rescaled per layer to fill [-1, 1]. ``skip`` defaults to the first and the last
    layer. After training with ``stochastic=True`` call
    :func:`~zoo.quantization.batchnorm.recalibrate_batchnorm` so BatchNorm statistics match the
    deterministic test-time weights.
    """

    def build(_name: str, layer: nn.Module) -> nn.Module:
        return quant_layer(layer, BinaryConnectQuantizer(stochastic))

    binary = swap_layers(model, build, skip=skip)
    latent = {id(w): w for layer in binary.modules() for w in latent_weights(layer)}
    with torch.no_grad():
        for weight in latent.values():
            # Spread the latent weights over [-1, 1]: the signs (the deterministic w_b) stay,
            # while the stochastic rule gets probabilities far from 1/2 to learn from.
            weight /= weight.abs().max().clamp(min=1e-12)
    return binary
