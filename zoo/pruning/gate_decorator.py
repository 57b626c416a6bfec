"""Gate Decorator — *Gate Decorator: Global Filter Pruning Method for Accelerating Deep
Convolutional Neural Networks*.

Zhonghui You, Kun Yan, Jinmian Ye, Meng Ma, Ping Wang. NeurIPS 2019.
Catalog id ``2019-neurips-gate-decorator-global-filter`` · https://arxiv.org/abs/1909.08174

**Rule.** Decorate every BatchNorm with a channel-wise gate, :math:`\\mathrm{GBN}(x) = \\phi \\odot
\\mathrm{BN}(x)` (:math:`\\phi = 1` at first), so that closing gate :math:`\\phi_i` is the same as
removing channel ``i``. The loss change of closing it is estimated to first order over the data,

.. math:: \\Theta(\\phi_i) = \\Big\\lvert \\sum_{(x, y) \\in D}
          \\frac{\\partial \\mathcal L(y, f(x))}{\\partial \\phi_i} \\, \\phi_i \\Big\\rvert ,

a score comparable across layers, so filters are ranked **globally**. *Tick*: freeze the network,
train only the gates with an L1 penalty :math:`\\lambda \\lVert \\phi \\rVert_1` while
accumulating :math:`\\Theta`, and remove the lowest-scored channels. *Tock*: fine-tune. Gates of
BatchNorms whose channels a residual addition ties share one :math:`\\phi` ("group pruning"). After
pruning, each gate is folded into its BatchNorm (:math:`\\phi\\gamma`, :math:`\\phi\\beta`), so the
returned model has no extra modules.

>>> import torch
>>> from zoo.data import load_digits, loaders
>>> from zoo.nets import digits_cnn
>>> train_data, _ = loaders(load_digits())
>>> model, x = digits_cnn(), torch.zeros(1, 1, 8, 8)
>>> small = gate_decorator(model, x, pruning_ratio=0.5, data=train_data)
>>> small(x).shape
torch.Size([1, 10])

**Measured** (CPU; scikit-learn digits, 80/20 split; ``pruning_ratio=0.5``, then
:func:`zoo.training.fine_tune`). Baselines: the digits CNN (``width=16``) has 1.20 MFLOPs per image,
24 058 parameters, 101 KiB and 99.4 % test accuracy; ResNet-20 on the digits resized to 32×32 has
81.0 MFLOPs, 272 k parameters, 1.08 MiB and 99.4 %.

* digits CNN (one Tick epoch): −53 % FLOPs (0.57 MFLOPs), −69 % parameters, 35.9 KiB; 17.5 %
  right after pruning, 98.9 % after 5 fine-tuning epochs.
* ResNet-20: −66 % FLOPs (27.2 MFLOPs), −65 % parameters, 416 KiB; 14.4 % → 99.2 % after 3 epochs.

Deviations from the paper
-------------------------
* One Tick (``tick_epochs`` over ``data``) and one pruning step; the paper alternates several
  Ticks and Tocks and prunes a little each time. The Tock is the caller's fine-tune.
* Gates are trained with Adam; the network is frozen in eval mode (BatchNorm uses its running
  statistics) so that only the gates change.
* No layer loses more than ``max_pruning_ratio`` (0.75) of its channels; the paper's global
  ranking has no cap.
* Channels without a BatchNorm (a conv with bias, a hidden Linear) get their gate on the layer's
  output, folded into its weights and bias.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
import torch_pruning as tp
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..registry import register
from .dependency import ROOT_TYPES, Member, members
from .importance import (
    ChannelImportance,
    LossFn,
    gradient_passes,
    output_first,
    require_data,
    root_size,
)
from .pruner import prune_channels

__all__ = ["GateImportance", "Gates", "gate_decorator"]


@dataclass
class _Site:
    """One gated layer: its channels ``member.idxs`` are multiplied by ``phi[member.root_idxs]``."""

    member: Member
    phi: nn.Parameter

    def scale(self, channels: int) -> torch.Tensor:
        ones = torch.ones(channels, dtype=self.phi.dtype, device=self.phi.device)
        return ones.index_put((self.member.idxs,), self.phi[self.member.root_idxs])


class Gates:
    """Channel gates decorating the layers of every prunable group of ``pruner``'s graph."""

    def __init__(self, pruner: tp.pruner.BasePruner) -> None:
        self.phis: dict[nn.Module, nn.Parameter] = {}  # group root → its gates
        self.sites: list[_Site] = []
        self._handles = []
        groups = pruner.DG.get_all_groups(
            ignored_layers=pruner.ignored_layers, root_module_types=list(ROOT_TYPES)
        )
        for group in groups:
            norms = [m for m in members(group, roles=("norm",)) if m.module.affine]
            gated = norms or members(group, roles=("producer",))  # GBN where there is a BN
            if not gated:
                continue
            phi = nn.Parameter(torch.ones(root_size(group)))
            self.phis[group[0].dep.target.module] = phi
            for member in gated:
                site = _Site(member, phi)
                self.sites.append(site)
                self._handles.append(member.module.register_forward_hook(self._hook(site)))

    @staticmethod
    def _hook(site: _Site) -> Any:  # a forward hook multiplying the site's channels by φ
        def gate(module: nn.Module, inputs: Any, output: torch.Tensor) -> torch.Tensor:
            channel_dim = -1 if isinstance(module, nn.Linear) else 1
            scale = site.scale(output.shape[channel_dim])
            if channel_dim == 1:
                scale = scale.view(1, -1, *([1] * (output.dim() - 2)))
            return output * scale

        return gate

    def parameters(self) -> list[nn.Parameter]:
        return list(self.phis.values())

    @torch.no_grad()
    def fold_and_remove(self) -> None:
        """Multiply each gate into its layer's parameters, then drop the hooks: same function."""
        for site in self.sites:
            module, idxs = site.member.module, site.member.idxs
            factor = site.phi[site.member.root_idxs]
            if isinstance(module, _BatchNorm):
                module.weight[idxs] *= factor  # φ·(γ x̂ + β) = (φγ) x̂ + φβ
                module.bias[idxs] *= factor
            else:
                weight = output_first(module, module.weight)  # a view, written in place
                weight[idxs] *= factor.view(-1, *([1] * (weight.dim() - 1)))
                if module.bias is not None:
                    module.bias[idxs] *= factor
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


