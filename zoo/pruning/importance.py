"""Shared importance plumbing: one score per channel of a dependency group, higher = keep.

An importance is a callable ``group -> 1-D tensor`` (Torch-Pruning's interface, so ours plug into
its pruners and theirs into ours). A group's channels are those of its root layer; the other
members map their channels onto the root's through ``root_idxs``. Scores of coupled layers (the
convolutions whose outputs a residual connection adds) are summed per root channel by
:func:`scatter_to_root` — pruning channel ``i`` removes it from all of them at once.

Gradient-based methods read gradients with :func:`gradient_passes`, which runs backward passes
over a few batches in eval mode (no dropout noise, BN statistics left untouched), or in train mode
(BN normalises with each batch's statistics, as SNIP's paper computes its sensitivities; the
running statistics are restored afterwards).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

import torch
import torch.nn.functional as F
import torch_pruning as tp
from torch import nn

from .dependency import Member, members

__all__ = [
    "ChannelImportance",
    "LossFn",
    "filters",
    "gradient_passes",
    "output_first",
    "producer_scores",
    "require_data",
    "root_size",
    "scatter_to_root",
]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class ChannelImportance(tp.importance.Importance):
    """Base class: ``importance(group)`` returns one score per root channel, or ``None`` when the
    group holds nothing the criterion can score."""

    def __call__(self, group: Any) -> torch.Tensor | None:  # pragma: no cover - interface
        raise NotImplementedError


def root_size(group: Any) -> int:
    """Number of channels of the group's root layer."""
    return len(group[0].idxs)


def scatter_to_root(group: Any, per_member: Iterable[tuple[Member, torch.Tensor]]) -> torch.Tensor:
    """Sum member-channel scores into the root channels they belong to."""
    scores = torch.zeros(root_size(group))
    for member, values in per_member:
        scores.index_add_(0, member.root_idxs, values.detach().float().cpu())
    return scores


def output_first(module: nn.Module, tensor: torch.Tensor) -> torch.Tensor:
    """``module``'s weight (or its gradient) as a view with the output channels on dim 0."""
    if getattr(module, "transposed", False):  # ConvTranspose stores (in, out/groups, ...)
        return tensor.transpose(0, 1)
    return tensor


def filters(member: Member) -> torch.Tensor:
    """The output filters of a producer as rows: ``(len(idxs), fan_in)``."""
    return output_first(member.module, member.module.weight.detach())[member.idxs].flatten(1)


def producer_scores(
    group: Any, score_filters: Callable[[torch.Tensor], torch.Tensor]
) -> torch.Tensor | None:
    """Apply ``score_filters`` (rows → one score each) to every producer; sum per root channel."""
    producers = members(group, roles=("producer",))
    if not producers:
        return None
    return scatter_to_root(group, ((m, score_filters(filters(m))) for m in producers))


def gradient_passes(
    model: nn.Module,
    data: Iterable[tuple[Any, torch.Tensor]],
    loss_fn: LossFn | None = None,
    *,
    max_batches: int | None = None,
    train_mode: bool = False,
) -> Iterator[torch.Tensor]:
    """For each of the first ``max_batches`` batches: zero grads, forward, backward; yield the loss.

    The caller reads ``.grad`` between iterations. Runs in eval mode, or in train mode with
    ``train_mode`` (batch statistics, dropout active; the buffers — BN running statistics — are
    put back afterwards), and restores the model's mode.
    """
    loss_fn = loss_fn or F.cross_entropy
    was_training = model.training
    saved = {name: b.clone() for name, b in model.named_buffers()} if train_mode else {}
    model.train(train_mode)
    seen = 0
    try:
        for inputs, targets in islice(data, max_batches):
            model.zero_grad(set_to_none=True)
            args = inputs if isinstance(inputs, tuple | list) else (inputs,)
            loss = loss_fn(model(*args), targets)
            loss.backward()
            seen += 1
            yield loss.detach()
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
        with torch.no_grad():
            for name, buffer in model.named_buffers():
                if name in saved:
                    buffer.copy_(saved[name])
    if seen == 0:
        raise ValueError("the data iterable yielded no (inputs, targets) batches")


def require_data(method: str, data: Any) -> None:
    """Gradient-based methods cannot score channels without a few labelled batches."""
    if data is None:
        raise ValueError(
            f"pruning method {method!r} needs data=<iterable of (inputs, targets) batches> "
            "(and optionally loss_fn, default cross-entropy) to compute gradients"
        )
