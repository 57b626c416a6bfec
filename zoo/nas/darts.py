"""Differentiable architecture search — DARTS: Differentiable Architecture Search.

Hanxiao Liu, Karen Simonyan, Yiming Yang. ICLR 2019.
Catalog id ``2019-iclr-darts`` · https://arxiv.org/abs/1806.09055 ·
official code https://github.com/quark0/darts

A cell is a DAG: two input nodes (the two previous cells' outputs), ``N`` intermediate nodes, and
the concatenated intermediate nodes as output. The discrete choice of an operation on edge
``(i, j)`` is relaxed into a softmax over all candidates ``O`` (a *mixed operation*):

    ō⁽ⁱ'ʲ⁾(x) = Σ_{o ∈ O}  exp(α_o⁽ⁱ'ʲ⁾) / Σ_{o'} exp(α_{o'}⁽ⁱ'ʲ⁾) · o(x)

and the architecture ``α`` (one matrix for normal cells, one for reduction cells) is learned by
gradient descent on the validation loss while the weights ``w`` descend the training loss:

    min_α L_val(w*(α), α)   s.t.   w*(α) = argmin_w L_train(w, α)

approximated by alternating one step on each (``w*(α) ≈ w``: the paper's first-order variant).
Discretisation keeps, for every intermediate node, the two strongest incoming edges, each with
its strongest operation other than ``none``.

Measured here (``tests/zoo/test_nas.py``; digits, seed 0, one thread, a shared 2-core
machine): the default search (2 cells, 4 channels, 3 nodes, 8 candidates, 1 warm-up + 3 epochs)
takes 18 s; its genotype as a 3-cell, 8-channel ``DerivedNetwork`` (21.2 k parameters, 1.01 M
FLOPs) trains to 0.981 test accuracy in 8 epochs. Two searches from the same seed give
bit-identical ``α`` (asserted), different seeds different ``α``.

>>> import torch
>>> net = SearchNetwork(channels=4, layers=2, nodes=2)
>>> net(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])
>>> tuple(net.alphas["normal"].shape)                  # 2 + 3 edges × 8 candidate operations
(5, 8)
>>> len(net.genotype().normal)                         # two inputs per intermediate node
4

Deviations from the paper:

* First-order approximation only (the paper's ξ = 0 variant), not the second-order unrolled step.
* Scaled to 8×8 digits: a handful of cells and channels, one reduction cell in the middle (the
  paper places two, at 1/3 and 2/3 of the depth), and Adam for the weights so that a few epochs
  suffice; the architecture optimiser is Adam as in the paper, with a larger step.
* The two halves of the training set that train ``w`` and ``α`` come from the same digits split
  (:func:`search_loaders`), as the paper splits CIFAR-10's training set.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ..data import DigitsSplit
from ..metrics import Batches
from ..registry import register
from ..training import seed_everything
from .operations import OPS, PRIMITIVES, FactorizedReduce, ReLUConvBN

__all__ = [
    "DerivedNetwork",
    "Genotype",
    "MixedOp",
    "SearchNetwork",
    "SearchResult",
    "darts_search",
    "derive_cell",
    "run_search",
    "search_loaders",
]

CellGenes = tuple[tuple[str, int], ...]  # per intermediate node, two (operation, input node)


@dataclass(frozen=True)
class Genotype:
    """A discrete architecture: the normal and the reduction cell's (operation, input) pairs.

    Input ``0`` and ``1`` are the cell's two inputs, ``k ≥ 2`` is intermediate node ``k - 2``.
    """

    normal: CellGenes
    reduce: CellGenes

    @property
    def nodes(self) -> int:
        return len(self.normal) // 2

    def __str__(self) -> str:
        def show(genes: CellGenes) -> str:
            return ", ".join(f"{op}←{j}" for op, j in genes)

        return f"normal: [{show(self.normal)}]  reduce: [{show(self.reduce)}]"


def edge_count(nodes: int) -> int:
    """Edges of a cell with ``nodes`` intermediate nodes: node ``i`` has ``i + 2`` inputs."""
    return sum(2 + i for i in range(nodes))


class MixedOp(nn.Module):
    """The softmax-weighted sum of every candidate operation on one edge."""

    def __init__(self, channels: int, stride: int, candidates: Sequence[str]) -> None:
        super().__init__()
        self.candidates = tuple(candidates)
        ops = []
        for name in self.candidates:
            op = OPS[name](channels, stride, affine=False)
            if "pool" in name:  # as in DARTS: pooling gets a BN so its scale matches the convs'
                op = nn.Sequential(op, nn.BatchNorm2d(channels, affine=False))
            ops.append(op)
        self.ops = nn.ModuleList(ops)
        self.skip_dropout = 0.0  # P-DARTS' operation-level dropout on the identity path

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        total = 0.0
        for w, name, op in zip(weights, self.candidates, self.ops, strict=True):
            if name == "none":
                continue  # contributes w · 0
            out = op(x)
            if name == "skip_connect" and self.skip_dropout > 0:
                out = F.dropout(out, self.skip_dropout, self.training)
            total = total + w * out
        return total if isinstance(total, torch.Tensor) else x.mul(0.0)


def _preprocess(c_prev_prev: int, c_prev: int, c: int, reduction_prev: bool,
                affine: bool) -> tuple[nn.Module, nn.Module]:
    first = (FactorizedReduce(c_prev_prev, c, affine) if reduction_prev
             else ReLUConvBN(c_prev_prev, c, 1, 1, 0, affine))
    return first, ReLUConvBN(c_prev, c, 1, 1, 0, affine)


class SearchCell(nn.Module):
    """A cell whose every edge is a :class:`MixedOp`; ``candidates[e]`` lists edge ``e``'s ops."""

    def __init__(self, nodes: int, c_prev_prev: int, c_prev: int, c: int, reduction: bool,
                 reduction_prev: bool, candidates: Sequence[Sequence[str]]) -> None:
        super().__init__()
        self.nodes, self.reduction = nodes, reduction
        self.pre0, self.pre1 = _preprocess(c_prev_prev, c_prev, c, reduction_prev, affine=False)
        self.edges = nn.ModuleList()
        index = 0
        for i in range(nodes):
            for j in range(2 + i):
                stride = 2 if reduction and j < 2 else 1  # only the cell inputs are downsampled
                self.edges.append(MixedOp(c, stride, candidates[index]))
                index += 1

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        offset = 0
        for _ in range(self.nodes):  # node i sums its mixed edges from every earlier node
            node = sum(self.edges[offset + j](h, weights[offset + j]) for j, h in enumerate(states))
            offset += len(states)
            states.append(node)  # type: ignore[arg-type]
        return torch.cat(states[2:], dim=1)