class GateImportance(ChannelImportance):
    """:math:`\\Theta` per channel, read from the scores the Tick accumulated for each group."""

    def __init__(self, scores: dict[nn.Module, torch.Tensor]) -> None:
        self.scores = scores

    def __call__(self, group: Any) -> torch.Tensor | None:
        return self.scores.get(group[0].dep.target.module)


def tick(
    model: nn.Module,
    gates: Gates,
    data: Iterable[tuple[Any, torch.Tensor]],
    loss_fn: LossFn | None,
    *,
    epochs: int,
    sparsity: float,
    lr: float,
) -> dict[nn.Module, torch.Tensor]:
    """Train only the gates (task loss + ``sparsity``·‖φ‖₁) and accumulate Θ; return Θ per group."""
    frozen = [p for p in model.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    optimizer = torch.optim.Adam(gates.parameters(), lr=lr)
    sums = {root: torch.zeros_like(phi) for root, phi in gates.phis.items()}
    try:
        for _ in range(epochs):
            for _loss in gradient_passes(model, data, loss_fn):
                for root, phi in gates.phis.items():
                    if phi.grad is None:  # a gate the loss does not reach scores zero
                        continue
                    sums[root] += (phi.grad * phi).detach()  # ∂L/∂φ · φ of the task loss only
                    phi.grad += sparsity * torch.sign(phi.detach())  # then the L1 sub-gradient
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
    finally:
        for p in frozen:
            p.requires_grad_(True)
    return {root: total.abs() for root, total in sums.items()}


@register(
    "gate-decorator",
    paper="2019-neurips-gate-decorator-global-filter",
    category="pruning",
    subcategory="structured",
    summary="Gate every BatchNorm, train the gates, remove the channels whose gates matter least.",
)
def gate_decorator(
    model: nn.Module,
    example_inputs: Any,
    *,
    pruning_ratio: float,
    ignored_layers: Iterable[nn.Module | str] = (),
    data: Iterable[tuple[Any, torch.Tensor]] | None = None,
    loss_fn: LossFn | None = None,
    tick_epochs: int = 1,
    sparsity: float = 1e-3,
    lr: float = 1e-2,
    global_ranking: bool = True,
    max_pruning_ratio: float = 0.75,
    round_to: int | None = None,
    keep_coupled: bool = False,
    inplace: bool = False,
) -> nn.Module:
    """One Tick on ``data``, then remove ``pruning_ratio`` of all prunable channels (global rank).

    ``sparsity`` is the L1 weight :math:`\\lambda` on the gates, ``lr`` their learning rate.
    ``keep_coupled`` keeps residual-coupled channels whole (see :mod:`zoo.pruning.pruner`).
    """
    require_data("gate-decorator", data)
    importance = GateImportance({})

    def tick_gates(pruner: tp.pruner.BasePruner) -> Callable[[], None]:
        gates = Gates(pruner)
        importance.scores = tick(
            pruner.model, gates, data, loss_fn, epochs=tick_epochs, sparsity=sparsity, lr=lr
        )
        # Folded after ranking by Θ and before surgery: the gates' channel maps refer to the
        # unpruned model.
        return gates.fold_and_remove

    return prune_channels(
        model,
        example_inputs,
        importance,
        pruning_ratio=pruning_ratio,
        ignored_layers=ignored_layers,
        global_ranking=global_ranking,
        max_pruning_ratio=max_pruning_ratio,
        round_to=round_to,
        keep_coupled=keep_coupled,
        inplace=inplace,
        prepare=tick_gates,
    )
