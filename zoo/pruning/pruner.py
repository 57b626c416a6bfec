"""Which channels go: ranking importance scores, per layer or across the network.

The pruner is Torch-Pruning's :class:`~torch_pruning.pruner.BasePruner`, configured once here
for every structured method: it asks the importance for each group's scores, ranks them (within
each layer, or globally when ``global_ranking``), keeps grouped convolutions consistent (the same
channels go from every group) and yields the groups to remove. The output layers are always
ignored, so the pruned model returns what the original returned.

``pruning_ratio`` is the fraction of channels removed: of every layer with per-layer ranking, of
all prunable channels with global ranking — where ``max_pruning_ratio`` (default 0.75) keeps any
one layer from losing more than that fraction. Without that cap, global Taylor scores on the digits
CNN took 58 of the last convolution's 64 channels and the net recovered unreliably (94–98 %
instead of 99 %+ after the same fine-tune).

Transformers: every attention layer's head count goes to Torch-Pruning (``num_heads``, found by
:func:`~zoo.pruning.attention.find_num_heads`; a caller's entries win), so attention width is cut
per head. ``prune_head_dims`` (default) removes the same dimensions from every head,
``prune_num_heads=True`` with ``head_pruning_ratio`` removes whole heads (Hugging Face q/k/v
projections; ``nn.MultiheadAttention`` keeps its heads). The MLP width is an ordinary group. Every
result is run once on ``example_inputs``: a model that fails raises
:class:`~zoo.pruning.attention.PrunedModelError` naming the layer.

``keep_coupled=True`` keeps every channel that several layers produce together
(:func:`~zoo.pruning.dependency.is_coupled`: those a residual addition or a squeeze-excite product
ties — in a ResNet the stem, each block's last convolution and the shortcuts) and prunes only the
others, Li et al.'s scheme of pruning just the first convolution of each residual block.
``pruning_ratio`` is then a fraction of the uncoupled channels: of each such layer, or of all of
them with global ranking (the coupled ones neither count nor rank).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch_pruning as tp
from torch import nn

from ..submodules import working_copy
from .attention import check_runs, find_num_heads, hf_attention, sync_head_attributes
from .dependency import (
    ROOT_TYPES,
    Cut,
    build_graph,
    example_args,
    is_coupled,
    output_layers,
    remove_channels,
)
from .importance import ChannelImportance

__all__ = [
    "CappedImportance",
    "Prepare",
    "UncoupledImportance",
    "channel_pruner",
    "check_pruning_ratio",
    "plan",
    "prune_channels",
    "working_copy",
]

# A data-driven method's step between building the pruner and ranking: it gathers scores on
# ``pruner.model`` and may return a step to run after ranking, before surgery.
Prepare = Callable[[tp.pruner.BasePruner], Callable[[], None] | None]


class CappedImportance(ChannelImportance):
    """Wraps an importance so that ranking never removes more than ``max_ratio`` of one group:
    the group's top ``ceil((1 − max_ratio)·C)`` scores become ``+inf``."""

    def __init__(self, importance: Any, max_ratio: float) -> None:
        self.importance, self.max_ratio = importance, max_ratio

    def __call__(self, group: Any) -> torch.Tensor | None:
        scores = self.importance(group)
        if scores is None:
            return None
        keep = max(1, math.ceil(len(scores) * (1.0 - self.max_ratio)))
        capped = scores.clone().float()
        capped[torch.topk(capped, keep).indices] = math.inf
        return capped


class UncoupledImportance(ChannelImportance):
    """Wraps an importance so that coupled groups (:func:`~zoo.pruning.dependency.is_coupled`)
    score ``None``, which the pruner skips: their channels are all kept."""

    def __init__(self, importance: Any) -> None:
        self.importance = importance

    def __call__(self, group: Any) -> torch.Tensor | None:
        return None if is_coupled(group) else self.importance(group)


