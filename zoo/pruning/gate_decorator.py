"""Gate Decorator — *Gate Decorator: Global Filter Pruning Method for Accelerating Deep
Convolutional Neural Networks*.

Zhonghui You, Kun Yan, Jinmian Ye, Meng Ma, Ping Wang. NeurIPS 2019.
Catalog id ``2019-neurips-gate-decorator-global-filter`` · https://arxiv.org/abs/1909.08174

**Rule.** Decorate every BatchNorm with a channel-wise gate, :math:`\\mathrm{GBN}(x) = \\phi \\odot
\\mathrm{BN}(x)`, so that closing gate :math:`\\phi_i` is the same as removing channel ``i``. As in
the official code, the BatchNorm's scale moves into the gate (:math:`\\phi \\leftarrow \\gamma`,
:math:`\\beta \\leftarrow \\beta/\\gamma`, :math:`\\gamma \\leftarrow 1`, frozen), so the decorated
network computes the same function. The loss change of closing a gate is estimated to first order
over the data,

.. math:: \\Theta(\\phi_i) = \\Big\\lvert \\sum_{(x, y) \\in D}
          \\frac{\\partial \\mathcal L(y, f(x))}{\\partial \\phi_i} \\, \\phi_i \\Big\\rvert ,

a score comparable across layers, so filters are ranked **globally**. *Tock*: train the whole
network and the gates with the sparsity penalty, :math:`\\mathcal L + \\lambda \\lVert \\phi
\\rVert_1`. *Tick*: freeze the convolutions, train the rest (gates, BatchNorm :math:`\\beta`, Linear
layers) on the task loss alone while accumulating :math:`\\Theta`, and remove the lowest-scored
channels. BatchNorms whose channels a residual addition ties are scored and pruned together
("group pruning": their :math:`\\phi_i \\partial\\mathcal L/\\partial\\phi_i` add up). After
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

* digits CNN (defaults: one Tock and one Tick epoch; baseline retrained here: 99.7 %): −66 % FLOPs
  (0.41 MFLOPs), −72 % parameters (6 807); 15.0 % right after pruning, 99.2 % after 5
  fine-tuning epochs. Without the Tock (``tock_epochs=0``): −88 % FLOPs (0.14 MFLOPs), 4 054
  parameters, 10.0 % → 96.7 %. Before the Tock and the γ-initialised gates (an L1 Tick with the
  network frozen in eval mode): −53 % FLOPs, 17.5 % → 98.9 %.
* ResNet-20 (measured with that earlier version, not re-measured): −66 % FLOPs (27.2 MFLOPs),
  −65 % parameters, 416 KiB; 14.4 % → 99.2 % after 3 epochs.

Deviations from the paper
-------------------------
* One Tock (``tock_epochs``), one Tick (``tick_epochs``) and one pruning step; the paper
  alternates several Ticks and Tocks and prunes a little each time. The final fine-tune is the
  caller's. ``max_batches`` caps the batches of every epoch of both phases.
* Both phases train with Adam at ``lr`` (the official code: SGD with a cyclic rate). The Tick
  runs in train mode as the official one, but puts the BatchNorm running statistics back
  afterwards (:func:`~zoo.pruning.importance.gradient_passes`); the Tock updates them.
* :math:`\\beta/\\gamma` is clipped to ±10 when the scale moves into the gate, as in the official
  code; for a channel with :math:`\\lvert\\beta/\\gamma\\rvert > 10` the decorated network differs.
* :math:`\\Theta` sums :math:`\\phi\\,\\partial\\mathcal L/\\partial\\phi` over the data before the
  absolute value (the paper's equation); the official code sums absolute values per batch.
* No layer loses more than ``max_pruning_ratio`` (0.75) of its channels; the paper's global
  ranking has no cap.
* Channels without a BatchNorm (a conv with bias, a hidden Linear) get a gate starting at 1 on the
  layer's output, folded into its weights and bias.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import torch
import torch.nn.functional as F
import torch_pruning as tp
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..registry import register
from ..training import train
from .dependency import ROOT_TYPES, Member, members
from .importance import (
    ChannelImportance,
    LossFn,
    gradient_passes,
    output_first,
    require_data,
    root_size,
    scatter_to_root,
)
from .pruner import prune_channels

__all__ = ["GateImportance", "Gates", "gate_decorator", "tick", "tock"]


@dataclass
class _Site:
    """One gated layer: its channels ``member.idxs`` are multiplied by ``phi`` (one gate each)."""

    member: Member
    phi: nn.Parameter

    def scale(self, channels: int) -> torch.Tensor:
        ones = torch.ones(channels, dtype=self.phi.dtype, device=self.phi.device)
        return ones.index_put((self.member.idxs,), self.phi)


class Gates:
    """Channel gates decorating the layers of every prunable group of ``pruner``'s graph.

    A BatchNorm's gates start at its ``γ``, moved into the gate as the official code does:
    ``φ ← γ``, ``β ← β/γ`` (clipped to ±10, as there), and ``γ ← 1``, frozen while decorated.
    Gates of other layers start at 1. Every gated layer has its own ``φ``; the layers of one
    group (tied by a residual addition) are scored and pruned together.
    """

    def __init__(self, pruner: tp.pruner.BasePruner) -> None:
        self.groups: dict[nn.Module, tuple[Any, list[_Site]]] = {}  # root → (group, its sites)
        self._frozen: list[nn.Parameter] = []
        self._handles = []
        groups = pruner.DG.get_all_groups(
            ignored_layers=pruner.ignored_layers, root_module_types=list(ROOT_TYPES)
        )
        for group in groups:
            norms = [m for m in members(group, roles=("norm",)) if m.module.affine]
            gated = norms or members(group, roles=("producer",))  # GBN where there is a BN
            if not gated:
                continue
            sites = [_Site(member, nn.Parameter(self._initial_gates(member))) for member in gated]
            self.groups[group[0].dep.target.module] = (group, sites)
            for site in sites:
                self._handles.append(site.member.module.register_forward_hook(self._hook(site)))

    def _initial_gates(self, member: Member) -> torch.Tensor:
        module, idxs = member.module, member.idxs
        if not isinstance(module, _BatchNorm):
            weight = module.weight
            return torch.ones(len(idxs), dtype=weight.dtype, device=weight.device)
        with torch.no_grad():
            gamma = module.weight[idxs].clone()
            module.bias[idxs] = (module.bias[idxs] / gamma).clamp(-10.0, 10.0)
            module.weight[idxs] = 1.0
        if module.weight.requires_grad:
            module.weight.requires_grad_(False)  # γ stays 1 while φ carries the scale
            self._frozen.append(module.weight)
        return gamma

    @staticmethod
    def _hook(site: _Site) -> Any:  # a forward hook multiplying the site's channels by φ
        def gate(module: nn.Module, inputs: Any, output: torch.Tensor) -> torch.Tensor:
            channel_dim = -1 if isinstance(module, nn.Linear) else 1
            scale = site.scale(output.shape[channel_dim])
            if channel_dim == 1:
                scale = scale.view(1, -1, *([1] * (output.dim() - 2)))
            return output * scale

        return gate

    @property
    def sites(self) -> list[_Site]:
        return [site for _, sites in self.groups.values() for site in sites]

    def parameters(self) -> list[nn.Parameter]:
        return [site.phi for site in self.sites]

    def l1(self) -> torch.Tensor:
        """``‖φ‖₁`` over every gate: the Tock's sparsity penalty."""
        return sum(site.phi.abs().sum() for site in self.sites)  # type: ignore[return-value]

    def saliency(self) -> dict[nn.Module, torch.Tensor]:
        """``Σ_sites φ · ∂L/∂φ`` per root channel, from the gradients now held (signed)."""
        return {
            root: scatter_to_root(group, ((s.member, s.phi.grad * s.phi) for s in sites
                                          if s.phi.grad is not None))
            for root, (group, sites) in self.groups.items()
        }

    @torch.no_grad()
    def fold_and_remove(self) -> None:
        """Multiply each gate into its layer's parameters, then drop the hooks: same function."""
        for site in self.sites:
            module, idxs, factor = site.member.module, site.member.idxs, site.phi
            if isinstance(module, _BatchNorm):
                module.weight[idxs] *= factor  # φ·(γ x̂ + β) = (φγ) x̂ + φβ
                module.bias[idxs] *= factor
            else:
                weight = output_first(module, module.weight)  # a view, written in place
                weight[idxs] *= factor.view(-1, *([1] * (weight.dim() - 1)))
                if module.bias is not None:
                    module.bias[idxs] *= factor
        for weight in self._frozen:
            weight.requires_grad_(True)
        self._frozen.clear()
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


