"""Benchmarks: every zoo method, measured side by side with peer libraries, from one command.

``aladin bench`` (or :func:`run_benchmark`) trains the reference models on scikit-learn's digits
(:mod:`.models`), applies every registered method with its documented default and fine-tunes where
the method calls for it (:mod:`.adapters`), runs Torch-Pruning, ``torch.nn.utils.prune`` and
PyTorch's stock int8 recipe at the same ratio or bit width (:mod:`.adapters.peers`), and records
per method and model: accuracy over seeds, parameters, FLOPs, serialized size, interleaved CPU
latency at batch 1 and 64 with a fixed thread count (:mod:`.measure`), speed-ups, the share of the
FLOP reduction the CPU delivers, and ours ÷ peer ratios (:mod:`.results`). Results go to
``benchmarks/results/<version>/<mode>.json`` with machine info, library versions and seeds;
:mod:`.targets` checks the figures against the issue's targets; the website's Benchmarks page is
generated from the committed files.

``zoo.bench.results`` and ``zoo.bench.targets`` need no PyTorch (the website reads results with
them); everything else needs the ``zoo`` extra, which :func:`run_benchmark` imports on first use.
"""

from __future__ import annotations

from typing import Any

from .results import SCHEMA, ResultsError, find_results, load_results

__all__ = [
    "SCHEMA",
    "BenchConfig",
    "BenchError",
    "ResultsError",
    "find_results",
    "load_results",
    "run_benchmark",
]

_LAZY = {"BenchConfig": "zoo.bench.runner", "BenchError": "zoo.bench.runner",
         "run_benchmark": "zoo.bench.runner"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'zoo.bench' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
