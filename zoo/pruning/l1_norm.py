"""L1-norm filter pruning — *Pruning Filters for Efficient ConvNets*.

Hao Li, Asim Kadav, Igor Durdanovic, Hanan Samet, Hans Peter Graf. ICLR 2017.
Catalog id ``2017-iclr-pruning-filters-efficient-convnets`` · https://arxiv.org/abs/1608.08710

**Rule.** A filter :math:`\\mathcal F_{i,j}` (output channel ``j`` of layer ``i``) that has small
weights produces weak feature maps, so rank the filters of each layer by their absolute weight sum

.. math:: s_j = \\sum_{l} \\sum \\lvert \\mathcal F_{i,j,l} \\rvert

and remove the ``m`` smallest, together with their feature maps and the kernels of the next layer
that read them; then retrain. A residual connection ties the channels of the layers it adds, so
such channels are scored by the sum of their producers' L1 norms and removed from all of them.

>>> import torch
>>> from zoo.nets import digits_cnn
>>> from zoo.metrics import count_flops
>>> model, x = digits_cnn(), torch.zeros(1, 1, 8, 8)
>>> small = l1_norm(model, x, pruning_ratio=0.5)
>>> small(x).shape, count_flops(small, x) < 0.6 * count_flops(model, x)
(torch.Size([1, 10]), True)

**Measured** (CPU; scikit-learn digits, 80/20 split; ``pruning_ratio=0.5``, then
:func:`zoo.training.fine_tune`). Baselines: the digits CNN (``width=16``) has 1.20 MFLOPs per image,
24 058 parameters, 101 KiB and 99.4 % test accuracy; ResNet-20 on the digits resized to 32×32 has
81.0 MFLOPs, 272 k parameters, 1.08 MiB and 99.4 %.

* digits CNN: −75 % FLOPs (0.30 MFLOPs), −74 % parameters, 31.6 KiB; 10.0 % right after pruning,
  99.4 % after 5 fine-tuning epochs.
* ResNet-20: −75 % FLOPs (20.3 MFLOPs), −75 % parameters, 310 KiB; 10.0 % → 99.2 % after 3 epochs.

Deviations from the paper
-------------------------
* One-shot with the same ratio in every layer; the paper picks per-layer ratios from a sensitivity
  analysis and skips sensitive layers (pass them in ``ignored_layers`` or use ``round_to``).
* Channels coupled by residual additions are pruned together (summed scores); the paper prunes only
  the first convolution of each residual block and keeps the shortcut channels, which
  ``keep_coupled=True`` does (ResNet-56 at ``pruning_ratio=0.5``: −50 % FLOPs instead of −75 %).
* Retraining is left to the caller (:func:`zoo.training.fine_tune`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from ..registry import register
from .importance import ChannelImportance, producer_scores
from .pruner import prune_channels

__all__ = ["L1NormImportance", "l1_norm"]


class L1NormImportance(ChannelImportance):
    """Sum of absolute weights of each output filter, summed over coupled producers."""

    def __call__(self, group: Any) -> torch.Tensor | None:
        return producer_scores(group, lambda rows: rows.abs().sum(dim=1))


@register(
    "l1-norm",
    paper="2017-iclr-pruning-filters-efficient-convnets",
    category="pruning",
    subcategory="structured",
    summary="Remove the filters with the smallest L1 norm in each layer (Li et al.).",
)
def l1_norm(
    model: nn.Module,
    example_inputs: Any,
    *,
    pruning_ratio: float,
    ignored_layers: Iterable[nn.Module | str] = (),
    data: Any = None,
    loss_fn: Any = None,
    **options: Any,
) -> nn.Module:
    """Remove ``pruning_ratio`` of the filters of every layer, smallest L1 norm first.

    ``data`` and ``loss_fn`` are not needed (the criterion reads only weights). ``options`` go to
    :func:`zoo.pruning.pruner.prune_channels` (``global_ranking``, ``round_to``, ``keep_coupled``,
    ``inplace`` …).
    """
    return prune_channels(
        model,
        example_inputs,
        L1NormImportance(),
        pruning_ratio=pruning_ratio,
        ignored_layers=ignored_layers,
        **options,
    )
