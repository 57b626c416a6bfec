"""The benchmark's result files: where they live, what they hold, the arithmetic between rows.

Pure Python (no PyTorch), so the website can read the committed results on a machine without the
zoo extra. One run writes one JSON file, ``benchmarks/results/<zoo version>/<mode>.json``
(``full``, ``quick`` or ``custom`` when methods, models or seeds were narrowed), rewritten
atomically after every finished (method, model) pair so an interrupted run keeps what it measured
(``"complete": false``).

A file holds the run's ``machine``, library ``versions``, ``settings`` (seeds, thread count,
latency protocol), the ``models`` with their training recipes, one row per (method, model) and
one per peer, the registered ``methods`` with how each was benchmarked (or why not), the
``sweep`` (pruned ResNet-56s timed at several ratios, :mod:`zoo.bench.sweep`), and the
issue's ``targets`` with whether they were reached. Rows carry raw figures and the derived ratios:

* ``speedup[b] = baseline latency / latency`` at batch size ``b`` (the same interleaved session),
  of the deployed forms (BatchNorm folded where the model allows); ``speedup_eager`` of the
  modules as trained;
* ``flop_reduction = baseline FLOPs / FLOPs``; ``speedup_over_flop_reduction[b]`` is the share of
  the theoretical gain that the CPU really delivers;
* ``vs_peer``: ``latency_ratio[b] = ours / peer`` (below 1: ours is faster; each row in its own
  runtime) and ``accuracy_ratio = ours / peer`` of mean accuracies, plus the difference in points;
  ``ort_latency_ratio[b]`` when both rows were also timed in ONNX Runtime. ``vs_more_peers`` holds
  the same for the row's further peers (``more_peers``).

A row that runs in ONNX Runtime only (``"runtime": "onnxruntime"``, its ``latency_ms`` is ORT's)
takes its speed-ups against the baseline's ONNX Runtime latency (``latency_ort_ms``): int8 in ORT
against float in ORT, not against PyTorch.

>>> summarize([0.99, 0.98, 1.0])["mean"]
0.99
>>> ratio(3.0, 1.5), ratio(1.0, 0.0)
(2.0, None)
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "MODES",
    "RESULTS_DIR",
    "SCHEMA",
    "ResultsError",
    "derive_row",
    "find_results",
    "load_results",
    "ratio",
    "results_path",
    "speedups",
    "summarize",
    "write_results",
]

SCHEMA = "aladin-bench/1"
RESULTS_DIR = Path("benchmarks") / "results"
MODES = ("full", "quick", "custom")  # the website prefers them in this order


class ResultsError(ValueError):
    """A result file that cannot be read or does not follow the schema."""


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or ``None`` when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def summarize(values: Sequence[float]) -> dict[str, Any]:
    """Mean, sample standard deviation (0 for one value), min, max and the values themselves."""
    if not values:
        raise ValueError("nothing to summarize: no values")
    return {
        "mean": round(statistics.fmean(values), 6),
        "std": round(statistics.stdev(values), 6) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
        "values": list(values),
    }


def speedups(latency_ms: Mapping[str, float], flops: int,
             baseline: Mapping[str, Any]) -> dict[str, Any]:
    """``flop_reduction``, ``speedup`` and ``speedup_over_flop_reduction`` (per batch size) of a
    model with ``latency_ms`` and ``flops`` against its ``baseline`` row."""
    batches = sorted(latency_ms, key=int)
    speedup = {b: _round(ratio(baseline["latency_ms"].get(b), latency_ms[b])) for b in batches}
    flop_reduction = ratio(baseline["flops"], flops)
    return {
        "flop_reduction": _round(flop_reduction),
        "speedup": speedup,
        "speedup_over_flop_reduction": {b: _round(ratio(speedup[b], flop_reduction))
                                        for b in batches},
    }


def derive_row(row: dict[str, Any], baseline: Mapping[str, Any],
               peer: Mapping[str, Any] | None = None,
               more_peers: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Add the ratios of ``row`` against its model's ``baseline`` row (and its ``peer`` row, and
    its ``more_peers``).

    Every row needs ``accuracy`` (a :func:`summarize` dict), ``flops`` and ``latency_ms``
    (``{"1": ms, "64": ms}``, keys are batch sizes as strings, as JSON has them).
    """
    batches = sorted(row["latency_ms"], key=int)
    in_ort = row.get("runtime") == "onnxruntime"
    reference = ({**baseline, "latency_ms": baseline.get("latency_ort_ms") or {}} if in_ort
                 else baseline)
    row.update(speedups(row["latency_ms"], row["flops"], reference))
    if not in_ort and "latency_eager_ms" in row and "latency_eager_ms" in baseline:
        row["speedup_eager"] = {
            b: _round(ratio(baseline["latency_eager_ms"].get(b), row["latency_eager_ms"][b]))
            for b in batches}
    row["accuracy_delta_points"] = _round(
        100 * (row["accuracy"]["mean"] - baseline["accuracy"]["mean"]), 2)
    row["size_ratio"] = _round(ratio(row["size_bytes"], baseline["size_bytes"]))
    if peer is not None:
        row["vs_peer"] = _versus(row, peer, batches)
    if more_peers:
        row["vs_more_peers"] = [_versus(row, p, batches) for p in more_peers]
    return row


