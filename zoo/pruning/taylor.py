"""Taylor importance — *Importance Estimation for Neural Network Pruning*.

Pavlo Molchanov, Arun Mallya, Stephen Tyree, Iuri Frosio, Jan Kautz. CVPR 2019.
Catalog id ``2019-cvpr-importance-estimation-neural-network`` · https://arxiv.org/abs/1906.10771

**Rule.** The importance of a set of parameters :math:`\\mathcal S` is the loss change when they
are zeroed. Its first-order Taylor expansion needs only the gradient already computed by training:

.. math:: \\mathcal I_{\\mathcal S} = \\Big( \\sum_{s \\in \\mathcal S} g_s w_s \\Big)^2 ,

computed per mini-batch and averaged over mini-batches. For a filter, :math:`\\mathcal S` is its
weights ("weight" criterion). The paper's preferred variant puts a gate :math:`z=1` after each
BatchNorm; :math:`\\partial L/\\partial z = \\gamma g_\\gamma + \\beta g_\\beta`, so the gate's
importance is :math:`(\\gamma g_\\gamma + \\beta g_\\beta)^2` ("bn" criterion, the default here; a
channel without BatchNorm falls back to its filters). Scores are comparable across layers — they
estimate a loss change — so channels are ranked **globally**, lowest first.

>>> import torch
>>> from zoo.data import load_digits, loaders
>>> from zoo.nets import digits_cnn
>>> train_data, _ = loaders(load_digits())
>>> model, x = digits_cnn(), torch.zeros(1, 1, 8, 8)
>>> small = taylor(model, x, pruning_ratio=0.5, data=train_data, max_batches=4)
>>> small(x).shape
torch.Size([1, 10])

**Measured** (CPU; scikit-learn digits, 80/20 split; ``pruning_ratio=0.5``, then
:func:`zoo.training.fine_tune`). Baselines: the digits CNN (``width=16``) has 1.20 MFLOPs per image,
24 058 parameters, 101 KiB and 99.4 % test accuracy; ResNet-20 on the digits resized to 32×32 has
81.0 MFLOPs, 272 k parameters, 1.08 MiB and 99.4 %.

* digits CNN (16 batches scored): −52 % FLOPs (0.57 MFLOPs), −69 % parameters, 35.6 KiB; 31.9 %
  right after pruning, 99.4 % after 5 fine-tuning epochs. Global ranking takes most from the
  widest layer, down to the cap (64 → 16 channels).
* ResNet-20: −55 % FLOPs (36.3 MFLOPs), −71 % parameters, 351 KiB; 10.8 % → 99.4 % after 3 epochs.
* Against the oracle (the loss change when a channel is zeroed), the "bn" scores of all 112
  channels of the trained digits CNN reach a Spearman correlation of 0.97, the "weight" ones 0.82.

Deviations from the paper
-------------------------
* One-shot: scores from ``max_batches`` batches, then one global pruning step. The paper prunes
  iteratively (a few neurons every few hundred mini-batches, fine-tuning in between).
* Gradients are taken in eval mode (BatchNorm uses its running statistics, no dropout) so that
  scoring does not alter the model; the paper reads them from its training passes.
* No layer loses more than ``max_pruning_ratio`` (0.75) of its channels; the paper ranks without
  a cap. Uncapped, the digits CNN lost 58 of its last 64 channels and recovered unreliably.
* Coupled channels (residual additions) share one gate: their per-batch contributions are summed
  before squaring, as a single gate on the sum would give.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Literal

import torch
import torch_pruning as tp
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..registry import register
from .dependency import ROOT_TYPES, members
from .importance import (
    ChannelImportance,
    LossFn,
    gradient_passes,
    output_first,
    require_data,
    root_size,
)
from .pruner import prune_channels

__all__ = ["TaylorImportance", "taylor"]

Criterion = Literal["bn", "weight"]


class TaylorImportance(ChannelImportance):
    """Mean over mini-batches of :math:`(\\sum g w)^2` per channel.

    Call :meth:`accumulate` after each backward pass; then score groups.
    """

    def __init__(self, criterion: Criterion = "bn") -> None:
        if criterion not in ("bn", "weight"):
            raise ValueError(f"criterion must be 'bn' or 'weight', got {criterion!r}")
        self.criterion = criterion
        self._batches: dict[nn.Module, list[torch.Tensor]] = defaultdict(list)

    @torch.no_grad()
    def accumulate(self, model: nn.Module) -> None:
        """Record this batch's :math:`\\sum g w` per channel (gradients must be in ``.grad``)."""
        for module in model.modules():
            if isinstance(module, _BatchNorm) and module.affine and module.weight.grad is not None:
                # dL/dz of a gate after BN: γ·∂L/∂γ + β·∂L/∂β
                contribution = module.weight * module.weight.grad + module.bias * module.bias.grad
            elif isinstance(module, ROOT_TYPES) and module.weight.grad is not None:
                weight = output_first(module, module.weight)
                grad = output_first(module, module.weight.grad)
                contribution = (weight * grad).flatten(1).sum(dim=1)  # Σ over the filter
                if module.bias is not None and module.bias.grad is not None:
                    contribution = contribution + module.bias * module.bias.grad
            else:
                continue
            self._batches[module].append(contribution.detach().float().cpu())

    def __call__(self, group: Any) -> torch.Tensor | None:
        chosen = members(group, roles=("norm",)) if self.criterion == "bn" else []
        chosen = [m for m in chosen if m.module in self._batches]
        if not chosen:  # no BatchNorm in this group, or the "weight" criterion
            chosen = [m for m in members(group, roles=("producer",)) if m.module in self._batches]
        if not chosen:
            return None
        n_batches = len(self._batches[chosen[0].module])
        per_batch = torch.zeros(n_batches, root_size(group))
        for member in chosen:  # coupled members act like one gate: sum, then square
            values = torch.stack(self._batches[member.module])[:, member.idxs]
            per_batch.index_add_(1, member.root_idxs, values)
        return per_batch.pow(2).mean(dim=0)


@register(
    "taylor",
    paper="2019-cvpr-importance-estimation-neural-network",
    category="pruning",
    subcategory="structured",
    summary="Remove the channels whose first-order Taylor estimate of the loss change is lowest.",
)
def taylor(
    model: nn.Module,
    example_inputs: Any,
    *,
    pruning_ratio: float,
    ignored_layers: Iterable[nn.Module | str] = (),
    data: Iterable[tuple[Any, torch.Tensor]] | None = None,
    loss_fn: LossFn | None = None,
    criterion: Criterion = "bn",
    max_batches: int | None = 16,
    global_ranking: bool = True,
    **options: Any,
) -> nn.Module:
    """Score channels on up to ``max_batches`` batches of ``data``, remove the lowest globally.

    ``pruning_ratio`` is the fraction of all prunable channels removed (no layer loses more than
    ``max_pruning_ratio``, default 0.75). Other ``options`` go to
    :func:`zoo.pruning.pruner.prune_channels`.
    """
    require_data("taylor", data)
    importance = TaylorImportance(criterion)

    def score(pruner: tp.pruner.BasePruner) -> None:
        for _ in gradient_passes(pruner.model, data, loss_fn, max_batches=max_batches):
            importance.accumulate(pruner.model)

    return prune_channels(
        model,
        example_inputs,
        importance,
        pruning_ratio=pruning_ratio,
        ignored_layers=ignored_layers,
        global_ranking=global_ranking,
        prepare=score,
        **options,
    )
