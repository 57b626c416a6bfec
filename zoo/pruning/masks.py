"""Shared pieces of the unstructured methods, which zero single weights through masks.

Masks are ``torch.nn.utils.prune``'s: each pruned layer keeps ``weight_orig`` and a buffer
``weight_mask``, and ``weight`` is recomputed as their product before every forward, so masked
weights stay zero through fine-tuning. :func:`make_permanent` bakes the masks in. The model does not
get faster or smaller on disk by itself — store it sparse, or use a structured method for speed.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn
from torch.nn.utils import prune as torch_prune

from ..submodules import working_copy
from .dependency import ROOT_TYPES
from .pruner import check_pruning_ratio

__all__ = ["apply_masks", "make_permanent", "mask_targets", "prunable_weights", "sparsity"]

Site = tuple[nn.Module, str]


def prunable_weights(model: nn.Module, ignored_layers: Iterable[nn.Module] = ()) -> list[Site]:
    """``(module, "weight")`` of every convolution and Linear layer outside ``ignored_layers``."""
    skip = {id(sub) for layer in ignored_layers for sub in layer.modules()}
    return [
        (m, "weight") for m in model.modules() if isinstance(m, ROOT_TYPES) and id(m) not in skip
    ]


def mask_targets(
    model: nn.Module,
    ignored_layers: Iterable[nn.Module | str] = (),
    *,
    pruning_ratio: float,
    inplace: bool = False,
) -> tuple[nn.Module, list[Site]]:
    """The model to mask (a copy unless ``inplace``) and its prunable weights; checks the ratio."""
    check_pruning_ratio(pruning_ratio)
    model, ignored = working_copy(model, ignored_layers, inplace=inplace)
    return model, prunable_weights(model, ignored)


def apply_masks(sites: Iterable[Site], masks: Iterable[torch.Tensor]) -> None:
    """Attach one 0/1 mask per site (combined with any mask already there)."""
    for (module, name), mask in zip(sites, masks, strict=True):
        torch_prune.custom_from_mask(module, name, mask)


def sparsity(sites: Iterable[Site]) -> float:
    """Fraction of the sites' effective weights that are exactly zero."""
    zeros = total = 0
    for module, name in sites:
        weight = getattr(module, name)
        zeros += int((weight == 0).sum())
        total += weight.numel()
    return zeros / max(total, 1)


def make_permanent(model: nn.Module) -> nn.Module:
    """Replace every ``weight_orig``·``weight_mask`` pair by the plain masked tensor (in place)."""
    for module in model.modules():
        for name in [n.removesuffix("_mask") for n, _ in module.named_buffers(recurse=False)]:
            if torch_prune.is_pruned(module) and hasattr(module, f"{name}_orig"):
                torch_prune.remove(module, name)
    return model
