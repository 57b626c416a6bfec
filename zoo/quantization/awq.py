"""AWQ: activation-aware weight quantisation.

Lin, Tang, Tang, Yang, Chen, Wang, Xiao, Dang, Gan, Han, *AWQ: Activation-aware Weight Quantization
for On-Device LLM Compression and Acceleration*, MLSys 2024 — https://arxiv.org/abs/2306.00978
(catalog id ``2024-mlsys-awq``; reference code mit-han-lab/llm-awq).

A few input channels carry large activations; their weights matter most. AWQ protects them by
scaling, not by keeping them in float: for the Linears that read the same input ``X``,

.. math:: Q(W \\cdot \\mathrm{diag}(s))\\,(\\mathrm{diag}(s)^{-1} X),\\qquad
          s = \\bar{s}_X^{\\,\\alpha},\\quad
          \\alpha^* = \\arg\\min_{\\alpha \\in [0, 1]}
          \\lVert Q(W \\mathrm{diag}(s)) \\mathrm{diag}(s)^{-1} X - W X \\rVert

where :math:`\\bar s_X` is the per-channel activation magnitude; ``α`` is searched on a grid of
``grid`` points. The :math:`\\mathrm{diag}(s)^{-1}` is folded into the operation that produces ``X``
(for a Llama block: the RMSNorm weight before q/k/v and before gate/up, the rows of ``v_proj``
before ``o_proj``, the rows of ``up_proj`` before ``down_proj``), so the model keeps its shape and
only ``Q(W diag(s))`` is stored. Layers whose input comes from no foldable op get no scale (RTN).

Example — input channel 3 carries 20× larger activations; the searched scale protects it and
halves the output error of 3-bit round-to-nearest:

>>> import torch
>>> from zoo.language.calibration import LinearStats
>>> from zoo.quantization.groupwise import rtn_weight
>>> _ = torch.manual_seed(0)
>>> x, w = torch.randn(256, 32), torch.randn(8, 32)
>>> x[:, 3] *= 20
>>> stats = LinearStats(32)
>>> stats.add(x)
>>> s = search_scale([w], stats, bits=3, group_size=32, grid=20)
>>> int(s.argmax())
3
>>> def output_error(v): return float((x @ (v - w).T).norm())
>>> scaled = rtn_weight(w * s, bits=3, group_size=32)[0] / s
>>> output_error(scaled) < 0.6 * output_error(rtn_weight(w, bits=3, group_size=32)[0])
True

On a language model: ``zoo.quantize(model, method="awq", data=token_ids, bits=4)``.

Deviations from the paper:

* The search loss is the output error of the Linears sharing the input, computed exactly from
  the accumulated :math:`X^\\top X` as
  :math:`\\sum \\mathrm{tr}(\\Delta W\\, X^\\top X\\, \\Delta W^\\top)` — the paper runs the whole
  attention / MLP sub-block on the calibration batch per grid point.
* :math:`\\bar s_X` is the root-mean-square of each channel (the diagonal of
  :math:`X^\\top X`) rather than the mean absolute value; the scales are normalised by
  :math:`\\sqrt{\\max s \\min s}` as in the reference code.
* The weight-clipping search of the reference code (``auto_clip``) is not done.

Measured: see :mod:`zoo.quantization.gptq` (same benchmark, ``language.json``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..language.calibration import LinearStats, layer_by_layer
from ..registry import register
from .groupwise import rtn_weight
from .lm_weights import GroupQuant, checked_copy, record

__all__ = ["awq", "llama_scaling_groups", "scaled_groups", "search_scale"]


def llama_scaling_groups(block: nn.Module) -> list[tuple[nn.Module, list[str]]]:
    """``(op producing the input, [Linear names reading it])`` for a Llama-style block, where the
    op can absorb a per-channel division (a norm with a weight, or a Linear's output rows)."""
    groups: list[tuple[nn.Module, list[str]]] = []
    attn, mlp = getattr(block, "self_attn", None), getattr(block, "mlp", None)
    if attn is not None and hasattr(block, "input_layernorm"):
        groups.append((block.input_layernorm, ["self_attn.q_proj", "self_attn.k_proj",
                                               "self_attn.v_proj"]))
    if attn is not None and attn.v_proj.out_features == attn.o_proj.in_features:
        groups.append((attn.v_proj, ["self_attn.o_proj"]))  # only without grouped KV heads
    if mlp is not None and hasattr(block, "post_attention_layernorm"):
        groups.append((block.post_attention_layernorm, ["mlp.gate_proj", "mlp.up_proj"]))
    if mlp is not None and hasattr(mlp, "up_proj"):
        groups.append((mlp.up_proj, ["mlp.down_proj"]))
    return groups


def scaled_groups(
    block: nn.Module, linears: dict[str, tuple[nn.Linear, LinearStats]]
) -> list[tuple[nn.Module, list[tuple[nn.Linear, LinearStats]]]]:
    """The :func:`llama_scaling_groups` of ``block`` whose Linears all were calibrated, with
    their ``(layer, stats)``."""
    return [(op, [linears[n] for n in members]) for op, members in llama_scaling_groups(block)
            if all(n in linears for n in members)]


def _output_error(delta: torch.Tensor, xtx: torch.Tensor) -> float:
    return float(((delta @ xtx) * delta).sum())


def search_scale(
    weights: list[torch.Tensor], stats: LinearStats, *, bits: int, group_size: int, grid: int
) -> torch.Tensor:
    """The per-input-channel scale ``s`` minimising the output error of the quantised layers."""
    xtx = stats.xtx.float() / max(stats.rows, 1)
    magnitude = xtx.diagonal().clamp_min(1e-12).sqrt()
    best, best_scale = float("inf"), torch.ones_like(magnitude)
    for step in range(grid):
        alpha = step / grid
        s = magnitude.pow(alpha).clamp_min(1e-4)
        s = s / (s.max() * s.min()).sqrt()
        error = sum(_output_error(rtn_weight(w * s, bits=bits, group_size=group_size)[0] / s - w,
                                  xtx) for w in weights)
        if error < best:
            best, best_scale = error, s
    return best_scale


def _fold(op: nn.Module, s: torch.Tensor) -> None:
    """Divide the output channels of ``op`` by ``s``: a norm's weight or a Linear's rows."""
    if isinstance(op, nn.Linear):
        op.weight.div_(s[:, None])
        if op.bias is not None:
            op.bias.div_(s)
    else:
        op.weight.div_(s)


@register(
    "awq",
    paper="2024-mlsys-awq",
    category="quantization",
    subcategory="fixed-bit",
    summary="Weight-only LLM quantisation: per-channel scales searched from activation "
            "magnitudes protect salient weights, folded into the preceding op, then group-wise",
)
def awq(
    model: nn.Module, data: Any, *, bits: int = 4, group_size: int = 128, grid: int = 20
) -> nn.Module:
    """An AWQ-quantised copy of a decoder-only ``model`` (Llama-style blocks get scales; other
    layers plain group-wise rounding). ``data``: calibration token ids ``(n, seq)``."""
    model, batches = checked_copy(model, data, bits=bits, group_size=group_size)
    if grid < 1:
        raise ValueError(f"grid={grid} must be at least 1")
    names = {id(m): n for n, m in model.named_modules()}

    @torch.no_grad()
    def process(_index: int, block: nn.Module,
                linears: dict[str, tuple[nn.Linear, LinearStats]]) -> None:
        for op, present in scaled_groups(block, linears):
            stats = present[0][1]
            s = search_scale([layer.weight.float() for layer, _ in present], stats, bits=bits,
                             group_size=group_size, grid=grid)
            _fold(op, s)
            for layer, _ in present:
                layer.weight.mul_(s[None, :])
        for layer, _stats in linears.values():
            w, scale, zero = rtn_weight(layer.weight, bits=bits, group_size=group_size)
            layer.weight.copy_(w)
            record(model, names[id(layer)], GroupQuant(scale, zero, bits, group_size))

    layer_by_layer(model, batches, process)
    return model
