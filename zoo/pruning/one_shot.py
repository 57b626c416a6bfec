"""The frame of the one-shot language-model pruners (Wanda, SparseGPT): checks, copy, block loop.

Each method supplies one function, ``prune_linear(weight, stats, pattern, ratio) -> weight`` —
the new weight of one Linear layer, with the removed weights exactly zero — and :func:`one_shot`
does the rest: it checks ``pruning_ratio`` and the n:m pattern against every layer *before*
touching anything (so bad input leaves no half-pruned model), works on a copy unless ``inplace``,
and runs the method over the transformer blocks' Linear layers with
:func:`zoo.language.calibration.layer_by_layer` — the embeddings and the output head are left
dense, as in both papers. The result is the model with plain zeroed weights (no masks): store it
with :func:`zoo.language.sparse_storage.save_sparse` to get a file that shrinks with sparsity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from ..language.calibration import (
    LinearStats,
    block_linears,
    calibration_batches,
    decoder_blocks,
    layer_by_layer,
)
from ..submodules import working_copy
from .patterns import check_pattern

__all__ = ["PruneLinear", "one_shot"]

PruneLinear = Callable[[torch.Tensor, LinearStats, "tuple[int, int] | None", float], torch.Tensor]


def one_shot(
    model: nn.Module,
    data: Any,
    prune_linear: PruneLinear,
    *,
    pruning_ratio: float,
    mask_structure: str = "unstructured",
    ignored_layers: Iterable[nn.Module | str] = (),
    inplace: bool = False,
) -> nn.Module:
    """Prune every Linear of the transformer blocks of ``model`` with ``prune_linear``."""
    blocks = decoder_blocks(model)
    ignored_ids = {id(m) for m in _resolve(model, ignored_layers)}
    widths = {
        f"block {i} {name}": layer.in_features
        for i, block in enumerate(blocks)
        for name, layer in block_linears(block).items()
        if id(layer) not in ignored_ids
    }
    pattern = check_pattern(mask_structure, pruning_ratio, widths)
    batches = calibration_batches(data)
    model, ignored = working_copy(model, ignored_layers, inplace=inplace)

    def process(index: int, block: nn.Module, linears: dict[str, tuple[nn.Linear, LinearStats]]
                ) -> None:
        for layer, stats in linears.values():
            weight = prune_linear(layer.weight.data.float(), stats, pattern, pruning_ratio)
            layer.weight.data.copy_(weight.to(layer.weight.dtype))

    layer_by_layer(model, batches, process, ignored_layers=ignored)
    return model


def _resolve(model: nn.Module, layers: Iterable[nn.Module | str]) -> list[nn.Module]:
    """Ignored layers as modules of ``model`` (``working_copy`` raises for unknown ones later)."""
    return [model.get_submodule(x) if isinstance(x, str) else x for x in layers
            if not isinstance(x, str) or x in dict(model.named_modules())]
