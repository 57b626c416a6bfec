"""A tiny real benchmark run and a site built from it, shared by this directory's tests.

L1-norm and int8 on the digits CNN (their peers come along), one seed, a 3-epoch recipe with a
1-epoch fine-tune, two latency rounds of two passes, and the pruning sweep (on ResNet-56 in real
runs) moved to the digits CNN: a few seconds of CPU on one thread.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zoo.bench.measure import LatencyProtocol
from zoo.bench.models import Recipe
from zoo.bench.runner import BenchConfig, run_benchmark
from zoo.catalog import Catalog, load
from zoo.site import build_site

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def task_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where runs keep their finished tasks (zoo.bench.checkpoint): a scratch directory, not the
    user's ~/.cache. HALP's latency tables are cached there too, once per test session."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(cache))
        yield cache / "aladin" / "bench"


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """``(results, path of the written file)`` of the tiny run (with ONNX Runtime latency)."""
    out = tmp_path_factory.mktemp("bench")
    config = BenchConfig(root=REPO, quick=True, methods=("l1-norm", "int8-ptq"),
                         models=("digits-cnn",), seeds=1, out=out,
                         recipes={"digits-cnn": Recipe(epochs=3, fine_tune_epochs=1)},
                         latency=LatencyProtocol(warmup=1, rounds=2, repeats=2),
                         sweep_models=("digits-cnn",), command="test", ort=True)
    return run_benchmark(config), config.path


def scratch_repo(root: Path, results: dict[str, Any] | None, text: str | None = None) -> Path:
    """A repository holding the real ``site/`` and, if given, a committed result file."""
    shutil.copytree(REPO / "site", root / "site")
    if results is not None or text is not None:
        path = root / "benchmarks" / "results" / "0.1.0" / "full.json"
        path.parent.mkdir(parents=True)
        path.write_text(text if text is not None else json.dumps(results), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def catalog(small_catalog: Path) -> Catalog:
    """The small catalog: it holds every paper a benchmark row implements."""
    return load(small_catalog)


@pytest.fixture(scope="session")
def bench_site(tiny, catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small catalog's website (``mkdocs build --strict``) with the tiny run's results."""
    results, _ = tiny
    repo = scratch_repo(tmp_path_factory.mktemp("repo"), results)
    out = tmp_path_factory.mktemp("out") / "site"
    build_site(catalog, repo, out)
    return out
