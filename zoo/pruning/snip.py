"""SNIP — *Single-shot Network Pruning based on Connection Sensitivity*.

Namhoon Lee, Thalaiyasingam Ajanthan, Philip H. S. Torr. ICLR 2019.
Catalog id ``2019-iclr-snip`` · https://openreview.net/forum?id=B1VZqjAcYX

**Rule.** Prune *once, at initialisation, before training*. Give every connection a gate
:math:`c_j` (1 = present); its sensitivity is how much the loss on a mini-batch reacts to it,

.. math:: s_j = \\frac{\\lvert g_j \\rvert}{\\sum_k \\lvert g_k \\rvert}, \\qquad
          g_j = \\frac{\\partial \\mathcal L(c \\odot w; \\mathcal D)}{\\partial c_j}\\Big|_{c=1}
              = w_j \\frac{\\partial \\mathcal L}{\\partial w_j} ,

and keep the top :math:`\\kappa` connections of the whole network (one global ranking across
layers), then train the sparse network as usual. Masks are ``torch.nn.utils.prune`` masks.

>>> import torch
>>> from zoo.data import load_digits, loaders
>>> from zoo.nets import digits_cnn
>>> from zoo.pruning.masks import prunable_weights, sparsity
>>> train_data, _ = loaders(load_digits())
>>> sparse = snip(digits_cnn(), torch.zeros(1, 1, 8, 8), pruning_ratio=0.9, data=train_data)
>>> round(sparsity(prunable_weights(sparse)), 3)
0.9

**Measured** (CPU; digits CNN of ``width=16``, pruned at initialisation from one batch of 64, then
8 epochs of :func:`zoo.training.train`; the dense net from the same initialisation reaches 99.7 %):
80 % sparsity 98.9 %, 90 % 96.9 %, 98 % 68.1 % — where a random mask of the same sparsity trains
to 21.1 %.

**Eval or train mode** (``benchmarks/snip_train_vs_eval.py`` and the test above; seed 0, one
thread of a shared 2-core machine). At initialisation BatchNorm's running statistics are still 0
and 1, so in eval mode it is a plain affine map, while train mode normalises with the batch's
statistics; the two give different masks. At 90 % sparsity per-layer kept density differs by
14.5 points on average (largest 24.2: the classifier, 48.9 % → 73.1 %) on the digits CNN, and by
18.8 points (largest 48.9) over ResNet-20's 22 layers on the digits at 32×32: train mode keeps
more of the early layers (stem 58 % → 91 %) and almost nothing of the last (layer3.2.conv2
9.3 % → 0.9 %). Trained 8 epochs, the digits CNN reaches 97.8 % (eval-mode mask) vs 99.2 %
(train mode) at 90 % sparsity, but 68.1 % vs 33.3 % at 98 %, where train mode starves the deep
layers. Eval mode stays the default.

Deviations from the paper
-------------------------
* The paper says only that one mini-batch of training data is used, not in which mode the
  network runs. The default is eval mode, as the official code (``snip/prune.py`` feeds
  ``is_train: False``); ``train_mode=True`` computes the sensitivities in train mode (BatchNorm
  on the batch's statistics, dropout active; the running statistics are put back afterwards).
  The measured effect of the choice is above.
* With ``max_batches > 1`` the gradients of several batches are summed before taking magnitudes
  (the sensitivity on their union); the paper uses one batch, the default here.
* Convolution and Linear weights are pruned, biases and BatchNorm parameters are kept; the paper
  prunes weights only as well but uses no BatchNorm in most experiments.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from ..registry import register
from .importance import LossFn, gradient_passes, require_data
from .masks import apply_masks, mask_targets

__all__ = ["connection_sensitivity", "snip"]


def connection_sensitivity(
    model: nn.Module,
    sites: list[tuple[nn.Module, str]],
    data: Iterable[tuple[Any, torch.Tensor]],
    loss_fn: LossFn | None = None,
    max_batches: int = 1,
    train_mode: bool = False,
) -> list[torch.Tensor]:
    """:math:`\\lvert w \\odot \\partial L/\\partial w \\rvert` per weight, normalised to sum 1.

    In eval mode, as the official code, unless ``train_mode`` (BatchNorm on the batch's statistics).
    """
    sums = [torch.zeros_like(getattr(m, name)) for m, name in sites]
    for _ in gradient_passes(model, data, loss_fn, max_batches=max_batches,
                             train_mode=train_mode):
        for total, (module, name) in zip(sums, sites, strict=True):
            weight = getattr(module, name)
            total += (weight * weight.grad).detach()  # ∂L/∂c at c = 1; signed until all batches
    scores = [s.abs() for s in sums]
    norm = sum(float(s.sum()) for s in scores) or 1.0
    return [s / norm for s in scores]


@register(
    "snip",
    paper="2019-iclr-snip",
    category="pruning",
    subcategory="unstructured",
    summary="Before training, keep the connections whose removal would change the loss most.",
)
def snip(
    model: nn.Module,
    example_inputs: Any = None,
    *,
    pruning_ratio: float,
    ignored_layers: Iterable[nn.Module | str] = (),
    data: Iterable[tuple[Any, torch.Tensor]] | None = None,
    loss_fn: LossFn | None = None,
    max_batches: int = 1,
    train_mode: bool = False,
    inplace: bool = False,
) -> nn.Module:
    """Mask ``pruning_ratio`` of all conv/Linear weights, least sensitive first (global ranking).

    Returns the model with ``torch.nn.utils.prune`` masks; train it afterwards. ``example_inputs``
    is unused (accepted for the common ``zoo.prune`` signature). Sensitivities come from the
    network in eval mode, as in the official code; ``train_mode=True`` uses train mode (see the
    module's figures for the difference).
    """
    require_data("snip", data)
    model, sites = mask_targets(model, ignored_layers, pruning_ratio=pruning_ratio, inplace=inplace)
    scores = connection_sensitivity(model, sites, data, loss_fn, max_batches, train_mode)
    flat = torch.cat([s.flatten() for s in scores])
    keep = round((1.0 - pruning_ratio) * flat.numel())  # κ connections survive
    kept = torch.zeros_like(flat)
    kept[torch.topk(flat, keep).indices] = 1.0  # exact count, ties broken by topk
    pieces = kept.split([s.numel() for s in scores])
    apply_masks(sites, [piece.view_as(s) for piece, s in zip(pieces, scores, strict=True)])
    return model
