"""Quantisation: weights (and activations) with fewer bits, one annotated module per paper.

Methods (registry name → module, catalog id):

* ``recurrent-binary-ternary`` → :mod:`.recurrent_binary_ternary`,
  ``2019-iclr-learning-recurrent-binary-ternary``
* ``binaryconnect`` → :mod:`.binaryconnect`, ``2015-neurips-binaryconnect``
* ``xnor-net`` → :mod:`.xnor_net`, ``2016-eccv-xnor-net``
* ``dorefa`` → :mod:`.dorefa`, ``2016-arxiv-dorefa-net``
* ``relaxed-quantization`` → :mod:`.relaxed_quantization`,
  ``2019-iclr-relaxed-quantization-discretized-neural``
* ``haq`` → :mod:`.haq`, ``2019-cvpr-haq``
* ``int8-ptq`` → :mod:`.int8_ptq`, ``2018-cvpr-quantization-training-neural-networks``
* ``gptq`` → :mod:`.gptq`, ``2023-iclr-gptq``; ``awq`` → :mod:`.awq`, ``2024-mlsys-awq``;
  ``smoothquant`` → :mod:`.smoothquant`, ``2023-icml-smoothquant`` — post-training methods for
  decoder-only language models, ``(model, data, **options)``, beside the RTN baseline
  (:mod:`.lm_weights`, :mod:`.groupwise`), packed storage (:mod:`.packing`) and the int8 kernel
  (:mod:`.w8a8`). Import them from their modules (not re-exported here).

Each quantisation-aware method returns a *copy* of the user's model with its ``nn.Linear`` /
``nn.Conv2d`` layers swapped for quantised ones (first and last layer left in float unless
``skip`` says otherwise); train or fine-tune the copy with any loop, e.g.
:func:`zoo.training.fine_tune`.

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
from .haq import BitPolicy, LinearWeightQuantizer, apply_bit_policy, haq_search, weight_bytes
from .int8_ptq import quantize_int8
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
from .recurrent_binary_ternary import (
    BinaryTernaryLSTM,
    RecurrentWeightQuantizer,
    RowLSTMClassifier,
    row_lstm_classifier,
)
from .relaxed_quantization import RelaxedQuantizer, relaxed_quantization
from .ste import binary_sign, sign_ste, straight_through
from .xnor_net import XnorConv2d, XnorLinear, XnorWeightQuantizer, xnor_net

__all__ = [
    "BinaryConnectQuantizer",
    "BinaryTernaryLSTM",
    "BitPolicy",
    "DoReFaActivationQuantizer",
    "DoReFaWeightQuantizer",
    "LinearWeightQuantizer",
    "QuantConv2d",
    "QuantLayer",
    "QuantLinear",
    "Quantizer",
    "RecurrentWeightQuantizer",
    "RelaxedQuantizer",
    "RowLSTMClassifier",
    "XnorConv2d",
    "XnorLinear",
    "XnorWeightQuantizer",
    "apply_bit_policy",
    "binary_sign",
    "binaryconnect",
    "count_levels",
    "default_skip",
    "dorefa",
    "fake_quantize",
    "haq_search",
    "quant_layer",
    "quantizable_layers",
    "quantize_int8",
    "quantize_k",
    "quantized_weights",
    "recalibrate_batchnorm",
    "relaxed_quantization",
    "row_lstm_classifier",
    "sign_ste",
    "straight_through",
    "swap_layers",
    "symmetric_qparams",
    "weight_bytes",
    "xnor_net",
]
