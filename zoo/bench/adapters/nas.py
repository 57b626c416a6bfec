"""Architecture-search adapters: search on the digits, train what was found, in their own setting.

A search does not compress a given network, so each NAS method is benchmarked as its module
docstring measures it: the default search on the two halves of the training set
(:func:`~zoo.nas.search_loaders`), then the found network — a 3-cell, 8-channel
:class:`~zoo.nas.DerivedNetwork` for DARTS and P-DARTS, the derived chain for ProxylessNAS
(``latency_weight=0``, the default) — trained with the digits CNN's recipe and compared with the
digits CNN. Search time is recorded in the row's details. Skipped by ``--quick``.
"""

from __future__ import annotations

import time

from ...nas import DerivedNetwork, darts_search, pdarts_search, proxyless_search, search_loaders
from ..models import Context
from . import Applied, Tolerance, adapter

_OWN = ("searched on the digits (weights and α on the two halves of the training set), the "
        "found network trained with the digits CNN's recipe, compared with the digits CNN")
_FLOOR = Tolerance(floor=0.93, source="tests/zoo/test_nas.py: the found network ≥ 93 %")


def _timed_search(ctx: Context, run: object) -> tuple[object, float]:
    train_half, valid_half = search_loaders(ctx.split, seed=ctx.seed)
    start = time.perf_counter()
    result = run(train_half, valid_half, seed=ctx.seed)  # type: ignore[operator]
    return result, round(time.perf_counter() - start, 2)


def _derived(ctx: Context, run: object) -> Applied:
    """Search with ``run`` (DARTS or P-DARTS), then train the cell network its genotype derives."""
    result, seconds = _timed_search(ctx, run)
    genotype = result.genotype  # type: ignore[attr-defined]
    network = ctx.fresh(lambda: DerivedNetwork(genotype, channels=8, layers=3))
    ctx.train(network)
    return Applied(network, details={"genotype": str(genotype), "search_seconds": seconds})


@adapter("darts", models=("digits-cnn",), quick_models=(), own_setting=_OWN, tolerance=_FLOOR,
         cost=40, setting="first-order search (2 cells, 4 channels, 3 nodes, 1 + 3 epochs), "
         "then DerivedNetwork(channels=8, layers=3)")
def darts(ctx: Context) -> Applied:
    return _derived(ctx, darts_search)


@adapter("pdarts", models=("digits-cnn",), quick_models=(), own_setting=_OWN, tolerance=_FLOOR,
         cost=80, setting="three stages (2/3/4 cells, 8/5/3 candidates), at most 2 skips, then "
         "DerivedNetwork(channels=8, layers=3)")
def pdarts(ctx: Context) -> Applied:
    return _derived(ctx, pdarts_search)


@adapter("proxylessnas", models=("digits-cnn",), quick_models=(), own_setting=_OWN,
         tolerance=_FLOOR, cost=20,
         setting="binarised-path search, latency_weight=0 (the default), 4 epochs, measured "
         "latency table; the derived chain trained further")
def proxylessnas(ctx: Context) -> Applied:
    result, seconds = _timed_search(ctx, proxyless_search)
    network = result.network  # type: ignore[attr-defined]
    ctx.train(network)
    return Applied(network, details={"choices": list(result.choices),  # type: ignore[attr-defined]
                                     "search_seconds": seconds})