def channel_pruner(
    model: nn.Module,
    example_inputs: Any,
    importance: Any,
    *,
    pruning_ratio: float,
    ignored_layers: Iterable[nn.Module] = (),
    global_ranking: bool = False,
    max_pruning_ratio: float = 0.75,
    round_to: int | None = None,
    keep_coupled: bool = False,
    num_heads: dict[nn.Module, int] | None = None,
    prune_num_heads: bool = False,
    prune_head_dims: bool = True,
    head_pruning_ratio: float = 0.0,
) -> tp.pruner.BasePruner:
    """A Torch-Pruning pruner over ``model`` that ranks channels by ``importance`` (with
    ``keep_coupled``, only the channels no residual addition ties; see the module docstring)."""
    check_pruning_ratio(pruning_ratio)
    if global_ranking and pruning_ratio > max_pruning_ratio:
        raise ValueError(
            f"pruning_ratio {pruning_ratio} exceeds max_pruning_ratio {max_pruning_ratio}: "
            "global ranking could not reach it without emptying layers"
        )
    if global_ranking:  # per-layer ranking removes exactly ``pruning_ratio`` of each layer anyway
        importance = CappedImportance(importance, max_pruning_ratio)
    if keep_coupled:
        importance = UncoupledImportance(importance)
    if prune_num_heads and not 0.0 < head_pruning_ratio < 1.0:
        raise ValueError(
            f"prune_num_heads needs head_pruning_ratio in (0, 1), got {head_pruning_ratio}"
        )
    heads = find_num_heads(model) | dict(num_heads or {})
    # nn.MultiheadAttention has one width for q, k, v and output: Torch-Pruning's head logic is
    # written for separate q/k/v projections, so its heads are given as channel groups instead
    # (the same dimensions leave every head, embed_dim stays a multiple of num_heads).
    groups = {m: n for m, n in heads.items() if isinstance(m, nn.MultiheadAttention)}
    heads = {m: n for m, n in heads.items() if m not in groups}
    ignored = list(ignored_layers) + output_layers(build_graph(model, example_inputs))
    was_training = model.training
    model.eval()  # the pruner traces the model too
    try:
        return tp.pruner.BasePruner(
            model,
            example_args(example_inputs),
            importance=importance,
            global_pruning=global_ranking,
            pruning_ratio=pruning_ratio,
            max_pruning_ratio=max_pruning_ratio,
            ignored_layers=ignored,
            round_to=round_to,
            root_module_types=list(ROOT_TYPES),
            num_heads=heads,
            in_channel_groups=dict(groups),
            out_channel_groups=dict(groups),
            prune_num_heads=prune_num_heads,
            prune_head_dims=prune_head_dims,
            head_pruning_ratio=head_pruning_ratio,
        )
    finally:
        model.train(was_training)


def plan(pruner: tp.pruner.BasePruner) -> list[Cut]:
    """Score and rank once: the cuts of one pruning step, nothing changed yet."""
    return [Cut.of(group) for group in pruner.step(interactive=True) or ()]


def prune_channels(
    model: nn.Module,
    example_inputs: Any,
    importance: Any,
    *,
    pruning_ratio: float,
    ignored_layers: Iterable[nn.Module | str] = (),
    global_ranking: bool = False,
    max_pruning_ratio: float = 0.75,
    round_to: int | None = None,
    keep_coupled: bool = False,
    inplace: bool = False,
    prepare: Prepare | None = None,
    **head_options: Any,
) -> nn.Module:
    """Importance → pruner → surgery: the smaller model (a copy unless ``inplace``).

    ``prepare(pruner)``, when given, runs once the pruner stands and before it ranks: data-driven
    importances gather their scores there, on ``pruner.model`` (the working copy). What it returns,
    if anything, is called after ranking and before surgery.

    ``keep_coupled=True`` keeps the channels residual additions tie (in a ResNet the stem, each
    block's last convolution, the shortcuts) and prunes ``pruning_ratio`` of the others only.
    ``head_options`` (``num_heads``, ``prune_num_heads``, ``prune_head_dims``,
    ``head_pruning_ratio``) say how attention is pruned (see the module docstring). The result
    is run once on ``example_inputs``; :class:`~zoo.pruning.attention.PrunedModelError` if it
    fails.
    """
    unknown = sorted(set(head_options) - _HEAD_OPTIONS)
    if unknown:
        raise TypeError(f"unknown pruning option(s): {', '.join(unknown)}")
    model, ignored = working_copy(model, ignored_layers, inplace=inplace)
    attentions = [a for m in model.modules() if (a := hf_attention(m)) is not None]
    pruner = channel_pruner(
        model,
        example_inputs,
        importance,
        pruning_ratio=pruning_ratio,
        ignored_layers=ignored,
        global_ranking=global_ranking,
        max_pruning_ratio=max_pruning_ratio,
        round_to=round_to,
        keep_coupled=keep_coupled,
        **head_options,
    )
    finish = prepare(pruner) if prepare is not None else None
    cuts = plan(pruner)  # ranks, changes nothing yet
    if finish is not None:
        finish()
    remove_channels(pruner.DG, cuts)
    whole_heads = not head_options.get("prune_head_dims", True)
    sync_head_attributes(attentions, whole_heads=whole_heads)
    check_runs(model, example_inputs)
    return model


_HEAD_OPTIONS = frozenset({"num_heads", "prune_num_heads", "prune_head_dims", "head_pruning_ratio"})


def check_pruning_ratio(pruning_ratio: float) -> None:
    """``pruning_ratio`` is a fraction of channels or weights to remove: in ``[0, 1)``."""
    if not 0.0 <= pruning_ratio < 1.0:
        raise ValueError(f"pruning_ratio must be in [0, 1), got {pruning_ratio}")