def _versus(row: Mapping[str, Any], peer: Mapping[str, Any],
            batches: Sequence[str]) -> dict[str, Any]:
    def latency_ratio(key: str) -> dict[str, float | None]:
        return {b: _round(ratio(row[key].get(b), peer[key].get(b))) for b in batches}

    versus = {
        "peer": peer["method"],
        "latency_ratio": latency_ratio("latency_ms"),
        "accuracy_ratio": _round(ratio(row["accuracy"]["mean"], peer["accuracy"]["mean"])),
        "accuracy_delta_points": _round(
            100 * (row["accuracy"]["mean"] - peer["accuracy"]["mean"]), 2),
    }
    if "latency_ort_ms" in row and "latency_ort_ms" in peer:  # both also timed in ORT
        versus["ort_latency_ratio"] = latency_ratio("latency_ort_ms")
    return versus


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


# --- files ----------------------------------------------------------------------------------

def results_path(root: Path, version: str, mode: str) -> Path:
    """``<root>/benchmarks/results/<version>/<mode>.json``."""
    if mode not in MODES:
        raise ValueError(f"unknown benchmark mode {mode!r} (known: {', '.join(MODES)})")
    return root / RESULTS_DIR / version / f"{mode}.json"


def write_results(path: Path, results: Mapping[str, Any]) -> None:
    """Replace ``path`` atomically with ``results`` as indented JSON."""
    from ..catalog.writer import write_atomic

    write_atomic(path, json.dumps(results, indent=1, ensure_ascii=False) + "\n")


def load_results(path: Path) -> dict[str, Any]:
    """A result file, checked for the fields every reader relies on."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read benchmark results: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ResultsError(f"{path}: not a {SCHEMA} result file")
    missing = [k for k in ("machine", "versions", "settings", "models", "rows", "methods")
               if k not in data]
    if missing:
        raise ResultsError(f"{path}: missing {', '.join(missing)}")
    return data


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in name.split("."))


def find_results(root: Path, modes: Iterable[str] = MODES) -> Path | None:
    """The result file the website shows: the newest version's ``full.json``, else its
    ``quick.json``, else ``custom.json``; ``None`` when nothing was committed."""
    base = root / RESULTS_DIR
    if not base.is_dir():
        return None
    versions = sorted((d for d in base.iterdir() if d.is_dir()),
                      key=lambda d: _version_key(d.name), reverse=True)
    for version in versions:
        for mode in modes:
            path = version / f"{mode}.json"
            if path.is_file():
                return path
    return None
