"""The targets issue 6 sets, checked against result rows — reported whether reached or missed.

1. **Structured pruning** that removes at least half of the FLOPs: on ResNet-56, the measured
   batch-64 speed-up is at least 0.8× the FLOP reduction, and the latency is no worse than
   Torch-Pruning's at the same ratio. Two medians of a shared machine are never exactly equal, so
   "no worse" allows 5 % (``latency_ratio ≤ 1.05``); the ratio itself is reported. The verdict
   is the method rows'; the settings of the pruning sweep (:mod:`zoo.bench.sweep`) that remove
   half of the FLOPs or more are listed beside it with their own share, as context.
2. **int8 post-training quantisation**: at least 1.5× faster than fp32 at batch 64, at most 30 %
   of the fp32 file, accuracy within 1 point — on every model it ran on. Its int8 peers (PyTorch's
   stock recipe, ONNX Runtime's static int8) are measured against the same checks beside it, each
   in its own runtime (ORT int8 against the float model in ORT), with ours ÷ peer batch-64
   latency: context, not part of the verdict.
3. **Every method within its stated tolerance** of the baseline (the rows that are not, listed).

Pure Python over the row dictionaries of :mod:`zoo.bench.results`.

>>> rows = [{"method": "int8-ptq", "kind": "method", "model": "resnet56", "status": "ok",
...          "speedup": {"64": 2.0}, "size_ratio": 0.27, "accuracy_delta_points": -0.3,
...          "tolerance": {"within": True}}]
>>> [(t["id"], t["reached"]) for t in evaluate_targets(rows)]
[('int8-ptq', True), ('tolerance', True)]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["LATENCY_NOISE", "describe", "evaluate_targets"]

STRUCTURED_MODEL = "resnet56"
MIN_FLOP_REDUCTION = 2.0  # removing ≥ 50 % of FLOPs
SPEEDUP_SHARE = 0.8
LATENCY_NOISE = 1.05
INT8_SPEEDUP, INT8_SIZE, INT8_POINTS = 1.5, 0.30, 1.0

Row = dict[str, Any]


def _check(name: str, value: float | None, op: str, limit: float) -> dict[str, Any]:
    reached = value is not None and (value >= limit if op == ">=" else value <= limit)
    return {"name": name, "value": value, "op": op, "limit": limit, "reached": reached}


def _swept(sweep: list[Row]) -> list[dict[str, Any]]:
    return [{"method": p["method"], "model": p["model"], "scheme": p["scheme"],
             "pruning_ratio": p["pruning_ratio"], "flop_reduction": p["flop_reduction"],
             "speedup_64": p["speedup"].get("64"),
             "check": _check("batch-64 speed-up ÷ FLOP reduction",
                             p["speedup_over_flop_reduction"].get("64"), ">=", SPEEDUP_SHARE)}
            for p in sweep if p["model"] == STRUCTURED_MODEL
            and (p.get("flop_reduction") or 0) >= MIN_FLOP_REDUCTION]


def _structured(rows: list[Row], sweep: list[Row]) -> dict[str, Any] | None:
    candidates = [r for r in rows if r["model"] == STRUCTURED_MODEL and r["kind"] == "method"
                  and r.get("subcategory") == "structured" and r["status"] == "ok"
                  and (r.get("flop_reduction") or 0) >= MIN_FLOP_REDUCTION]
    if not candidates:
        return None
    results = []
    for row in candidates:
        share = row["speedup_over_flop_reduction"].get("64")
        checks = [_check("batch-64 speed-up ÷ FLOP reduction", share, ">=", SPEEDUP_SHARE)]
        peer = row.get("vs_peer")
        checks.append(_check(f"batch-64 latency ÷ {peer['peer'] if peer else 'peer'}",
                             peer["latency_ratio"].get("64") if peer else None, "<=",
                             LATENCY_NOISE))
        results.append({"method": row["method"], "model": row["model"],
                        "flop_reduction": row["flop_reduction"],
                        "speedup_64": row["speedup"].get("64"), "checks": checks,
                        "reached": all(c["reached"] for c in checks)})
    return {
        "id": "structured-pruning",
        "text": f"Structured pruning removing ≥ 50 % of FLOPs on ResNet-56: batch-64 speed-up "
                f"≥ {SPEEDUP_SHARE} × FLOP reduction, latency no worse than Torch-Pruning's "
                f"(ratio ≤ {LATENCY_NOISE}, a 5 % allowance for timing noise)",
        "results": results,
        "sweep": _swept(sweep),
        "reached": all(r["reached"] for r in results),
    }


def _int8_checks(row: Row) -> list[dict[str, Any]]:
    return [
        _check("batch-64 speed-up over fp32", row["speedup"].get("64"), ">=", INT8_SPEEDUP),
        _check("size ÷ fp32 size", row["size_ratio"], "<=", INT8_SIZE),
        _check("accuracy change (points)", row["accuracy_delta_points"], ">=", -INT8_POINTS),
    ]


def _int8_peers(row: Row, rows: list[Row]) -> list[dict[str, Any]]:
    """``row``'s int8 peers on its model under the same checks, with ours ÷ peer latency."""
    versus = {v["peer"]: v for v in [row.get("vs_peer"), *row.get("vs_more_peers", [])] if v}
    out = []
    for peer in rows:
        if (peer["model"] == row["model"] and peer["method"] in versus
                and peer["status"] == "ok"):
            checks = _int8_checks(peer)
            out.append({"method": peer["method"], "runtime": peer.get("runtime", "pytorch"),
                        "checks": checks, "reached": all(c["reached"] for c in checks),
                        "latency_ratio_64": versus[peer["method"]]["latency_ratio"].get("64")})
    return out


