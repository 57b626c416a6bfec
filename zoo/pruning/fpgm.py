"""FPGM — *Filter Pruning via Geometric Median for Deep Convolutional Neural Networks Acceleration*.

Yang He, Ping Liu, Ziwei Wang, Zhilan Hu, Yi Yang. CVPR 2019 (oral).
Catalog id ``2019-cvpr-filter-pruning-geometric-median`` · https://arxiv.org/abs/1811.00250

**Rule.** Norm-based criteria assume that small filters matter little; FPGM instead removes the
filters that the others can *replace*. The geometric median of a layer's filters
:math:`x^{GM} = \\arg\\min_x \\sum_{j'} \\lVert x - \\mathcal F_{j'} \\rVert_2` holds what they
share, and a filter close to it is redundant. The paper approximates "close to the median" by the
filter's own total distance to the others,

.. math:: s_j = \\sum_{j'} \\lVert \\mathcal F_j - \\mathcal F_{j'} \\rVert_2 ,

and prunes the filters with the smallest :math:`s_j` in every layer.

>>> import torch
>>> from zoo.nets import digits_cnn
>>> model, x = digits_cnn(), torch.zeros(1, 1, 8, 8)
>>> small = fpgm(model, x, pruning_ratio=0.5)
>>> [m.out_channels for m in small.modules() if isinstance(m, torch.nn.Conv2d)]
[16, 32, 64]

**Measured** (CPU; scikit-learn digits, 80/20 split; ``pruning_ratio=0.5``, then
:func:`zoo.training.fine_tune`). Baselines: the digits CNN (``width=16``) has 1.20 MFLOPs per image,
24 058 parameters, 101 KiB and 99.4 % test accuracy; ResNet-20 on the digits resized to 32×32 has
81.0 MFLOPs, 272 k parameters, 1.08 MiB and 99.4 %.

* digits CNN: −75 % FLOPs (0.30 MFLOPs), −74 % parameters, 31.6 KiB; 20.6 % right after pruning,
  99.4 % after 5 fine-tuning epochs.
* ResNet-20: −75 % FLOPs (20.3 MFLOPs), −75 % parameters, 310 KiB; 10.0 % → 99.4 % after 3 epochs.

Deviations from the paper
-------------------------
* One-shot: filters are removed once, after training. The paper prunes *softly* while training
  (it zeroes the selected filters after every epoch and lets them grow back) and removes them at
  the end; :func:`zoo.pruning.dependency.mask_channels` with ``inputs=False`` is that zeroing step.
* Channels tied by residual additions are scored by the sum of their producers' distances and
  removed from all of them; the paper's ResNet experiments leave those channels alone, as
  ``keep_coupled=True`` does.
* Only the pure geometric-median criterion ("FPGM-only"); the paper's "FPGM-mix" also prunes some
  filters by norm.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from ..registry import register
from .importance import ChannelImportance, producer_scores
from .pruner import prune_channels

__all__ = ["FPGMImportance", "distance_to_others", "fpgm"]


def distance_to_others(rows: torch.Tensor) -> torch.Tensor:
    """:math:`s_j = \\sum_{j'} \\lVert F_j - F_{j'} \\rVert_2` for filters given as rows."""
    return torch.cdist(rows.unsqueeze(0), rows.unsqueeze(0)).squeeze(0).sum(dim=1)


class FPGMImportance(ChannelImportance):
    """Total Euclidean distance of each filter to the others of its layer; small = redundant."""

    def __call__(self, group: Any) -> torch.Tensor | None:
        return producer_scores(group, distance_to_others)


@register(
    "fpgm",
    paper="2019-cvpr-filter-pruning-geometric-median",
    category="pruning",
    subcategory="structured",
    summary="Remove the filters nearest the geometric median of their layer (redundant ones).",
)
def fpgm(
    model: nn.Module,
    example_inputs: Any,
    *,
    pruning_ratio: float,
    ignored_layers: Iterable[nn.Module | str] = (),
    data: Any = None,
    loss_fn: Any = None,
    **options: Any,
) -> nn.Module:
    """Remove ``pruning_ratio`` of each layer's filters, those closest to the geometric median.

    Needs no data. ``options`` go to :func:`zoo.pruning.pruner.prune_channels`.
    """
    return prune_channels(
        model,
        example_inputs,
        FPGMImportance(),
        pruning_ratio=pruning_ratio,
        ignored_layers=ignored_layers,
        **options,
    )