class GateImportance(ChannelImportance):
    """:math:`\\Theta` per channel, read from the scores the Tick accumulated for each group."""

    def __init__(self, scores: dict[nn.Module, torch.Tensor]) -> None:
        self.scores = scores

    def __call__(self, group: Any) -> torch.Tensor | None:
        return self.scores.get(group[0].dep.target.module)


def tock(
    model: nn.Module,
    gates: Gates,
    data: Iterable[tuple[Any, torch.Tensor]],
    loss_fn: LossFn | None,
    *,
    epochs: int,
    sparsity: float,
    lr: float,
    max_batches: int | None = None,
) -> None:
    """Train the whole network and the gates on the task loss + ``sparsity``·‖φ‖₁ (train mode)."""
    train(model, _FirstBatches(data, max_batches), epochs=epochs, lr=lr,
          loss_fn=loss_fn or F.cross_entropy, regularizer=lambda _: sparsity * gates.l1(),
          parameters=[*model.parameters(), *gates.parameters()], seed=None)


def tick(
    model: nn.Module,
    gates: Gates,
    data: Iterable[tuple[Any, torch.Tensor]],
    loss_fn: LossFn | None,
    *,
    epochs: int,
    lr: float,
    max_batches: int | None = None,
) -> dict[nn.Module, torch.Tensor]:
    """Freeze the convolutions, train the rest (gates, BatchNorm β, Linear) on the task loss in
    train mode while accumulating Θ; return Θ per group (as the official code's Tick)."""
    convs = [p for m in model.modules() if isinstance(m, nn.modules.conv._ConvNd)
             for p in m.parameters() if p.requires_grad]
    for p in convs:
        p.requires_grad_(False)
    trainable = [p for p in [*model.parameters(), *gates.parameters()] if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=lr)
    sums = {root: torch.zeros(root_size(group)) for root, (group, _) in gates.groups.items()}
    try:
        for _ in range(epochs):
            for _loss in gradient_passes(model, data, loss_fn, max_batches=max_batches,
                                         train_mode=True):
                for root, value in gates.saliency().items():  # ∂L/∂φ · φ, summed over D
                    sums[root] += value
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)  # the gates are not the model's parameters
    finally:
        for p in convs:
            p.requires_grad_(True)
    return {root: total.abs() for root, total in sums.items()}


