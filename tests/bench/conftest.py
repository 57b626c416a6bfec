"""A tiny real benchmark run, shared by the harness, CLI and website tests of this directory.

L1-norm and int8 on the digits CNN (their peers come along), one seed, a 3-epoch recipe with a
1-epoch fine-tune, two latency rounds of two passes: a few seconds of CPU on one thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zoo.bench.measure import LatencyProtocol
from zoo.bench.models import Recipe
from zoo.bench.runner import BenchConfig, run_benchmark

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """``(results, path of the written file)`` of the tiny run."""
    out = tmp_path_factory.mktemp("bench")
    config = BenchConfig(root=REPO, quick=True, methods=("l1-norm", "int8-ptq"),
                         models=("digits-cnn",), seeds=1, out=out,
                         recipes={"digits-cnn": Recipe(epochs=3, fine_tune_epochs=1)},
                         latency=LatencyProtocol(warmup=1, rounds=2, repeats=2),
                         command="test")
    return run_benchmark(config), config.path