def _stem(in_channels: int, channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1, bias=False),
                         nn.BatchNorm2d(channels))


CellFactory = Callable[[int, int, int, bool, bool], nn.Module]


def _stack_cells(make_cell: CellFactory, *, layers: int, channels: int, stem_channels: int,
                 nodes: int) -> tuple[nn.ModuleList, int]:
    """``layers`` cells, ``make_cell(C_{k-2}, C_{k-1}, C, reduction, reduction_prev)`` each, and
    the last cell's output channels; the search and the derived network share this layout."""
    cells = nn.ModuleList()
    c_pp, c_p, c = stem_channels, stem_channels, channels
    reduction_prev = False
    for i in range(layers):
        reduction = i == layers // 2  # one reduction cell: 8×8 digits become 4×4
        if reduction:
            c *= 2
        cells.append(make_cell(c_pp, c_p, c, reduction, reduction_prev))
        reduction_prev = reduction
        c_pp, c_p = c_p, nodes * c  # a cell outputs its intermediate nodes, concatenated
    return cells, c_p


class SearchNetwork(nn.Module):
    """Stem, ``layers`` search cells sharing one ``α`` per cell type, pooling, classifier.

    ``candidates`` maps ``"normal"``/``"reduce"`` to one list of operation names per edge (default:
    every primitive on every edge); all edges of a cell type must have the same number.
    """

    def __init__(
        self,
        channels: int = 4,
        layers: int = 2,
        nodes: int = 3,
        *,
        num_classes: int = 10,
        in_channels: int = 1,
        stem_multiplier: int = 3,
        candidates: dict[str, Sequence[Sequence[str]]] | None = None,
    ) -> None:
        super().__init__()
        edges = edge_count(nodes)
        self.nodes, self.layers = nodes, layers
        self.candidates = {
            kind: tuple(tuple(ops) for ops in (candidates or {}).get(kind, [PRIMITIVES] * edges))
            for kind in ("normal", "reduce")
        }
        for kind, per_edge in self.candidates.items():
            if len(per_edge) != edges or len({len(ops) for ops in per_edge}) != 1:
                raise ValueError(f"{kind} candidates need {edges} edges with equally many ops")
        stem_channels = stem_multiplier * channels
        self.stem = _stem(in_channels, stem_channels)

        def cell(c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool) -> SearchCell:
            kind = "reduce" if reduction else "normal"
            return SearchCell(nodes, c_pp, c_p, c, reduction, reduction_prev, self.candidates[kind])

        self.cells, c_p = _stack_cells(cell, layers=layers, channels=channels,
                                       stem_channels=stem_channels, nodes=nodes)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)
        self.alphas = nn.ParameterDict({
            kind: nn.Parameter(1e-3 * torch.randn(edges, len(self.candidates[kind][0])))
            for kind in ("normal", "reduce")
        })

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = {kind: F.softmax(a, dim=-1) for kind, a in self.alphas.items()}
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, weights["reduce" if cell.reduction else "normal"])
        return self.classifier(torch.flatten(self.pool(s1), 1))

    def arch_parameters(self) -> list[nn.Parameter]:
        return list(self.alphas.values())

    def weight_parameters(self) -> Iterator[nn.Parameter]:
        arch = {id(p) for p in self.arch_parameters()}
        return (p for p in self.parameters() if id(p) not in arch)

    def set_skip_dropout(self, rate: float) -> None:
        for module in self.modules():
            if isinstance(module, MixedOp):
                module.skip_dropout = rate

    def operation_weights(self, kind: str) -> list[dict[str, float]]:
        """Per edge, the softmax weight of each candidate operation."""
        probs = F.softmax(self.alphas[kind].detach(), dim=-1)
        return [dict(zip(ops, map(float, row), strict=True))
                for ops, row in zip(self.candidates[kind], probs, strict=True)]

    def genotype(self, excluded: Iterable[tuple[str, int, str]] = ()) -> Genotype:
        """The discretised architecture (``excluded``: ``(kind, edge, op)`` choices to avoid)."""
        banned = set(excluded)
        return Genotype(
            normal=derive_cell(self.operation_weights("normal"), self.nodes,
                               {(e, op) for kind, e, op in banned if kind == "normal"}),
            reduce=derive_cell(self.operation_weights("reduce"), self.nodes,
                               {(e, op) for kind, e, op in banned if kind == "reduce"}),
        )


