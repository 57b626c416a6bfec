"""The harness for real: the tiny benchmark of ``conftest.py`` and the file it writes, the plan's
rules, and every registered method accounted for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import zoo
from zoo.bench.adapters import NOT_APPLICABLE, load_adapters
from zoo.bench.models import MODELS
from zoo.bench.results import SCHEMA, load_results
from zoo.bench.runner import BenchConfig, BenchError, plan

REPO = Path(__file__).resolve().parents[2]


def _rows(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["method"]: row for row in results["rows"]}


def test_a_tiny_run_writes_its_results_with_machine_versions_and_seeds(tiny) -> None:
    results, path = tiny
    assert path.name == "custom.json"  # narrowed runs never overwrite full.json or quick.json
    assert load_results(path) == results
    assert results["schema"] == SCHEMA and results["complete"] is True
    assert results["zoo_version"] == zoo.__version__
    assert results["versions"]["torch"].startswith("2.") and results["versions"]["torch_pruning"]
    assert results["machine"]["logical_cpus"] >= 1 and results["machine"]["cpu"]
    settings = results["settings"]
    assert settings["seeds"] == [0] and settings["latency"]["threads"] == 1
    assert settings["latency"]["batch_sizes"] == [1, 64] and settings["train_threads"] == 1
    assert results["models"]["digits-cnn"]["recipe"]["epochs"] == 3


def test_peers_come_with_the_methods_they_are_compared_with(tiny) -> None:
    results, _ = tiny
    assert list(_rows(results)) == ["baseline", "l1-norm", "int8-ptq", "tp-magnitude",
                                    "torch-int8", "ort-int8"]
    kinds = {name: row["kind"] for name, row in _rows(results).items()}
    assert kinds == {"baseline": "baseline", "l1-norm": "method", "int8-ptq": "method",
                     "tp-magnitude": "peer", "torch-int8": "peer", "ort-int8": "peer"}
    assert "Torch-Pruning" in _rows(results)["tp-magnitude"]["library"]
    assert "ONNX Runtime" in _rows(results)["ort-int8"]["library"]


def test_rows_hold_measured_figures_and_consistent_ratios(tiny) -> None:
    rows = _rows(tiny[0])
    base, l1, int8, peer = rows["baseline"], rows["l1-norm"], rows["int8-ptq"], rows["tp-magnitude"]
    assert base["accuracy"]["mean"] > 0.9 and base["params"] == 24_058
    assert l1["status"] == "ok" and l1["paper"] == zoo.get("l1-norm").paper
    # half of every layer's filters: about a quarter of the FLOPs remain
    assert 3.0 < l1["flop_reduction"] < 4.5 and l1["params"] < 0.35 * base["params"]
    assert l1["accuracy"]["mean"] > 0.7 and l1["accuracy_before_recovery"] is not None
    for b in ("1", "64"):
        assert l1["latency_ms"][b] > 0
        assert l1["speedup"][b] == pytest.approx(base["latency_ms"][b] / l1["latency_ms"][b],
                                                 rel=1e-3)
        assert l1["speedup_over_flop_reduction"][b] == pytest.approx(
            l1["speedup"][b] / l1["flop_reduction"], rel=1e-3)
        assert l1["vs_peer"]["latency_ratio"][b] == pytest.approx(
            l1["latency_ms"][b] / peer["latency_ms"][b], rel=1e-3)
    assert l1["vs_peer"]["peer"] == "tp-magnitude"
    assert l1["tolerance"]["source"].startswith("tests/zoo/test_pruning.py")
    # int8: FLOPs of the float model, a file of about a third (width 16 has framing overhead)
    assert int8["flops"] == base["flops"] and int8["params"] == base["params"]
    assert 0.2 < int8["size_ratio"] < 0.4
    assert int8["vs_peer"]["peer"] == "torch-int8"
    assert int8["accuracy"]["mean"] > base["accuracy"]["mean"] - 0.05


def test_every_row_is_timed_in_onnx_runtime_beside_pytorch(tiny) -> None:
    rows = _rows(tiny[0])
    for name, row in rows.items():
        assert set(row["latency_ort_ms"]) == {"1", "64"}, name
        assert all(v > 0 for v in row["latency_ort_ms"].values()), name
    # float rows through dynamo, within the float tolerance; int8-ptq only through TorchScript
    assert rows["l1-norm"]["ort"]["exporter"] == "dynamo"
    assert rows["l1-norm"]["ort"]["max_abs_diff"] < 1e-4
    assert rows["int8-ptq"]["ort"]["exporter"] == "torchscript"
    # a row run in ORT only: timed once, its latency is ORT's; the ratios of two rows that were
    # both timed in ORT compare them there too
    ort_int8 = rows["ort-int8"]
    assert ort_int8["runtime"] == "onnxruntime" and ort_int8["ort"]["quantization"]
    assert ort_int8["latency_ort_ms"] == ort_int8["latency_ms"]
    versus = rows["int8-ptq"]["vs_more_peers"][0]
    assert versus["peer"] == "ort-int8"
    assert versus["ort_latency_ratio"]["64"] == pytest.approx(
        rows["int8-ptq"]["latency_ort_ms"]["64"] / ort_int8["latency_ms"]["64"], rel=1e-3)


def test_the_pruning_sweep_is_timed_with_the_rows_under_both_schemes(tiny) -> None:
    results, _ = tiny
    rows = _rows(results)
    sweep = {(p["scheme"], p["pruning_ratio"]): p for p in results["sweep"]}
    assert set(sweep) == {("every-layer", 0.5), ("block-internal", 0.5)}  # --quick: one ratio
    every, inside = sweep["every-layer", 0.5], sweep["block-internal", 0.5]
    # the default scheme at the adapter's ratio is the l1-norm row's architecture
    assert every["flops"] == rows["l1-norm"]["flops"] and every["options"] == {}
    assert inside["options"] == {"keep_coupled": True}
    # the digits CNN has no residual additions: keeping coupled channels changes nothing
    assert inside["flops"] == every["flops"] and inside["conv_widths"] == every["conv_widths"]
    base = rows["baseline"]
    for point in sweep.values():
        assert point["method"] == "l1-norm" and point["model"] == "digits-cnn"
        assert point["flop_reduction"] == pytest.approx(base["flops"] / point["flops"], rel=1e-3)
        for b in ("1", "64"):
            assert point["speedup"][b] == pytest.approx(
                base["latency_ms"][b] / point["latency_ms"][b], rel=1e-3)
            low, high = point["latency_range_ms"][b]
            assert low <= point["latency_ms"][b] <= high
    assert results["settings"]["latency"]["allocator"]


def test_every_registered_method_is_accounted_for(tiny) -> None:
    results, _ = tiny
    entries = {m["method"]: m for m in results["methods"]}
    assert set(entries) == {record.name for record in zoo.list_methods()}
    assert entries["l1-norm"]["models"] == ["digits-cnn"]
    assert entries["l1-norm"]["status"] == "direct"
    assert entries["fpgm"]["reason"] == "not selected in this run"
    lstm = entries["recurrent-binary-ternary"]
    assert lstm["status"] == "own-setting" and "not applicable to the CNNs" in lstm["own_setting"]
    assert entries["darts"]["status"] == "own-setting"


def test_every_registered_method_has_an_adapter_or_a_reason() -> None:
    """A method registered without a benchmark adapter shows up as "no-adapter" in the table;
    this test asks whoever adds it to write the adapter (zoo/bench/adapters/) or the reason."""
    adapters = load_adapters()
    missing = [r.name for r in zoo.list_methods()
               if r.name not in adapters and r.name not in NOT_APPLICABLE]
    assert not missing, f"no benchmark adapter for {missing}"
    for name, adapter in adapters.items():
        assert set(adapter.models) <= set(MODELS), name
        assert set(adapter.quick_models) <= set(adapter.models) | {"digits-lstm"}, name
        assert set(adapter.peers) <= set(adapters), name
        assert adapter.tolerance.source, f"{name}: say who states the tolerance"


def test_quick_plan_covers_the_targets_and_skips_the_searches() -> None:
    blocks = {spec.name: [a.name for a in adapters]
              for spec, adapters in plan(BenchConfig(root=REPO, quick=True))}
    assert {"l1-norm", "tp-magnitude", "int8-ptq", "torch-int8"} <= set(blocks["resnet56"])
    assert not {"darts", "pdarts", "proxylessnas"} & set(blocks["digits-cnn"])
    full = {spec.name: [a.name for a in adapters]
            for spec, adapters in plan(BenchConfig(root=REPO))}
    assert {"darts", "fpgm", "tp-fpgm"} <= set(full["digits-cnn"])
    assert {"fpgm", "taylor", "gate-decorator", "tp-fpgm", "tp-magnitude-global"} <= set(
        full["resnet56"])
    # the paper's own ResNet scheme and its peer: on the ResNets only, not in --quick
    variants = {"l1-norm-block-internal", "tp-magnitude-block-internal"}
    assert variants <= set(full["resnet56"]) and variants <= set(full["resnet20"])
    assert not variants & (set(full["digits-cnn"]) | {n for b in blocks.values() for n in b})
    assert load_adapters()["l1-norm-block-internal"].method == "l1-norm"


def test_unknown_names_are_refused_with_the_known_ones() -> None:
    with pytest.raises(BenchError, match=r"no benchmark for nope \(known: .*l1-norm"):
        plan(BenchConfig(root=REPO, methods=("nope",)))
    with pytest.raises(BenchError, match="unknown model vgg"):
        plan(BenchConfig(root=REPO, models=("vgg",)))
    with pytest.raises(BenchError, match="nothing to run"):
        plan(BenchConfig(root=REPO, methods=("darts",), models=("resnet56",)))
