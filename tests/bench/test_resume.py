"""`aladin bench --resume`: a run stopped part-way keeps the tasks it finished, and the same run
resumed reuses them and writes what an uninterrupted run writes (zoo.bench.checkpoint)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from zoo.bench.checkpoint import TaskStore, code_fingerprint, default_root
from zoo.bench.measure import LatencyProtocol
from zoo.bench.models import Recipe
from zoo.bench.progress import Progress
from zoo.bench.runner import BenchConfig, run_benchmark

REPO = Path(__file__).resolve().parents[2]
TRAINED = ("accuracy", "params", "flops", "size_bytes", "seeds")


class StopAfter(Progress):
    """A progress bar that records its labels and, like a user's Ctrl-C, stops the run after
    ``tasks`` tasks have finished."""

    def __init__(self, tasks: int | None = None) -> None:
        super().__init__(1.0, stream=io.StringIO(), interactive=False)
        self.tasks, self.labels = tasks, []

    def advance(self, label: str, units: float) -> None:
        super().advance(label, units)
        self.labels.append(label)
        if self.tasks is not None and len(self.labels) >= self.tasks:
            raise KeyboardInterrupt

    def skip(self, label: str, units: float) -> None:
        super().skip(label, units)
        self.labels.append(label)


def _config(out: Path, **options: Any) -> BenchConfig:
    return BenchConfig(root=REPO, quick=True, methods=("l1-norm",), models=("digits-cnn",),
                       seeds=1, out=out, recipes={"digits-cnn": Recipe(epochs=2,
                                                                       fine_tune_epochs=1)},
                       latency=LatencyProtocol(warmup=1, rounds=1, repeats=1),
                       sweep_models=(), command="test", **options)


def _trained(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["method"]: {k: r.get(k) for k in TRAINED} for r in results["rows"]}


def _kept(config: BenchConfig) -> Path:
    return default_root() / code_fingerprint() / config.run_name


def _stop_after_the_baseline(config: BenchConfig) -> Path:
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(config, progress=StopAfter(tasks=1))
    kept = _kept(config)
    assert len(list(kept.glob("*.pt"))) == 1 and not list(kept.glob("*.tmp"))
    return kept


def test_a_stopped_run_resumes_where_it_stopped_and_writes_what_a_whole_run_writes(
        tmp_path: Path) -> None:
    config = _config(tmp_path)
    _stop_after_the_baseline(config)
    # Without --resume the kept task is not reused: the run starts over.
    progress = StopAfter()
    whole = run_benchmark(config, progress=progress)
    assert not any("(resumed)" in label for label in progress.labels)
    assert whole["settings"]["execution"]["resumed_tasks"] == 0
    assert not _kept(config).exists()  # a run that completes lets its tasks go

    kept = _stop_after_the_baseline(config)
    progress = StopAfter()
    resumed = run_benchmark(_config(tmp_path, resume=True), progress=progress)
    assert progress.labels[0] == "digits-cnn · baseline · seed 0 (resumed)"
    assert not any("(resumed)" in label for label in progress.labels[1:])
    assert resumed["complete"] and resumed["settings"]["execution"]["resumed_tasks"] == 1
    assert _trained(resumed) == _trained(whole)
    assert not kept.exists()


def test_a_task_file_that_cannot_be_read_is_run_again(tmp_path: Path) -> None:
    store = TaskStore("custom-test", resume=False, root=tmp_path)
    key = TaskStore.key(sorted, ([2, 1],), skip=())
    assert store.load(key) is None
    store.save(key, [1, 2])
    assert store.load(key) == [1, 2] and store.reused == 1
    (store.path / f"{key}.pt").write_bytes(b"half a file")
    assert store.load(key) is None and store.reused == 1
    # Another function, other arguments or another run: other keys or places.
    assert TaskStore.key(sorted, ([1, 2],), skip=()) != key
    assert TaskStore.key(sorted, ([2, 1], "x"), skip=(str,)) == key
    assert TaskStore("custom-other", resume=True, root=tmp_path).load(key) is None
