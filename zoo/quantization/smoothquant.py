"""SmoothQuant: accurate and efficient post-training W8A8 quantisation of large language models.

Xiao, Lin, Seznec, Wu, Demouth, Han, *SmoothQuant: Accurate and Efficient Post-Training
Quantization for Large Language Models*, ICML 2023 — https://arxiv.org/abs/2211.10438 (catalog
id ``2023-icml-smoothquant``; reference code mit-han-lab/smoothquant).

Activations of LLMs have a few outlier *channels* that make int8 activations lossy; weights are
easy to quantise. SmoothQuant moves the difficulty from activations to weights with a per-channel
factor, mathematically equivalent in float:

.. math:: Y = (X \\mathrm{diag}(s)^{-1}) (\\mathrm{diag}(s) W^\\top),\\qquad
          s_j = \\frac{\\max |X_j|^{\\alpha}}{\\max |W_j|^{1-\\alpha}}

with migration strength ``α`` (0.5 by default); :math:`\\mathrm{diag}(s)^{-1}` is folded into the
preceding RMSNorm (or Linear rows), as in AWQ. The smoothed model is then W8A8: int8 weights per
output channel, int8 activations per token computed at run time, int8 GEMMs
(:class:`zoo.quantization.w8a8.W8A8Linear`).

Example — smoothing alone leaves a (randomly initialised, 2-block) Llama's outputs unchanged up
to float rounding; :func:`smoothquant` then makes it W8A8:

>>> import torch
>>> from zoo.language.model import SIZES, build_model
>>> model = build_model(SIZES["tiny"]).eval()
>>> ids = torch.randint(0, SIZES["tiny"].vocab, (4, 32))
>>> smoothed = smooth(model, ids)
>>> with torch.no_grad():
...     bool(torch.allclose(smoothed(ids).logits, model(ids).logits, atol=1e-4))
True

Deviations from the paper:

* Besides the inputs of q/k/v and of the MLP (the paper's two), the inputs of ``o_proj`` (folded
  into ``v_proj``'s rows) and ``down_proj`` (into ``up_proj``'s rows) are smoothed too, as
  llmcompressor's Llama mappings allow.
* The attention's batched matmuls (``QKᵀ``, ``PV``) stay in float; the paper's O3 setting
  quantises them too.
* On CPUs without VNNI activations use ±63 levels (see :mod:`zoo.quantization.w8a8`).

Measured (``python -m zoo.bench.language --recipe small``, ``benchmarks/results/language.json``,
one thread): validation perplexity fp32 36.068, SmoothQuant W8A8 36.069, naive W8A8 36.070,
llmcompressor SmoothQuant + W8A8 36.071; with outlier channels injected (see
:mod:`zoo.quantization.awq`) naive W8A8 rises to 36.153 and SmoothQuant stays at 36.069. Forward
at batch 8 × 128, all rows timed interleaved: fp32 59.0 ms, SmoothQuant W8A8 45.0 ms (0.76×).
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from ..language.calibration import LinearStats, calibration_batches, layer_by_layer
from ..registry import register
from .awq import _fold, scaled_groups
from .w8a8 import w8a8_layers

__all__ = ["smooth", "smoothquant"]


@torch.no_grad()
def smooth(model: nn.Module, data: Any, *, alpha: float = 0.5) -> nn.Module:
    """A smoothed copy of ``model`` (float, outputs unchanged up to rounding)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha={alpha} must be in [0, 1]")
    if not any(isinstance(m, nn.Linear) for m in model.modules()):
        raise ValueError(f"{type(model).__name__} has no Linear layers to quantize")
    batches = calibration_batches(data)
    model = copy.deepcopy(model)

    def process(_index: int, block: nn.Module,
                linears: dict[str, tuple[nn.Linear, LinearStats]]) -> None:
        for op, present in scaled_groups(block, linears):
            act = present[0][1].abs_max.clamp_min(1e-5)
            weight = torch.stack([layer.weight.abs().amax(dim=0) for layer, _ in present])
            s = (act.pow(alpha) / weight.amax(dim=0).clamp_min(1e-5).pow(1 - alpha)).clamp_min(1e-5)
            _fold(op, s)
            for layer, _ in present:
                layer.weight.mul_(s[None, :])

    try:
        layer_by_layer(model, batches, process)
    except TypeError as exc:
        raise ValueError(f"{type(model).__name__}.forward cannot be called with token ids alone "
                         f"({exc})") from None
    return model


@register(
    "smoothquant",
    paper="2023-icml-smoothquant",
    category="quantization",
    subcategory="fixed-bit",
    summary="W8A8 LLM quantisation: per-channel smoothing migrates activation outliers into "
            "the weights, then int8 weights and per-token dynamic int8 activations",
)
def smoothquant(model: nn.Module, data: Any, *, alpha: float = 0.5,
                skip: tuple[str, ...] = ("lm_head",)) -> nn.Module:
    """A SmoothQuant W8A8 copy of a decoder-only ``model``: smoothed with migration strength
    ``alpha`` on calibration token ids ``data``, every Linear but ``skip`` in int8."""
    model = smooth(model, data, alpha=alpha)
    names = [n for n, m in model.named_modules()
             if isinstance(m, nn.Linear) and n.split(".")[-1] not in skip]
    return w8a8_layers(model, names)
