"""Result-file arithmetic and I/O, and the target checks — pure Python, no training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zoo.bench.results import (
    SCHEMA,
    ResultsError,
    derive_row,
    find_results,
    load_results,
    ratio,
    summarize,
    write_results,
)
from zoo.bench.targets import describe, evaluate_targets


def _row(method: str, *, acc: float, flops: int, size: int, lat1: float, lat64: float,
         **extra: object) -> dict:
    return {"method": method, "accuracy": summarize([acc]), "flops": flops, "size_bytes": size,
            "latency_ms": {"1": lat1, "64": lat64}, **extra}


def test_summarize_reports_mean_sample_spread_and_values() -> None:
    stats = summarize([0.96, 0.98, 1.0])
    assert stats["mean"] == pytest.approx(0.98)
    assert stats["std"] == pytest.approx(0.02)  # sample standard deviation (n - 1)
    assert (stats["min"], stats["max"], stats["values"]) == (0.96, 1.0, [0.96, 0.98, 1.0])
    assert summarize([0.5])["std"] == 0.0
    with pytest.raises(ValueError, match="nothing to summarize"):
        summarize([])


def test_ratio_refuses_missing_or_zero_denominators() -> None:
    assert ratio(6.0, 4.0) == 1.5
    assert ratio(None, 2.0) is None and ratio(2.0, None) is None and ratio(2.0, 0.0) is None


def test_derive_row_computes_speedups_flop_share_and_peer_ratios() -> None:
    baseline = _row("baseline", acc=0.99, flops=1000, size=400, lat1=2.0, lat64=40.0)
    peer = _row("peer", acc=0.95, flops=250, size=100, lat1=1.0, lat64=16.0)
    ours = _row("ours", acc=0.97, flops=250, size=100, lat1=1.0, lat64=20.0)
    derive_row(ours, baseline, peer)
    assert ours["flop_reduction"] == 4.0
    assert ours["speedup"] == {"1": 2.0, "64": 2.0}
    assert ours["speedup_over_flop_reduction"] == {"1": 0.5, "64": 0.5}
    assert ours["size_ratio"] == 0.25
    assert ours["accuracy_delta_points"] == -2.0
    assert ours["vs_peer"] == {
        "peer": "peer", "latency_ratio": {"1": 1.0, "64": 1.25},  # ours is 25 % slower at 64
        "accuracy_ratio": round(0.97 / 0.95, 4), "accuracy_delta_points": 2.0,
    }
    alone = derive_row(_row("alone", acc=0.9, flops=1000, size=400, lat1=2.0, lat64=40.0),
                       baseline)
    assert "vs_peer" not in alone and alone["speedup"]["64"] == 1.0


def test_results_round_trip_and_the_newest_version_is_found(tmp_path: Path) -> None:
    assert find_results(tmp_path) is None
    results = {"schema": SCHEMA, "machine": {}, "versions": {}, "settings": {}, "models": {},
               "rows": [], "methods": []}
    base = tmp_path / "benchmarks" / "results"
    write_results(base / "0.9.0" / "full.json", results)
    write_results(base / "0.10.0" / "quick.json", results)  # 0.10 > 0.9, numerically
    write_results(base / "0.10.0" / "custom.json", results)
    assert find_results(tmp_path) == base / "0.10.0" / "quick.json"  # quick before custom
    write_results(base / "0.10.0" / "full.json", results)
    assert find_results(tmp_path) == base / "0.10.0" / "full.json"
    assert load_results(base / "0.10.0" / "full.json") == results


def test_load_results_names_the_file_and_what_is_wrong(tmp_path: Path) -> None:
    bad = tmp_path / "full.json"
    bad.write_text("{not json")
    with pytest.raises(ResultsError, match=r"full\.json: cannot read"):
        load_results(bad)
    bad.write_text(json.dumps({"schema": "other/1"}))
    with pytest.raises(ResultsError, match="not a aladin-bench/1 result file"):
        load_results(bad)
    bad.write_text(json.dumps({"schema": SCHEMA, "rows": []}))
    with pytest.raises(ResultsError, match="missing machine, versions, settings, models, methods"):
        load_results(bad)


def _target_rows(*, share: float, peer_ratio: float, int8_speedup: float,
                 int8_size: float) -> list[dict]:
    structured = {"method": "l1-norm", "kind": "method", "model": "resnet56", "status": "ok",
                  "subcategory": "structured", "flop_reduction": 4.0,
                  "speedup": {"64": 4.0 * share}, "speedup_over_flop_reduction": {"64": share},
                  "vs_peer": {"peer": "tp-magnitude", "latency_ratio": {"64": peer_ratio}},
                  "tolerance": {"within": True}, "accuracy_delta_points": -0.5}
    mild = {**structured, "method": "taylor", "flop_reduction": 1.5}  # < 50 % FLOPs: not judged
    int8 = {"method": "int8-ptq", "kind": "method", "model": "resnet56", "status": "ok",
            "speedup": {"64": int8_speedup}, "size_ratio": int8_size,
            "accuracy_delta_points": -0.2, "tolerance": {"within": True}}
    return [structured, mild, int8]


def test_targets_reached() -> None:
    targets = evaluate_targets(_target_rows(share=0.85, peer_ratio=1.02, int8_speedup=2.0,
                                            int8_size=0.28))
    assert [(t["id"], t["reached"]) for t in targets] == [
        ("structured-pruning", True), ("int8-ptq", True), ("tolerance", True)]
    assert [r["method"] for r in targets[0]["results"]] == ["l1-norm"]


def test_targets_missed_are_reported_with_the_failing_check() -> None:
    rows = _target_rows(share=0.6, peer_ratio=1.2, int8_speedup=1.4, int8_size=0.33)
    rows.append({"method": "dorefa", "kind": "method", "model": "digits-cnn", "status": "ok",
                 "tolerance": {"within": False}, "accuracy_delta_points": -3.1})
    rows.append({"method": "haq", "kind": "method", "model": "digits-cnn", "status": "failed",
                 "error": "ValueError: budget"})
    targets = {t["id"]: t for t in evaluate_targets(rows)}
    assert not any(t["reached"] for t in targets.values())
    lines = describe(targets["structured-pruning"])
    assert lines[0].startswith("MISSED: Structured pruning")
    assert "speed-up ÷ FLOP reduction 0.6 (target >= 0.8) MISSED" in lines[1]
    assert "latency ÷ tp-magnitude 1.2 (target <= 1.05) MISSED" in lines[1]
    tolerance = describe(targets["tolerance"])
    assert "  outside tolerance: dorefa on digits-cnn (-3.1 points)" in tolerance
    assert "  failed: haq on digits-cnn: ValueError: budget" in tolerance


def test_the_sweep_is_listed_beside_the_structured_verdict_without_changing_it() -> None:
    rows = _target_rows(share=0.6, peer_ratio=1.0, int8_speedup=2.0, int8_size=0.28)
    sweep = [{"method": "l1-norm", "model": "resnet56", "scheme": scheme, "pruning_ratio": 0.5,
              "flop_reduction": reduction, "speedup": {"64": reduction * share},
              "speedup_over_flop_reduction": {"64": share}}
             for scheme, reduction, share in (("every-layer", 4.0, 0.57),
                                              ("block-internal", 2.0, 0.82),
                                              ("block-internal", 1.4, 0.95))]  # < 50 %: left out
    target = evaluate_targets(rows, sweep)[0]
    assert target["id"] == "structured-pruning" and not target["reached"]  # the rows decide
    assert [(p["scheme"], p["check"]["reached"]) for p in target["sweep"]] == [
        ("every-layer", False), ("block-internal", True)]
    lines = describe(target)
    assert ("  sweep, l1-norm block-internal at ratio 0.5 (FLOPs ÷2): batch-64 speed-up ÷ FLOP "
            "reduction 0.82") in lines
    assert any(line.endswith("0.57 (below)") for line in lines)


def test_targets_a_run_cannot_judge_are_left_out() -> None:
    assert evaluate_targets([]) == []
