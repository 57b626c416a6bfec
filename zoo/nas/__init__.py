"""Neural architecture search on a DARTS cell space, small enough to run on digits in seconds.

============================  ==========================================================  ========
module                        paper (catalog id)                                          searches
============================  ==========================================================  ========
:mod:`.darts`                 DARTS (``2019-iclr-darts``)                                 cells
:mod:`.pdarts`                P-DARTS (``2019-iccv-progressive-differentiable-...``)      cells
:mod:`.proxylessnas`          ProxylessNAS (``2019-iclr-proxylessnas``)                   blocks
============================  ==========================================================  ========

:mod:`.operations` holds the candidate operations of the cell searches; ProxylessNAS searches
a chain of MBConv blocks under a measured latency lookup table. A search returns a
:class:`~zoo.nas.darts.Genotype`; :class:`~zoo.nas.darts.DerivedNetwork` builds the network it
describes, to be trained with :func:`zoo.training.train`. Every search takes the user's own
training and validation batches and their ``in_channels`` and ``num_classes`` (defaults: the
1-channel, 10-class digits); ProxylessNAS also their ``image_size`` for its latency table:

>>> from zoo.nas import Genotype, DerivedNetwork
>>> genotype = Genotype(normal=(("sep_conv_3x3", 0), ("skip_connect", 1)),
...                     reduce=(("max_pool_3x3", 0), ("dil_conv_3x3", 1)))
>>> DerivedNetwork(genotype, channels=4, layers=3).cells[1].reduction
True
"""

from ..registry import import_zoo_module

import_zoo_module("torch", __name__)  # without PyTorch: MissingExtraError with the install line

from .darts import (
    DerivedNetwork,
    Genotype,
    MixedOp,
    SearchNetwork,
    SearchResult,
    darts_search,
    derive_cell,
    run_search,
    search_loaders,
)
from .operations import OPS, PRIMITIVES
from .pdarts import PDartsResult, Stage, default_stages, limit_skips, pdarts_search
from .proxylessnas import ProxylessResult, ProxylessSuperNet, latency_table, proxyless_search

__all__ = [
    "OPS",
    "PRIMITIVES",
    "DerivedNetwork",
    "Genotype",
    "MixedOp",
    "PDartsResult",
    "ProxylessResult",
    "ProxylessSuperNet",
    "SearchNetwork",
    "SearchResult",
    "Stage",
    "darts_search",
    "default_stages",
    "derive_cell",
    "latency_table",
    "limit_skips",
    "pdarts_search",
    "proxyless_search",
    "run_search",
    "search_loaders",
]