class _FirstBatches:
    """``data`` cut to its first ``count`` batches (all with ``None``), each time it is iterated."""

    def __init__(self, data: Iterable[Any], count: int | None) -> None:
        self.data, self.count = data, count

    def __iter__(self) -> Iterator[Any]:
        return islice(self.data, self.count)


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
    tock_epochs: int = 1,
    tick_epochs: int = 1,
    sparsity: float = 1e-3,
    lr: float = 1e-2,
    max_batches: int | None = None,
    global_ranking: bool = True,
    max_pruning_ratio: float = 0.75,
    round_to: int | None = None,
    keep_coupled: bool = False,
    inplace: bool = False,
) -> nn.Module:
    """A Tock and a Tick on ``data``, then remove ``pruning_ratio`` of all prunable channels
    (global rank).

    ``sparsity`` is the L1 weight :math:`\\lambda` on the gates during the ``tock_epochs`` Tock
    (0: no Tock), ``lr`` the learning rate of both phases; each epoch of either reads at most
    ``max_batches`` batches of ``data`` (all by default). ``keep_coupled`` keeps residual-coupled
    channels whole (see :mod:`zoo.pruning.pruner`).
    """
    require_data("gate-decorator", data)
    importance = GateImportance({})

    def tick_gates(pruner: tp.pruner.BasePruner) -> Callable[[], None]:
        gates = Gates(pruner)
        if tock_epochs:
            tock(pruner.model, gates, data, loss_fn, epochs=tock_epochs, sparsity=sparsity,
                 lr=lr, max_batches=max_batches)
        importance.scores = tick(pruner.model, gates, data, loss_fn, epochs=tick_epochs, lr=lr,
                                 max_batches=max_batches)
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
