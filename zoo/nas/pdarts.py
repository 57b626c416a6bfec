"""Progressive DARTS — P-DARTS: Bridging the Depth Gap between Search and Evaluation.

Progressive Differentiable Architecture Search: Bridging the Depth Gap between Search and
Evaluation. Xin Chen, Lingxi Xie, Jun Wu, Qi Tian. ICCV 2019 (oral).
Catalog id ``2019-iccv-progressive-differentiable-architecture-search`` ·
https://arxiv.org/abs/1904.12760 · official code https://github.com/chenxin061/pdarts

DARTS searches a shallow network and evaluates a deep one; the cells found shallow need not suit
the deep net. P-DARTS searches in stages of growing depth, and keeps the cost flat by shrinking
the space as the network grows:

* **progressive depth** — stage ``s`` searches a network of ``L_s`` cells (``L₁ < L₂ < …``);
* **search-space approximation** — between stages, each edge keeps only the ``O_{s+1}``
  operations with the largest ``softmax(α)`` of stage ``s`` (the paper: 8 → 5 → 3), so a deeper
  network carries fewer candidates per edge;
* **search-space regularisation** — operation-level dropout on ``skip_connect`` (which otherwise
  takes over the deeper searches), and at the end at most ``M`` skip-connects in the normal cell:
  surplus ones, weakest first, give way to their edge's next-best operation.

Each stage is a DARTS search (:mod:`zoo.nas.darts`) with fresh weights and ``α``.

Measured here (``tests/zoo/test_nas.py``; digits, seed 0, one thread, a shared 2-core machine):
stages of 2, 3 and 4 cells with 8, 5 and 3 candidates per edge (4 channels, 3 nodes, 3 epochs
each) take 38 s in all; the genotype as a 3-cell, 8-channel ``DerivedNetwork`` (19.2 k parameters,
0.93 M FLOPs) trains to 0.989 test accuracy in 8 epochs (floor asserted: 0.93).

>>> stages = default_stages()
>>> [(s.layers, s.operations) for s in stages]
[(2, 8), (3, 5), (4, 3)]

Deviations from the paper:

* Tiny scale for 8×8 digits (2 → 3 → 4 cells instead of 5 → 11 → 17; a few epochs per stage),
  with the DARTS-level deviations of :mod:`zoo.nas.darts` (first order, one reduction cell).
* The skip-connect dropout rate decays linearly to zero over each stage; the paper decays it too
  but its rates and schedule are tuned for CIFAR and not reproduced here.
* The final refinement swaps surplus skip-connects for the next-best operation on the same edge
  and re-runs the discretisation; the paper re-derives from the weights with those skips removed,
  which this is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..metrics import Batches
from ..registry import register
from ..training import seed_everything
from .darts import Genotype, SearchNetwork, SearchResult, edge_count, run_search
from .operations import PRIMITIVES

__all__ = ["PDartsResult", "Stage", "default_stages", "limit_skips", "pdarts_search",
           "shrink_candidates"]


@dataclass(frozen=True)
class Stage:
    """One P-DARTS stage: network depth, candidates per edge, initial skip-connect dropout."""

    layers: int
    operations: int
    skip_dropout: float = 0.0
    epochs: int = 3


def default_stages(epochs: int = 3) -> tuple[Stage, ...]:
    """Three stages for digits: 2, 3, 4 cells with 8, 5, 3 candidates per edge."""
    return (Stage(2, 8, 0.0, epochs), Stage(3, 5, 0.2, epochs), Stage(4, 3, 0.4, epochs))


@dataclass
class PDartsResult:
    """The final genotype and every stage's search result (candidates shrink stage by stage)."""

    genotype: Genotype
    stages: list[SearchResult] = field(default_factory=list)


def shrink_candidates(network: SearchNetwork, keep: int) -> dict[str, list[list[str]]]:
    """Search-space approximation: per edge, the ``keep`` operations with the largest weight."""
    shrunk: dict[str, list[list[str]]] = {}
    for kind in ("normal", "reduce"):
        shrunk[kind] = []
        for weights in network.operation_weights(kind):
            ranked = sorted(weights, key=lambda op: (-weights[op], PRIMITIVES.index(op)))
            kept = set(ranked[:keep])
            shrunk[kind].append([op for op in PRIMITIVES if op in kept])  # canonical order
    return shrunk


def limit_skips(network: SearchNetwork, max_skips: int) -> Genotype:
    """Discretise with at most ``max_skips`` skip-connects in the normal cell (weakest go first)."""
    excluded: set[tuple[str, int, str]] = set()
    weights = network.operation_weights("normal")
    while True:
        genotype = network.genotype(excluded)
        skips = _skip_edges(genotype.normal, network.nodes)
        if len(skips) <= max_skips:
            return genotype
        weakest = min(skips, key=lambda e: weights[e]["skip_connect"])
        excluded.add(("normal", weakest, "skip_connect"))


def _skip_edges(genes: Sequence[tuple[str, int]], nodes: int) -> list[int]:
    """Edge indices (into the cell's edge list) of the chosen skip-connects."""
    edges, start = [], 0
    for i in range(nodes):
        for op, j in genes[2 * i : 2 * i + 2]:
            if op == "skip_connect":
                edges.append(start + j)
        start += 2 + i
    return edges


@register(
    "pdarts",
    paper="2019-iccv-progressive-differentiable-architecture-search",
    category="architecture",
    subcategory="nas",
    summary="P-DARTS: DARTS in stages of growing depth, pruning candidates between stages",
)
def pdarts_search(
    train_data: Batches,
    valid_data: Batches,
    *,
    stages: Sequence[Stage] | None = None,
    channels: int = 4,
    nodes: int = 3,
    warmup_epochs: int = 1,
    max_skips: int = 2,
    in_channels: int = 1,
    num_classes: int = 10,
    seed: int = 0,
    **options: float,
) -> PDartsResult:
    """A seeded P-DARTS search; ``options`` go to :func:`zoo.nas.darts.run_search` (``lr``, ...).

    Data and ``in_channels``/``num_classes`` as for :func:`zoo.nas.darts.darts_search`.
    """
    stages = tuple(stages or default_stages())
    if stages[0].operations != len(PRIMITIVES):
        raise ValueError(f"the first stage searches all {len(PRIMITIVES)} operations")
    seed_everything(seed)
    candidates = {kind: [list(PRIMITIVES)] * edge_count(nodes) for kind in ("normal", "reduce")}
    result = PDartsResult(genotype=None)  # type: ignore[arg-type]
    network = None
    for index, stage in enumerate(stages):
        if index:  # approximate the space for the deeper network
            candidates = shrink_candidates(network, stage.operations)  # type: ignore[arg-type]
        network = SearchNetwork(channels, stage.layers, nodes, candidates=candidates,
                                in_channels=in_channels, num_classes=num_classes)
        result.stages.append(
            run_search(network, train_data, valid_data, epochs=stage.epochs,
                       warmup_epochs=warmup_epochs, skip_dropout=stage.skip_dropout,
                       **options)  # type: ignore[arg-type]
        )
    result.genotype = limit_skips(network, max_skips)  # type: ignore[arg-type]
    return result
