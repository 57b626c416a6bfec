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
``skip`` says otherwise) and every weight of its ``nn.MultiheadAttention`` and recurrent layers
quantised through ``torch.nn.utils.parametrize``; train or fine-tune the copy with any loop, e.g.
:func:`zoo.training.fine_tune`.

:func:`quantize` is the entry point over every registered method, like :func:`zoo.prune`:
``zoo.quantize(model, method="dorefa", weight_bits=2)`` for the quantisation-aware ones (a copy to
fine-tune), ``zoo.quantize(model, method="int8-ptq", data=batches)`` for those that calibrate or
search on data (HAQ, int8 PTQ, and the language-model methods), which receive ``data`` as their
second argument; other keyword options go to the method unchanged.

>>> import torch
>>> import zoo
>>> from zoo.nets import digits_vit
>>> vit = digits_vit().eval()
>>> q = zoo.quantize(vit, method="dorefa", weight_bits=2, activation_bits=None)
>>> sorted(quantized_weights(q))[:2]
['blocks.0.attn.in_proj_weight', 'blocks.0.attn.out_proj.weight']
>>> zoo.quantize(vit, method="dorefa", bits=2)
Traceback (most recent call last):
ValueError: quantization method 'dorefa': got an unexpected keyword argument 'bits'

Shared pieces: :mod:`.ste` (straight-through estimators), :mod:`.fake_quant` (k-bit affine fake
quantisation on ``torch.fake_quantize_per_*``), :mod:`.layers` (quantised Linear/Conv2d layers
and :func:`swap_layers`, which puts them into any model) and :mod:`.batchnorm` (re-estimating
BatchNorm statistics for the deployed weights).
"""

from __future__ import annotations

from ..registry import dispatch, implementation, import_zoo_module, list_methods

import_zoo_module("torch", __name__)  # without PyTorch: MissingExtraError with the install line

import inspect
from collections.abc import Iterable
from typing import Any

from torch import nn

from .batchnorm import recalibrate_batchnorm
from .binaryconnect import BinaryConnectQuantizer, binaryconnect
from .dorefa import DoReFaActivationQuantizer, DoReFaWeightQuantizer, dorefa, quantize_k
from .fake_quant import count_levels, fake_quantize, symmetric_qparams
from .haq import BitPolicy, LinearWeightQuantizer, apply_bit_policy, haq, haq_search, weight_bytes
from .int8_ptq import quantize_int8
from .layers import (
    QuantConv2d,
    Quantizer,
    QuantLayer,
    QuantLinear,
    default_skip,
    latent_weights,
    layer_weights,
    quant_layer,
    quantizable_layers,
    quantized_weights,
    swap_layers,
)
from .recurrent_binary_ternary import (
    BinaryTernaryLSTM,
    RecurrentWeightQuantizer,
    RowLSTMClassifier,
    recurrent_binary_ternary,
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
    "haq",
    "haq_search",
    "latent_weights",
    "layer_weights",
    "methods",
    "quant_layer",
    "quantizable_layers",
    "quantize",
    "quantize_int8",
    "quantize_k",
    "quantized_weights",
    "recalibrate_batchnorm",
    "recurrent_binary_ternary",
    "relaxed_quantization",
    "row_lstm_classifier",
    "sign_ste",
    "straight_through",
    "swap_layers",
    "symmetric_qparams",
    "weight_bytes",
    "xnor_net",
]


def methods() -> list[str]:
    """Names of the registered quantisation methods."""
    return [record.name for record in list_methods("quantization")]


def _takes_data(implementation: Any) -> bool:
    """Whether a method's second parameter is positional: ``(model, data, **options)``."""
    positional = [
        p for p in inspect.signature(implementation).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return len(positional) >= 2


def quantize(
    model: nn.Module, *, method: str, data: Iterable[Any] | None = None, **options: Any
) -> nn.Module:
    """Quantise ``model`` with the registered method ``method``; the caller's model is left as is.

    Methods that calibrate or search (``int8-ptq``, ``haq``, GPTQ-style ones) take ``data``, an
    iterable of input batches or ``(inputs, targets)`` pairs, as their second argument; the
    quantisation-aware ones take none and return a copy to train. ``options`` go to the method
    (e.g. ``weight_bits``, ``skip``, ``budget``); see each method's module.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if _takes_data(implementation("quantization", method)):
        if data is None:
            raise ValueError(f"quantization method {method!r} needs data=<calibration batches>")
        return dispatch("quantization", method, model, data, **options)
    if data is not None:
        raise ValueError(
            f"quantization method {method!r} takes no data: it returns a copy to train"
        )
    return dispatch("quantization", method, model, **options)
