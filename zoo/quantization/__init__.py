"""Quantisation: weights (and activations) with fewer bits, one annotated module per paper.

Methods (registry name → module, catalog id):

* ``binaryconnect`` → :mod:`.binaryconnect`, ``2015-neurips-binaryconnect``
* ``xnor-net`` → :mod:`.xnor_net`, ``2016-eccv-xnor-net``
* ``dorefa`` → :mod:`.dorefa`, ``2016-arxiv-dorefa-net``
* ``relaxed-quantization`` → :mod:`.relaxed_quantization`,
  ``2019-iclr-relaxed-quantization-discretized-neural``

Shared pieces: :mod:`.ste` (straight-through estimators), :mod:`.fake_quant` (k-bit affine fake
quantisation on ``torch.fake_quantize_per_*``), :mod:`.layers` (quantised Linear/Conv2d layers
and :func:`swap_layers`, which puts them into any model) and :mod:`.batchnorm` (re-estimating
BatchNorm statistics for the deployed weights).
"""

from __future__ import annotations

from .batchnorm import recalibrate_batchnorm
from .binaryconnect import BinaryConnectQuantizer, binaryconnect
from .dorefa import DoReFaActivationQuantizer, DoReFaWeightQuantizer, dorefa, quantize_k
from .fake_quant import count_levels, fake_quantize, symmetric_qparams
from .layers import (
    QuantConv2d,
    Quantizer,
    QuantLayer,
    QuantLinear,
    default_skip,
    quant_layer,
    quantizable_layers,
    quantized_weights,
    swap_layers,
)
from .relaxed_quantization import RelaxedQuantizer, relaxed_quantization
from .ste import binary_sign, sign_ste, straight_through
from .xnor_net import XnorConv2d, XnorLinear, XnorWeightQuantizer, xnor_net

__all__ = [
    "BinaryConnectQuantizer",
    "DoReFaActivationQuantizer",
    "DoReFaWeightQuantizer",
    "QuantConv2d",
    "QuantLayer",
    "QuantLinear",
    "Quantizer",
    "RelaxedQuantizer",
    "XnorConv2d",
    "XnorLinear",
    "XnorWeightQuantizer",
    "binary_sign",
    "binaryconnect",
    "count_levels",
    "default_skip",
    "dorefa",
    "fake_quantize",
    "quant_layer",
    "quantizable_layers",
    "quantize_k",
    "quantized_weights",
    "recalibrate_batchnorm",
    "relaxed_quantization",
    "sign_ste",
    "straight_through",
    "swap_layers",
    "symmetric_qparams",
    "xnor_net",
]
