"""Pruning: one entry point, :func:`prune`, over every registered pruning method.

Structured methods (``fpgm``, ``l1_norm``, ``taylor``, ``gate_decorator``, ``halp``) physically
remove channels and return a smaller model that accepts the same inputs and returns the same shape;
unstructured ones (``snip``, ``magnitude``) return the model with ``torch.nn.utils.prune`` masks.
The pieces are separate, Torch-Pruning style: an *importance* scores each channel of a group of
coupled layers (:mod:`zoo.pruning.importance` and one module per paper), the *pruner* ranks the
scores (:mod:`zoo.pruning.pruner`) and the *surgery* removes the channels through Torch-Pruning's
dependency graph (:mod:`zoo.pruning.dependency`).

>>> import torch
>>> import zoo
>>> from zoo.nets import resnet20
>>> model, x = resnet20(num_classes=10, in_channels=1), torch.zeros(1, 1, 32, 32)
>>> small = zoo.prune(model, x, method="l1-norm", pruning_ratio=0.5)
>>> small(x).shape, sum(p.numel() for p in small.parameters()) < 0.3 * 272_186
(torch.Size([1, 10]), True)
"""

from __future__ import annotations

from ..registry import dispatch, import_zoo_module, list_methods

import_zoo_module("torch", __name__)  # without PyTorch: MissingExtraError with the install line

from collections.abc import Iterable
from typing import Any

from torch import nn

__all__ = ["methods", "prune"]


def methods() -> list[str]:
    """Names of the registered pruning methods."""
    return [record.name for record in list_methods("pruning")]


def prune(
    model: nn.Module,
    example_inputs: Any,
    *,
    method: str,
    pruning_ratio: float | None = None,
    ignored_layers: Iterable[nn.Module | str] = (),
    data: Iterable[Any] | None = None,
    loss_fn: Any = None,
    **options: Any,
) -> nn.Module:
    """Prune ``model`` with the registered method ``method``; the caller's model is left as is.

    ``example_inputs`` (a tensor, or a tuple of positional inputs) is used to trace the model.
    ``pruning_ratio`` is the fraction of channels (structured) or weights (unstructured) removed;
    every method but ``halp`` needs it. ``halp`` takes a latency target instead:
    ``latency_target`` (a fraction of the model's measured latency, e.g. 0.5) or
    ``latency_target_ms`` (see :mod:`zoo.pruning.halp`).
    ``ignored_layers`` (modules or qualified names) are left untouched; the output layer always is.
    Gradient-based methods (``taylor``, ``gate_decorator``, ``snip``) need ``data``, an iterable
    of ``(inputs, targets)`` batches, and use ``loss_fn`` (default cross-entropy). ``options`` are
    method-specific, see each method's module (e.g. ``global_ranking``, ``max_batches``,
    ``keep_coupled=True`` to keep the channels residual additions tie, structured methods only,
    ``inplace=True`` to modify ``model`` itself). Transformers: attention head counts are found
    automatically; ``num_heads``, ``prune_num_heads``, ``prune_head_dims`` and
    ``head_pruning_ratio`` go to Torch-Pruning (see :mod:`zoo.pruning.attention`), and a result
    that does not run on ``example_inputs`` raises
    :class:`~zoo.pruning.attention.PrunedModelError` naming the layer.
    """
    if pruning_ratio is not None:  # absent: a method that needs it says so (dispatch's check)
        options["pruning_ratio"] = pruning_ratio
    return dispatch(
        "pruning",
        method,
        model,
        example_inputs,
        ignored_layers=ignored_layers,
        data=data,
        loss_fn=loss_fn,
        **options,
    )
