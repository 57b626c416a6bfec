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

Then, as the reference code does after scaling (``auto_clip``), the weights are clipped before
rounding: in every output row ``r`` and input group ``g`` the largest magnitude
:math:`m_{rg} = \\max |W_{rg}|` is shrunk to :math:`\\beta m_{rg}`, with

.. math:: \\beta^*_{rg} = \\arg\\min_{\\beta = 1 - i/n,\\ 0 \\le i < n\\,\\mathrm{max\\_shrink}}
          \\Delta_{rg}\\, X_g^\\top X_g\\, \\Delta_{rg}^\\top,\\qquad
          \\Delta_{rg} = Q(\\mathrm{clamp}(W_{rg}, -\\beta m_{rg}, \\beta m_{rg})) - W_{rg}

(``clip_grid`` ``n`` = 20, ``max_shrink`` = 0.5: ratios 1, 0.95, …, 0.55). A smaller range rounds
the many ordinary weights more finely at the price of the few largest; the search keeps the trade
that lowers the group's output error (ratio 1 — no clip — is among the candidates). The query
and key projections are not clipped (their outputs meet in :math:`qk^\\top`, so their own output
error is not what counts — the reference code skips them too). The clipped weights are what is
rounded, recorded and packed (:mod:`.packing`). ``clip=False`` turns the search off.

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

Clipping — input channel 7's weights are 4× larger in every row, so the min-max grids are coarse;
clipping them halves the output error of rounding:

>>> w[:, 7] *= 4
>>> xtx = stats.xtx.float() / stats.rows
>>> clipped = search_clip(w, xtx, bits=3, group_size=32, ratios=clip_ratios(20, 0.5))
>>> rounded = rtn_weight(clipped, bits=3, group_size=32)[0]
>>> output_error(rounded) < 0.6 * output_error(rtn_weight(w, bits=3, group_size=32)[0])
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
* The clipping loss is computed exactly from all calibration tokens (the diagonal blocks of the
  accumulated :math:`X^\\top X`, rescaled by :math:`\\mathrm{diag}(s)^{-1}` for scaled layers);
  the reference code evaluates it on 512 sampled tokens. As there, each group is scored on its
  own share of the output (the cross-group terms of the row's error are left out).

Measured (``python -m zoo.bench.language --recipe small``, the whole validation split, 64
calibration windows of 128 tokens; ``benchmarks/results/language.json``): the trained small
Llama has no activation outliers, and there AWQ is no better than round-to-nearest — W4 g128
fp32 36.068, RTN 36.096, AWQ 36.097 (without clip 36.097); W3 RTN 36.212, AWQ 36.215 (without
clip 36.224). On a copy with four outlier channels 30× larger injected into each norm's output
(the same function in float; :func:`zoo.bench.language.inject_outliers`), the case AWQ is built
for: W4 RTN 36.182, AWQ 36.102; W3 RTN 36.307, AWQ 36.180. AWQ took about 2 s (one thread). On
the tiny test Llama (three training seeds, 8 calibration windows), the KL divergence of the
next-token distribution from fp32 on 8 validation windows is 0.71–0.80 × RTN's at W3 and
0.75–0.92 × at W4 with clipping, 1.00–1.07 × and 0.89–1.10 × without.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..language.calibration import LinearStats, layer_by_layer
from ..registry import register
from .groupwise import rtn_weight
from .lm_weights import GroupQuant, checked_copy, record

__all__ = ["awq", "clip_ratios", "llama_scaling_groups", "scaled_groups", "search_clip",
           "search_scale"]


# the query and key outputs meet in a product (q k^T): their own output error is not what counts,
# so the reference code does not clip them either
CLIP_SKIPPED = ("q_proj", "k_proj")


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


def clip_ratios(grid: int, max_shrink: float) -> list[float]:
    """The shrink ratios the clipping search tries: ``1, 1 − 1/grid, …`` while they stay above
    ``1 − max_shrink``; one-line ``ValueError`` when that leaves nothing below 1."""
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 1:
        raise ValueError(f"clip_grid={grid!r} must be a positive integer")
    if not 0 < max_shrink < 1:
        raise ValueError(f"max_shrink={max_shrink!r} must be between 0 and 1 (exclusive)")
    steps = int(max_shrink * grid)
    if steps < 2:
        raise ValueError(f"clip_grid={grid} with max_shrink={max_shrink} tries no clipping "
                         "ratio below 1 (need clip_grid × max_shrink ≥ 2)")
    return [1 - i / grid for i in range(steps)]


def search_clip(
    weight: torch.Tensor, xtx: torch.Tensor, *, bits: int, group_size: int,
    ratios: list[float],
) -> torch.Tensor:
    """``weight`` with each (output row, group) clamped to ``±β max|w|``, ``β`` from ``ratios``
    minimising that group's share of the output error ``Δw_g X_gᵀX_g Δw_gᵀ`` after rounding.

    ``xtx``: the layer's (normalised) :math:`X^\\top X` for the input this weight sees."""
    w = weight.float()
    rows, columns = w.shape
    groups = columns // group_size
    grouped = w.reshape(rows, groups, group_size)
    # the diagonal blocks X_gᵀX_g: the reference code scores each group's partial output alone
    blocks = torch.stack([xtx[g * group_size:(g + 1) * group_size,
                              g * group_size:(g + 1) * group_size] for g in range(groups)])
    peak = grouped.abs().amax(dim=-1, keepdim=True)
    best_error = torch.full((rows, groups), float("inf"))
    best_bound = peak.clone()
    for ratio in ratios:
        bound = peak * ratio
        clipped = torch.maximum(torch.minimum(grouped, bound), -bound)
        rounded = rtn_weight(clipped.reshape(rows, columns), bits=bits,
                             group_size=group_size)[0].reshape(rows, groups, group_size)
        delta = rounded - grouped  # against the unclipped weight: clipping error counts too
        error = torch.einsum("rgi,gij,rgj->rg", delta, blocks, delta)
        better = error < best_error
        best_error = torch.where(better, error, best_error)
        best_bound = torch.where(better[..., None], bound, best_bound)
    return torch.maximum(torch.minimum(grouped, best_bound), -best_bound).reshape(rows, columns)


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
            "magnitudes protect salient weights, folded into the preceding op; weights clipped per "
            "group by an output-error search, then group-wise",
)
def awq(
    model: nn.Module, data: Any, *, bits: int = 4, group_size: int = 128, grid: int = 20,
    clip: bool = True, clip_grid: int = 20, max_shrink: float = 0.5,
) -> nn.Module:
    """An AWQ-quantised copy of a decoder-only ``model`` (Llama-style blocks get scales; other
    layers plain group-wise rounding). ``data``: calibration token ids ``(n, seq)``. ``clip``:
    after scaling, search a per-group clipping bound (``clip_grid``, ``max_shrink``: the ratios
    of :func:`clip_ratios`) for every Linear but the query and key projections."""
    if grid < 1:
        raise ValueError(f"grid={grid} must be at least 1")
    ratios = clip_ratios(clip_grid, max_shrink)
    model, batches = checked_copy(model, data, bits=bits, group_size=group_size)
    names = {id(m): n for n, m in model.named_modules()}

    @torch.no_grad()
    def process(_index: int, block: nn.Module,
                linears: dict[str, tuple[nn.Linear, LinearStats]]) -> None:
        scales: dict[int, torch.Tensor] = {}
        for op, present in scaled_groups(block, linears):
            stats = present[0][1]
            s = search_scale([layer.weight.float() for layer, _ in present], stats, bits=bits,
                             group_size=group_size, grid=grid)
            _fold(op, s)
            for layer, _ in present:
                layer.weight.mul_(s[None, :])
                scales[id(layer)] = s
        for name, (layer, stats) in linears.items():
            weight = layer.weight
            if clip and not name.endswith(CLIP_SKIPPED):
                xtx = (stats.xtx / max(stats.rows, 1)).float()
                s = scales.get(id(layer))
                if s is not None:  # the layer now reads X diag(s)^-1
                    xtx = xtx / s[:, None] / s[None, :]
                weight = search_clip(weight, xtx, bits=bits, group_size=group_size,
                                     ratios=ratios)
            w, scale, zero = rtn_weight(weight, bits=bits, group_size=group_size)
            layer.weight.copy_(w)
            record(model, names[id(layer)], GroupQuant(scale, zero, bits, group_size))

    layer_by_layer(model, batches, process)
    return model
