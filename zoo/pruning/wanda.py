"""Wanda — *A Simple and Effective Pruning Approach for Large Language Models*.

Mingjie Sun, Zhuang Liu, Anna Bair, J. Zico Kolter. ICLR 2024.
Catalog id ``2024-iclr-simple-effective-pruning-approach`` · https://arxiv.org/abs/2306.11695

**Rule.** Prune by weights *and* activations: weight :math:`W_{ij}` of a Linear layer (output
:math:`i`, input :math:`j`) scores

.. math:: S_{ij} = \\lvert W_{ij} \\rvert \\cdot \\lVert X_j \\rVert_2 ,

the norm of input feature :math:`j` over all :math:`N\\!\\cdot\\!L` calibration tokens. Scores are
compared *within each output row* (every output loses the same fraction), or within every group of
``m`` inputs of a row for n:m sparsity; the lowest go. No weight is updated and nothing is
inverted: one forward pass over the calibration set per block, which makes Wanda far cheaper than
SparseGPT. A few activation channels of LLMs are large (outliers); ``‖X_j‖`` protects the weights
that read them, which magnitude alone would remove.

>>> import torch
>>> from zoo.language.calibration import LinearStats
>>> stats = LinearStats(4)
>>> stats.add(torch.tensor([[10.0, 1.0, 1.0, 1.0]]))   # input 0 is an outlier channel
>>> prune_linear(torch.tensor([[0.1, 0.5, 0.2, 0.3]]), stats, None, 0.5).tolist()
[[0.10000000149011612, 0.5, 0.0, 0.0]]

**Measured** (the zoo's ``"tiny"`` language model: 2 blocks × 128 wide, trained on 200 files of
the Python standard library; 32 calibration windows of 128 training tokens; validation perplexity
on 16 windows of 128 tokens; dense 43.36):

=============  ===========  ===========
method         50 %         2:4
=============  ===========  ===========
magnitude      44.53        46.67
Wanda          45.05        46.77
SparseGPT      43.77        44.58
=============  ===========  ===========

SparseGPT keeps the most; Wanda does not beat layer-wise magnitude here: the model is small and
briefly trained and has none of the large activation outliers of billion-parameter LLMs that
Wanda's ``‖X‖`` term is there to protect. Beside llmcompressor 0.14's ``WandaPruningModifier`` and
``SparseGPTModifier`` on the same loaded checkpoint and calibration set
(``python -m zoo.bench.lm_pruning --parts sparsity``, ``benchmarks/results/lm-pruning.json``;
that run's dense model scored 124.29, see the caution there): Wanda 124.7055 vs 124.7055 (50 %)
and 126.5493 vs 126.5493 (2:4), identical; SparseGPT 124.4909 vs 124.4915 (50 %) and 124.4708 vs
124.4708 (2:4); magnitude 125.05 / 127.08. Pruning took 0.5 s (Wanda) and 0.7 s (SparseGPT)
against llmcompressor's 12–17 s. The bitmask file is 74 % of the dense one (embeddings and
output head stay dense); nothing runs faster on CPU (:mod:`zoo.language.sparse_storage`).

Deviations from the paper
-------------------------
* Only the per-output comparison group (the paper's default and best); the per-layer and
  per-input groups of its ablation are not offered.
* Blocks are calibrated on the outputs of the already-pruned earlier blocks, as the reference
  code does; the paper's text describes the score on the dense model's activations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from ..language.calibration import LinearStats
from ..registry import register
from .one_shot import one_shot
from .patterns import nm_mask, row_mask

__all__ = ["prune_linear", "wanda"]


def prune_linear(
    weight: torch.Tensor, stats: LinearStats, pattern: tuple[int, int] | None, ratio: float
) -> torch.Tensor:
    """``weight`` with its lowest :math:`|W|\\cdot\\lVert X\\rVert` zeroed (per row or n:m)."""
    scores = weight.abs() * stats.column_norms().unsqueeze(0)
    mask = row_mask(scores, ratio) if pattern is None else nm_mask(scores, *pattern)
    return weight * mask


@register(
    "wanda",
    paper="2024-iclr-simple-effective-pruning-approach",
    category="pruning",
    subcategory="unstructured",
    summary="One-shot LLM pruning by |W|·‖X‖₂ per output row (or n:m), no weight update.",
)
def wanda(
    model: nn.Module,
    example_inputs: Any = None,
    *,
    pruning_ratio: float,
    data: Any = None,
    ignored_layers: Iterable[nn.Module | str] = (),
    mask_structure: str = "unstructured",
    inplace: bool = False,
    loss_fn: Any = None,
) -> nn.Module:
    """Zero ``pruning_ratio`` of the weights of every Linear in the transformer blocks.

    ``data``: calibration token ids (a LongTensor ``batch × seq`` or an iterable of them; the paper
    uses 128 sequences). ``mask_structure``: ``"unstructured"`` or ``"n:m"`` (e.g. ``"2:4"`` with
    ``pruning_ratio=0.5``). ``example_inputs`` and ``loss_fn`` are unused (``zoo.prune``'s
    signature). Returns a pruned copy (``inplace=False``) with plain zeroed weights.
    """
    return one_shot(model, data, prune_linear, pruning_ratio=pruning_ratio,
                    mask_structure=mask_structure, ignored_layers=ignored_layers, inplace=inplace)
