"""Torch-Pruning's LLM pruning, the benchmark's peer of LLM-Pruner (:mod:`zoo.pruning.llm_pruner`).

Written against Torch-Pruning's own API the way its ``examples/LLMs/prune_llm.py`` prunes a
Hugging Face Llama: one :class:`~torch_pruning.pruner.MetaPruner` over the whole model with
``num_heads`` for every ``q/k/v_proj``, whole heads removed (``prune_num_heads=True``) but never
head dimensions (``prune_head_dims=False``, so the rotary embedding is untouched), the output head
ignored, local (per-group) ranking, ``round_to=4``, and the same ratio for heads and channels.
Unlike LLM-Pruner this also narrows the hidden (embedding) width shared by every block — the
library's recipe, and the paper's "channel" strategy. Afterwards the attention modules and the
config are told their new sizes, as the example does, so that the forward and ``generate`` agree
with the weights. ``save_pretrained`` still refuses most results: transformers 5 validates that
the hidden size is a multiple of the head count, which pruning both separately breaks (the
benchmark never saves them).

Differences from the example, each because the example does not run here as written:

* the trace calls the model with ``use_cache=False`` and follows the logits only: on transformers
  5 the output also carries a ``DynamicCache``, which Torch-Pruning's output flattening cannot
  walk (``AttributeError: 'tuple' object has no attribute 'grad_fn'``);
* the RMSNorm weights are declared as unwrapped parameters pruned on dim 0 (what Torch-Pruning
  guesses with a warning otherwise);
* the importance is Torch-Pruning's ``GroupTaylorImportance`` from the same calibration batches
  as LLM-Pruner (the example's ``GroupNormImportance`` is ``GroupMagnitudeImportance`` in
  Torch-Pruning 1.6; ``importance="magnitude"`` selects it), so the two rows differ in grouping
  and scope rather than in the kind of score.

**Measured** (``python -m zoo.bench.lm_pruning --recipe tiny --parts structured``; torch-pruning
1.6.0, transformers 5.24.0; 16 calibration windows, 100 recovery steps of 8 × 128 tokens at lr
1e-3 for both; perplexity identical in two runs, latency on a loaded 2-core machine is not):
dense 590,464 parameters, perplexity 134.0. At LLM-Pruner's 17.5 % the ratio is 0.089 (hidden
128 → 116, 3 of 4 heads, MLP 256 → 232): 488,708 parameters, perplexity 147.2 before and 102.2
after recovery (LLM-Pruner 142.5 → 100.5). At its 46.6 %, ratio 0.312 (hidden 88, 2 heads, MLP
176): 318,648, 219.0 → 117.3 (LLM-Pruner 428.4 → 118.7). Recovery (which continues training
this under-trained tiny model, hence below dense) nearly erases the difference.

Imported only by the benchmark (peers never reach the zoo's methods).
"""

from __future__ import annotations

import copy
from typing import Any, Literal

import torch
import torch_pruning as tp
from torch import nn

from ..language.calibration import calibration_batches

__all__ = ["LIBRARY", "ratio_for_params", "tp_prune_llm"]

LIBRARY = f"torch-pruning {tp.__version__}"

Importance = Literal["taylor", "magnitude"]


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _attentions(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules()
            if all(isinstance(getattr(m, p, None), nn.Linear) for p in ("q_proj", "k_proj",
                                                                        "v_proj", "o_proj"))]


def _trace_logits(model: nn.Module, ids: torch.Tensor) -> torch.Tensor:
    return model(ids, use_cache=False).logits


