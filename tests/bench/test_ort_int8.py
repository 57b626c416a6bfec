"""ONNX Runtime's own static int8 as a benchmark peer of ``int8-ptq``: a real run on the digits CNN
with the quick recipe (real training, real ONNX Runtime), and the row skipped with the install
line when onnxruntime is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from zoo.bench.measure import LatencyProtocol
from zoo.bench.models import Recipe
from zoo.bench.runner import BenchConfig, run_benchmark
from zoo.registry import INSTALL_DEPLOY

REPO = Path(__file__).resolve().parents[2]
FAST_TIMING = LatencyProtocol(warmup=1, rounds=2, repeats=2)


def test_ort_int8_is_within_a_point_of_int8_ptq_and_timed_against_the_baseline_in_ort(
        tmp_path: Path) -> None:
    config = BenchConfig(root=REPO, quick=True, methods=("int8-ptq",), models=("digits-cnn",),
                         seeds=1, out=tmp_path, latency=FAST_TIMING, sweep_models=(),
                         command="test")  # without --ort: the ORT row brings its own baseline
    results = run_benchmark(config)
    rows = {r["method"]: r for r in results["rows"]}
    assert list(rows) == ["baseline", "int8-ptq", "torch-int8", "ort-int8"]
    base, ours, ort_int8 = rows["baseline"], rows["int8-ptq"], rows["ort-int8"]
    assert ort_int8["status"] == "ok" and ort_int8["runtime"] == "onnxruntime"
    assert ort_int8["accuracy"]["mean"] >= ours["accuracy"]["mean"] - 0.01
    assert ort_int8["accuracy"]["mean"] > 0.9
    # the .onnx file: int8 weights with their scales, well under the float model's bytes
    assert ort_int8["size_bytes"] < 0.6 * base["size_bytes"]
    assert ort_int8["flops"] == base["flops"] and ort_int8["params"] == base["params"]
    # only the rows that need ONNX Runtime were exported: the baseline, as the denominator
    assert "latency_ort_ms" in base and "latency_ort_ms" not in ours
    for b in ("1", "64"):
        assert ort_int8["speedup"][b] == pytest.approx(
            base["latency_ort_ms"][b] / ort_int8["latency_ms"][b], rel=1e-3)
    assert ort_int8["ort"]["quantization"] == "ort-static-qdq" and ort_int8["ort"]["opset"] >= 13
    assert [v["peer"] for v in ours["vs_more_peers"]] == ["ort-int8"]
    assert ours["vs_peer"]["peer"] == "torch-int8"
    # the int8 target reports both peers beside ours, each in its own runtime
    [int8] = [t for t in results["targets"] if t["id"] == "int8-ptq"]
    assert [p["method"] for p in int8["results"][0]["peers"]] == ["torch-int8", "ort-int8"]


def test_without_onnxruntime_the_row_is_skipped_with_the_install_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes `import onnxruntime` fail as on a machine without it.
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    monkeypatch.delitem(sys.modules, "zoo.deploy", raising=False)
    config = BenchConfig(root=REPO, quick=True, methods=("ort-int8",), models=("digits-cnn",),
                         seeds=1, out=tmp_path, latency=FAST_TIMING, sweep_models=(),
                         recipes={"digits-cnn": Recipe(epochs=1, fine_tune_epochs=0)},
                         command="test")
    results = run_benchmark(config)
    assert results["complete"] is True
    row = next(r for r in results["rows"] if r["method"] == "ort-int8")
    assert row["status"] == "skipped"
    assert row["reason"] == ("the benchmark peer ort-int8 needs onnxruntime (the deploy extra): "
                             f"{INSTALL_DEPLOY}")