def derive_cell(weights: Sequence[dict[str, float]], nodes: int,
                excluded: set[tuple[int, str]] = frozenset()) -> CellGenes:  # type: ignore[assignment]
    """DARTS discretisation: per node, the two edges whose best non-``none`` op is strongest."""
    genes: list[tuple[str, int]] = []
    start = 0
    for i in range(nodes):
        choices = []
        for j in range(2 + i):
            options = {op: w for op, w in weights[start + j].items()
                       if op != "none" and (start + j, op) not in excluded}
            if options:
                best = max(options, key=options.__getitem__)
                choices.append((options[best], j, best))
        if len(choices) < 2:
            raise ValueError(f"node {i} has fewer than two usable incoming edges")
        for _, j, op in sorted(choices, key=lambda c: (-c[0], c[1]))[:2]:
            genes.append((op, j))
        start += 2 + i
    return tuple(genes)


def search_loaders(split: DigitsSplit, *, batch_size: int = 64,
                   seed: int = 0) -> tuple[DataLoader, DataLoader]:
    """The training set halved: one half trains the weights ``w``, the other ``α``.

    ``seed`` fixes which images go to which half. Batches are shuffled from PyTorch's global
    generator, as :func:`zoo.data.loaders` does, so a search seeded with ``seed_everything``
    repeats exactly however often the loaders were used before.
    """
    order = torch.randperm(len(split.y_train), generator=torch.Generator().manual_seed(seed))
    half = len(order) // 2
    return tuple(  # type: ignore[return-value]
        DataLoader(TensorDataset(split.x_train[part], split.y_train[part]),
                   batch_size=batch_size, shuffle=True, drop_last=True)
        for part in (order[:half], order[half:])
    )


@dataclass
class SearchResult:
    """What a search produced: the architecture, the final ``α`` and per-epoch losses."""

    genotype: Genotype
    network: SearchNetwork
    train_losses: list[float] = field(default_factory=list)
    valid_losses: list[float] = field(default_factory=list)


