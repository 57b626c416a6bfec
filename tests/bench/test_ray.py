"""`aladin bench --ray`: the training on a real local Ray cluster (2 CPUs), the same figures as a
run in this process, and one-line errors for addresses that lead nowhere."""

from __future__ import annotations

import io
import json
import socket
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zoo.bench.checkpoint import TaskStore, code_fingerprint
from zoo.bench.execution import RayExecutor, connect
from zoo.bench.measure import LatencyProtocol
from zoo.bench.models import Recipe
from zoo.bench.progress import Progress
from zoo.bench.runner import BenchConfig, run_benchmark

pytest.importorskip("ray", reason="the bench extra (Ray) is not installed")

REPO = Path(__file__).resolve().parents[2]
Run = Callable[..., tuple[int, str, str]]
# What a row's training decides; latency is measured in this process either way.
TRAINED = ("accuracy", "accuracy_before_recovery", "params", "nonzero_params", "flops",
           "size_bytes", "seeds")


def _config(out: Path, **options: Any) -> BenchConfig:
    return BenchConfig(root=REPO, quick=True, methods=("l1-norm", "int8-ptq"),
                       models=("digits-cnn",), seeds=2, out=out,
                       recipes={"digits-cnn": Recipe(epochs=2, fine_tune_epochs=1)},
                       latency=LatencyProtocol(warmup=1, rounds=2, repeats=2),
                       sweep_models=(), command="test", **options)


def _trained(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["method"]: {k: r.get(k) for k in TRAINED} for r in results["rows"]}


def test_a_run_on_a_local_ray_cluster_writes_what_a_local_run_writes(tmp_path: Path) -> None:
    here = run_benchmark(_config(tmp_path / "here"))
    on_ray = run_benchmark(_config(tmp_path / "ray", ray="local", ray_cpus=2))
    assert on_ray["complete"] and all(r["status"] == "ok" for r in on_ray["rows"])
    # Same seeds, same figures: every task seeds itself and builds its own data.
    assert _trained(on_ray) == _trained(here)
    assert [r["method"] for r in on_ray["rows"]] == [r["method"] for r in here["rows"]]
    assert here["settings"]["execution"] == {"ray": None, "resumed_tasks": 0}
    cluster = on_ray["settings"]["execution"]
    assert cluster["ray"] == "local" and cluster["nodes"] == 1 and cluster["cpus"] == 2.0
    assert cluster["resumed_tasks"] == 0
    # Latency still measured here, after the cluster was let go: every row has it.
    assert all(r["latency_ms"]["64"] > 0 for r in on_ray["rows"])
    written = json.loads((tmp_path / "ray" / "custom.json").read_text(encoding="utf-8"))
    assert written["rows"] == json.loads(json.dumps(on_ray["rows"]))


def _closed_port() -> int:
    with socket.socket() as s:  # bound, then closed: nothing listens there now
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_address_without_a_cluster_is_one_line_and_writes_nothing(aladin: Run,
                                                                      tmp_path: Path) -> None:
    address = f"127.0.0.1:{_closed_port()}"
    status, out, err = aladin("--root", REPO, "bench", "--quick", "--models", "digits-cnn",
                              "--ray", address, "--out", tmp_path)
    assert status == 1 and out == ""
    assert err.splitlines() == [f"aladin bench: --ray {address}: no Ray head node answers there "
                                "(Connection refused); start one with `ray start --head` or use "
                                "--ray local"]
    assert not list(tmp_path.iterdir())


def test_a_malformed_address_or_cpus_without_local_are_refused(aladin: Run,
                                                               tmp_path: Path) -> None:
    status, _, err = aladin("--root", REPO, "bench", "--quick", "--ray", "my-cluster",
                            "--out", tmp_path)
    assert status == 1
    assert err.splitlines() == ["aladin bench: --ray my-cluster: not an address; give HOST:PORT "
                                "of the cluster's head node (e.g. 10.0.0.5:6379) or 'local' to "
                                "start one here"]
    status, _, err = aladin("--root", REPO, "bench", "--quick", "--ray", "10.0.0.5:6379",
                            "--ray-cpus", "2", "--out", tmp_path)
    assert status == 2 and "--ray-cpus sizes the cluster that --ray local starts" in err
    status, _, err = aladin("--root", REPO, "bench", "--section", "language", "--ray", "local")
    assert status == 2 and "--ray applies to the vision section only" in err
    assert not list(tmp_path.iterdir())


def test_the_bar_counts_a_later_models_tasks_while_it_waits_for_an_earlier_ones() -> None:
    progress = Progress(total=3.0, stream=io.StringIO(), interactive=False)
    executor = connect("local", progress, cpus=2)
    try:
        first = executor.submit(statistics.median, [1], label="resnet56", units=1.0)
        later = executor.submit(statistics.median, [2], label="digits-cnn", units=2.0)
        executor.ray.wait([first, later], num_returns=2)  # both done before anyone gathers
        assert executor.gather([first]) == [1]
        assert progress.done == 3.0  # the later model's task is counted when it finishes
        assert executor.gather([later]) == [2] and progress.done == 3.0  # and only once
    finally:
        executor.close()


def test_tasks_finished_on_ray_are_kept_as_they_arrive_and_not_run_again(tmp_path: Path) -> None:
    progress = Progress(total=2.0, stream=io.StringIO(), interactive=False)
    executor = connect("local", progress, cpus=2, store=TaskStore("t", resume=False,
                                                                   root=tmp_path))
    try:
        first = executor.submit(statistics.median, [1], label="resnet56", units=1.0)
        later = executor.submit(statistics.median, [2], label="digits-cnn", units=1.0)
        executor.ray.wait([first, later], num_returns=2)
        executor.gather([first])  # the later task is kept too, though nobody asked for it yet
        assert len(list((tmp_path / code_fingerprint() / "t").glob("*.pt"))) == 2
        store = TaskStore("t", resume=True, root=tmp_path)
        again = RayExecutor(progress, executor.ray, "local", store)  # the same cluster
        handle = again.submit(statistics.median, [2], label="digits-cnn", units=1.0)
        assert again.gather([handle]) == [2] and store.reused == 1
        assert not again.labels  # nothing was sent to the cluster
    finally:
        executor.close()