def _int8(rows: list[Row]) -> dict[str, Any] | None:
    candidates = [r for r in rows if r["method"] == "int8-ptq" and r["status"] == "ok"]
    if not candidates:
        return None
    results = []
    for row in candidates:
        checks = _int8_checks(row)
        results.append({"method": row["method"], "model": row["model"], "checks": checks,
                        "reached": all(c["reached"] for c in checks),
                        "peers": _int8_peers(row, rows)})
    return {
        "id": "int8-ptq",
        "text": f"int8 post-training quantisation: ≥ {INT8_SPEEDUP}× faster than fp32 at batch 64,"
                f" ≤ {INT8_SIZE:.0%} of the file size, accuracy within {INT8_POINTS:g} point",
        "results": results,
        "reached": all(r["reached"] for r in results),
    }


def _tolerance(rows: list[Row]) -> dict[str, Any] | None:
    judged = [r for r in rows if r["kind"] == "method" and r["status"] == "ok"]
    failed = [r for r in rows if r["kind"] == "method" and r["status"] == "failed"]
    if not judged and not failed:
        return None
    outside = [{"method": r["method"], "model": r["model"],
                "accuracy_delta_points": r.get("accuracy_delta_points")}
               for r in judged if not r["tolerance"]["within"]]
    return {
        "id": "tolerance",
        "text": "Every method's accuracy within its stated tolerance of the baseline",
        "outside": outside,
        "failed": [{"method": r["method"], "model": r["model"], "error": r.get("error")}
                   for r in failed],
        "reached": not outside and not failed,
    }


def evaluate_targets(rows: Iterable[Row], sweep: Iterable[Row] = ()) -> list[dict[str, Any]]:
    """The targets that the rows can judge (a run without ResNet-56 cannot judge the first);
    ``sweep`` holds the pruning sweep's records (:func:`zoo.bench.sweep.sweep_rows`)."""
    rows = list(rows)
    found = (_structured(rows, list(sweep)), _int8(rows), _tolerance(rows))
    return [t for t in found if t is not None]


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _checks(checks: list[dict[str, Any]]) -> str:
    return "; ".join(f"{c['name']} {_fmt(c['value'])} (target {c['op']} {c['limit']:g})"
                     f"{'' if c['reached'] else ' MISSED'}" for c in checks)


def describe(target: dict[str, Any]) -> list[str]:
    """Plain-text lines for one evaluated target: a verdict line, then one line per result."""
    lines = [f"{'reached' if target['reached'] else 'MISSED'}: {target['text']}"]
    for result in target.get("results", []):
        lines.append(f"  {result['method']} on {result['model']}: {_checks(result['checks'])}")
        for peer in result.get("peers", []):
            lines.append(f"    context, peer {peer['method']} in {peer['runtime']}: "
                         f"{_checks(peer['checks'])}; {result['method']} ÷ {peer['method']} "
                         f"batch-64 latency {_fmt(peer['latency_ratio_64'])}")
    for point in target.get("sweep", []):
        c = point["check"]
        lines.append(f"  sweep, {point['method']} {point['scheme']} at ratio "
                     f"{point['pruning_ratio']:g} (FLOPs ÷{_fmt(point['flop_reduction'])}): "
                     f"{c['name']} {_fmt(c['value'])}{'' if c['reached'] else ' (below)'}")
    for row in target.get("outside", []):
        lines.append(f"  outside tolerance: {row['method']} on {row['model']} "
                     f"({_fmt(row['accuracy_delta_points'])} points)")
    for row in target.get("failed", []):
        lines.append(f"  failed: {row['method']} on {row['model']}: {row['error']}")
    return lines