def _pruner(model: nn.Module, ratio: float, importance: Any, example: torch.Tensor
            ) -> tp.pruner.MetaPruner:
    config = model.config
    num_heads: dict[nn.Module, int] = {}
    for attention in _attentions(model):
        num_heads[attention.q_proj] = config.num_attention_heads
        num_heads[attention.k_proj] = config.num_key_value_heads
        num_heads[attention.v_proj] = config.num_key_value_heads
    norms = [(m.weight, 0) for m in model.modules()
             if type(m).__name__.endswith("RMSNorm") and isinstance(m.weight, nn.Parameter)]
    # Fresh dicts for every MetaPruner: it merges num_heads into out_channel_groups in place,
    # and the default argument is a shared dict.
    return tp.pruner.MetaPruner(
        model, example, importance=importance, global_pruning=False, pruning_ratio=ratio,
        ignored_layers=[model.get_output_embeddings()], num_heads=num_heads,
        out_channel_groups={}, in_channel_groups={}, prune_num_heads=True,
        prune_head_dims=False, head_pruning_ratio=ratio, round_to=4,
        unwrapped_parameters=norms, forward_fn=_trace_logits,
    )


def _update_sizes(model: nn.Module) -> None:
    """Tell the attention modules and the config the sizes the surgery left behind."""
    config = model.config
    attentions = _attentions(model)
    for attention in attentions:
        heads = attention.q_proj.out_features // attention.head_dim
        kv_heads = attention.k_proj.out_features // attention.head_dim
        attention.num_key_value_groups = heads // kv_heads  # read by the attention kernels
    first = attentions[0]
    config.hidden_size = model.get_output_embeddings().in_features
    config.num_attention_heads = first.q_proj.out_features // first.head_dim
    config.num_key_value_heads = first.k_proj.out_features // first.head_dim
    config.head_dim = first.head_dim  # no longer hidden_size // heads
    mlp = next(m for m in model.modules() if isinstance(getattr(m, "gate_proj", None), nn.Linear))
    config.intermediate_size = mlp.gate_proj.out_features


def tp_prune_llm(model: nn.Module, ratio: float, *, data: Any = None,
                 importance: Importance = "taylor") -> nn.Module:
    """A copy of the Hugging Face Llama ``model`` pruned by Torch-Pruning at ``ratio`` of the
    heads, MLP channels and hidden channels (each group on its own). ``data``: calibration token
    ids for the Taylor importance (any form :func:`calibration_batches` takes); the gradients of
    the causal-LM loss on them are summed before ranking."""
    if not 0 <= ratio < 1:
        raise ValueError(f"ratio must be in [0, 1), got {ratio}")
    if not _attentions(model):
        raise ValueError(f"{type(model).__name__} has no attention with q/k/v/o_proj")
    batches = calibration_batches(data) if importance == "taylor" else None
    model = copy.deepcopy(model).eval()
    example = batches[0][:1] if batches else torch.zeros(1, 8, dtype=torch.long)
    scorer = (tp.importance.GroupTaylorImportance() if importance == "taylor"
              else tp.importance.GroupMagnitudeImportance(p=2))
    pruner = _pruner(model, ratio, scorer, example)
    if batches:
        model.zero_grad(set_to_none=True)
        for ids in batches:  # the gradients accumulate over the batches
            model(ids, labels=ids, use_cache=False).loss.backward()
    for group in pruner.step(interactive=True):
        group.prune()
    model.zero_grad(set_to_none=True)
    _update_sizes(model)
    return model


def ratio_for_params(model: nn.Module, params: int, *, steps: int = 12) -> tuple[float, int]:
    """The ratio whose pruned model has the parameter count nearest ``params``, and that count.

    Bisection on the ratio: the count falls in steps (whole heads, channels rounded to 4) but
    never rises with the ratio, and does not depend on which channels go, so the search prunes
    copies with the magnitude score (no gradients)."""
    best = (0.0, _count(model))
    low, high = 0.0, 0.95
    for _ in range(steps):
        ratio = (low + high) / 2
        count = _count(tp_prune_llm(model, ratio, importance="magnitude"))
        if abs(count - params) < abs(best[1] - params):
            best = (ratio, count)
        if count == params:
            break
        low, high = (ratio, high) if count > params else (low, ratio)
    return best