def run_search(
    network: SearchNetwork,
    train_data: Batches,
    valid_data: Batches,
    *,
    epochs: int,
    warmup_epochs: int = 0,
    lr: float = 5e-3,
    arch_lr: float = 3e-3,
    skip_dropout: float = 0.0,
) -> SearchResult:
    """Alternate first-order steps on ``α`` (validation batch) and ``w`` (training batch).

    During ``warmup_epochs`` only ``w`` trains. ``skip_dropout`` (P-DARTS) decays linearly to 0.
    """
    weights_opt = torch.optim.Adam(network.weight_parameters(), lr=lr, weight_decay=3e-4)
    arch_opt = torch.optim.Adam(network.arch_parameters(), lr=arch_lr, betas=(0.5, 0.999),
                                weight_decay=1e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(weights_opt, T_max=max(epochs, 1))
    result = SearchResult(network.genotype(), network)
    network.train()
    for epoch in range(epochs):
        network.set_skip_dropout(skip_dropout * (1 - epoch / max(epochs, 1)))
        train_total = valid_total = 0.0
        steps = 0
        for (x, y), (xv, yv) in zip(train_data, itertools.cycle(valid_data), strict=False):
            if epoch >= warmup_epochs:  # α: one step on the validation loss (w fixed)
                arch_opt.zero_grad(set_to_none=True)
                valid_loss = F.cross_entropy(network(xv), yv)
                valid_loss.backward()
                arch_opt.step()
                valid_total += float(valid_loss.detach())
            weights_opt.zero_grad(set_to_none=True)  # w: one step on the training loss (α fixed)
            loss = F.cross_entropy(network(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(list(network.weight_parameters()), 5.0)
            weights_opt.step()
            train_total += float(loss.detach())
            steps += 1
        schedule.step()
        result.train_losses.append(train_total / max(steps, 1))
        result.valid_losses.append(valid_total / max(steps, 1))
    network.set_skip_dropout(0.0)
    network.eval()
    result.genotype = network.genotype()
    return result


@register(
    "darts",
    paper="2019-iclr-darts",
    category="architecture",
    subcategory="nas",
    summary="DARTS: softmax-relaxed cell search, α by gradient on validation loss, then discretise",
)
def darts_search(
    train_data: Batches,
    valid_data: Batches,
    *,
    channels: int = 4,
    layers: int = 2,
    nodes: int = 3,
    epochs: int = 4,
    warmup_epochs: int = 1,
    in_channels: int = 1,
    num_classes: int = 10,
    seed: int = 0,
    **options: float,
) -> SearchResult:
    """A seeded first-order DARTS search; ``options`` go to :func:`run_search` (``lr``, ...).

    ``train_data`` and ``valid_data`` are any iterables of ``(images, labels)`` batches (e.g. the
    two halves :func:`search_loaders` makes); ``in_channels`` and ``num_classes`` describe them
    (default: the 1-channel, 10-class digits).
    """
    seed_everything(seed)
    network = SearchNetwork(channels, layers, nodes, in_channels=in_channels,
                            num_classes=num_classes)
    return run_search(network, train_data, valid_data, epochs=epochs,
                      warmup_epochs=warmup_epochs, **options)  # type: ignore[arg-type]


class EvalCell(nn.Module):
    """A discrete cell built from a genotype: each node sums its two chosen operations."""

    def __init__(self, genes: CellGenes, c_prev_prev: int, c_prev: int, c: int, reduction: bool,
                 reduction_prev: bool) -> None:
        super().__init__()
        self.reduction = reduction
        self.pre0, self.pre1 = _preprocess(c_prev_prev, c_prev, c, reduction_prev, affine=True)
        self.inputs = tuple(j for _, j in genes)
        self.ops = nn.ModuleList(
            OPS[op](c, 2 if reduction and j < 2 else 1, affine=True) for op, j in genes
        )

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for k in range(0, len(self.ops), 2):
            states.append(self.ops[k](states[self.inputs[k]])
                          + self.ops[k + 1](states[self.inputs[k + 1]]))
        return torch.cat(states[2:], dim=1)


class DerivedNetwork(nn.Module):
    """The network a genotype describes, usually deeper and wider than the search network."""

    def __init__(self, genotype: Genotype, channels: int = 8, layers: int = 3, *,
                 num_classes: int = 10, in_channels: int = 1, stem_multiplier: int = 3) -> None:
        super().__init__()
        stem_channels = stem_multiplier * channels
        self.stem = _stem(in_channels, stem_channels)

        def cell(c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool) -> EvalCell:
            genes = genotype.reduce if reduction else genotype.normal
            return EvalCell(genes, c_pp, c_p, c, reduction, reduction_prev)

        self.cells, c_p = _stack_cells(cell, layers=layers, channels=channels,
                                       stem_channels=stem_channels, nodes=genotype.nodes)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(torch.flatten(self.pool(s1), 1))
