"""The Benchmarks page and each paper's benchmark block, from the committed result file.

The newest ``benchmarks/results/<version>/{full,quick,custom}.json`` (see
:func:`zoo.bench.results.find_results`) is read once per build — no PyTorch needed — and turned
into what the templates print: table rows with a display text and a sort key per cell, the
targets, the run's machine and versions, and two kinds of SVG plot (:mod:`zoo.site.plots`):
accuracy against FLOPs per model, and measured against theoretical speed-up. A malformed file
fails the build and names itself; no file at all gives a page that says how to make one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ..bench.results import ResultsError, find_results, load_results
from .plots import Plot, PointSpec, scatter, si

__all__ = [
    "PAGE_URI",
    "BenchView",
    "Cell",
    "MethodBench",
    "ResultsError",
    "TableRow",
    "accuracy_plots",
    "load_bench_view",
    "speedup_plots",
]

Row = dict[str, Any]
PAGE_URI = "benchmarks.md"


@dataclass(frozen=True)
class Cell:
    """One table cell: what it shows, what it sorts by (numbers sort numerically), a tooltip."""

    text: str
    sort: str | float | None = None
    title: str = ""
    numeric: bool = True


@dataclass(frozen=True)
class TableRow:
    row: Row
    paper: str | None  # catalog id to link, when the catalog has the paper
    cells: tuple[Cell, ...]

    @property
    def status(self) -> str:
        return str(self.row.get("status", "ok"))


def _num(value: float | None, digits: int = 2, suffix: str = "") -> Cell:
    if value is None:
        return Cell("–", None)
    return Cell(f"{value:.{digits}f}{suffix}", value)


def _pct(stats: dict[str, Any] | None) -> Cell:
    if not stats:
        return Cell("–", None)
    mean, std, n = 100 * stats["mean"], 100 * stats["std"], len(stats["values"])
    text = f"{mean:.1f} ± {std:.1f}" if n > 1 else f"{mean:.1f}"
    return Cell(text, mean, title=" / ".join(f"{100 * v:.1f}" for v in stats["values"])
                + f" % over {n} seed{'s' * (n != 1)}")


def _batch(row: Row, key: str, batch: str) -> float | None:
    return (row.get(key) or {}).get(batch)


def _delta(row: Row) -> Cell:
    delta = row.get("accuracy_delta_points")
    tolerance = row.get("tolerance") or {}
    if delta is None:
        return Cell("–", None)
    mark = "" if row["kind"] == "baseline" else (" ✓" if tolerance.get("within") else " ✗")
    title = (f"tolerance: {tolerance.get('text')} ({tolerance.get('source')})"
             if tolerance else "")
    return Cell(f"{delta:+.1f}{mark}", delta, title=title)


def _in_ort(row: Row) -> bool:
    """Whether the row's model runs in ONNX Runtime only (its ``latency_ms`` is ORT's)."""
    return row.get("runtime") == "onnxruntime"


def _size(row: Row) -> Cell:
    size, packed = row.get("size_bytes"), row.get("packed_bytes")
    if size is None:
        return Cell("–", None)
    text = f"{size / 1024:.1f}"
    title = "bytes of the .onnx file" if _in_ort(row) else "torch.save(state_dict) bytes"
    if packed:
        text += f" ({packed / 1024:.1f})"
        title += "; in parentheses: the weights packed at their bit widths"
    return Cell(text, size / 1024, title=title)


def _speedup(row: Row, batch: str) -> Cell:
    value = _batch(row, "speedup", batch)
    if value is None:
        return Cell("–", None)
    eager = _batch(row, "speedup_eager", batch)
    title = ("ONNX Runtime, against the baseline in ONNX Runtime" if _in_ort(row) else
             f"as trained (BatchNorm not folded): {eager:.2f}×" if eager is not None else "")
    return Cell(f"{value:.2f}×", value, title=title)


def _torch_latency(row: Row, batch: str, digits: int) -> Cell:
    if _in_ort(row):
        return Cell("–", None, title="runs in ONNX Runtime only: see the ORT columns")
    return _num(_batch(row, "latency_ms", batch), digits)


def _ort_latency(row: Row, batch: str, digits: int) -> Cell:
    """ONNX Runtime latency; the tooltip says how the model was exported, or why it was not."""
    ort = row.get("ort") or {}
    if ort.get("error"):
        return Cell("–", None, title=f"not exported: {ort['error']}")
    cell = _num(_batch(row, "latency_ort_ms", batch), digits)
    if ort.get("exporter"):
        how = (f"ONNX Runtime static int8 ({ort['quantization']}) of the float model exported "
               if ort.get("quantization") else "exported ")
        diff = (f"; max |ORT − PyTorch| {ort['max_abs_diff']:g} on the check inputs"
                if ort.get("max_abs_diff") is not None else "")
        cell = Cell(cell.text, cell.sort,
                    title=f"{how}by torch.onnx's {ort['exporter']} exporter, opset "
                    f"{ort['opset']}{diff}")
    return cell


def _versus(peer: Row) -> str:
    lat = peer["latency_ratio"].get("64")
    return f"{lat:.2f}× / {peer['accuracy_delta_points']:+.1f}" if lat is not None else "–"


def _vs_peer(row: Row) -> Cell:
    peer = row.get("vs_peer")
    if not peer:
        return Cell("–", None)
    more = row.get("vs_more_peers") or []
    titles = [f"vs {p['peer']}: batch-64 latency ours ÷ peer {p['latency_ratio'].get('64')}"
              + (f" (both in ONNX Runtime: {p['ort_latency_ratio'].get('64')})"
                 if p.get("ort_latency_ratio") else "")
              + f", accuracy ours ÷ peer {p['accuracy_ratio']}, difference "
              f"{p['accuracy_delta_points']:+.2f} points" for p in (peer, *more)]
    text = " · ".join([_versus(peer), *(f"{p['peer']} {_versus(p)}" for p in more)])
    return Cell(text, peer["latency_ratio"].get("64"), title="; ".join(titles))


_ORT = "CPUExecutionProvider, same threads, timed in the same session as PyTorch"

COLUMNS: tuple[tuple[str, str, Callable[[Row], Cell]], ...] = (
    ("Model", "the benchmark model", lambda r: Cell(r["model"], r["model"], numeric=False)),
    ("Kind", "zoo method, peer library, reference or baseline",
     lambda r: Cell(r["kind"], r["kind"], numeric=False)),
    ("Accuracy %", "test accuracy, mean ± sample standard deviation over the seeds",
     lambda r: _pct(r.get("accuracy"))),
    ("Δ pts", "accuracy minus the baseline's, in points; ✓ within the method's stated tolerance",
     _delta),
    ("Params k", "parameters (thousands)",
     lambda r: _num(r["params"] / 1e3 if r.get("params") is not None else None, 1)),
    ("MFLOPs", "FLOPs of one forward pass of one input (millions; a multiply-add is 2)",
     lambda r: _num(r["flops"] / 1e6 if r.get("flops") is not None else None, 2)),
    ("FLOP ÷", "FLOP reduction: baseline FLOPs ÷ FLOPs", lambda r: _num(r.get("flop_reduction"),
                                                                      2, "×")),
    ("Size KiB", "serialized size (packed size of fake-quantised weights)", _size),
    ("ms @1", "median CPU latency in PyTorch at batch 1 (ms)",
     lambda r: _torch_latency(r, "1", 3)),
    ("ms @64", "median CPU latency in PyTorch at batch 64 (ms)",
     lambda r: _torch_latency(r, "64", 2)),
    ("ORT ms @1", f"median ONNX Runtime latency at batch 1 (ms; {_ORT})",
     lambda r: _ort_latency(r, "1", 3)),
    ("ORT ms @64", f"median ONNX Runtime latency at batch 64 (ms; {_ORT})",
     lambda r: _ort_latency(r, "64", 2)),
    ("Speed-up @64", "baseline latency ÷ latency at batch 64 (in the row's runtime)",
     lambda r: _speedup(r, "64")),
    ("Real share", "batch-64 speed-up ÷ FLOP reduction: how much of the theoretical gain the "
     "CPU delivers", lambda r: _num(_batch(r, "speedup_over_flop_reduction", "64"), 2)),
    ("vs peer", "batch-64 latency ours ÷ peer / accuracy difference in points", _vs_peer),
)


# Columns shown only when some row of the file has their figures (older files, and runs
# without `aladin bench --ort`, have no ONNX Runtime latency).
_OPTIONAL = {"ORT ms @1": "latency_ort_ms", "ORT ms @64": "latency_ort_ms"}


def _cells(row: Row) -> tuple[Cell, ...]:
    """Every column's cell; a failed row shows only its model and kind (the error is shown)."""
    ok = row.get("status") == "ok"
    return tuple(column(row) if ok or i < 2 else Cell("", None)
                 for i, (_, _, column) in enumerate(COLUMNS))


@dataclass(frozen=True)
class MethodBench:
    """One zoo method's numbers for its paper page."""

    name: str
    rows: tuple[TableRow, ...]
    entry: dict[str, Any] | None  # the result file's "methods" entry (status, reason, setting)


@dataclass(frozen=True)
class BenchView:
    """A loaded result file, shaped for the templates."""

    results: dict[str, Any]
    source: str  # repository-relative path of the file
    known_papers: frozenset[str]

    @property
    def rows(self) -> list[Row]:
        return self.results["rows"]

    @cached_property
    def _shown(self) -> tuple[int, ...]:
        """Indexes of the columns shown: all but optional ones no row has figures for."""
        return tuple(i for i, (name, _, _) in enumerate(COLUMNS)
                     if name not in _OPTIONAL or any(_OPTIONAL[name] in r for r in self.rows))

    @cached_property
    def table(self) -> list[TableRow]:
        return [TableRow(r, r.get("paper") if r.get("paper") in self.known_papers else None,
                         tuple(_cells(r)[i] for i in self._shown)) for r in self.rows]

    @property
    def has_ort(self) -> bool:
        """Whether the ONNX Runtime columns are shown (some row was timed in ORT)."""
        return any(COLUMNS[i][0] in _OPTIONAL for i in self._shown)

    @cached_property
    def ort_complete(self) -> bool:
        """Whether every finished row went to ONNX Runtime (timed, or why not: ``--ort``)."""
        return all("ort" in r for r in self.rows if r.get("status") == "ok")

    @cached_property
    def ort_rows(self) -> list[str]:
        """Rows (method names) that run in ONNX Runtime only."""
        return list(dict.fromkeys(r["method"] for r in self.rows if _in_ort(r)))

    @property
    def columns(self) -> list[tuple[str, str]]:
        return [(COLUMNS[i][0], COLUMNS[i][1]) for i in self._shown]

    def for_method(self, name: str) -> MethodBench:
        entries = {m["method"]: m for m in self.results["methods"]}
        return MethodBench(name, tuple(t for t in self.table
                                       if t.row.get("runs", t.row["method"]) == name),
                           entries.get(name))

    @cached_property
    def not_benchmarked(self) -> list[dict[str, Any]]:
        return [m for m in self.results["methods"] if not m.get("models")]

    @cached_property
    def own_settings(self) -> list[dict[str, Any]]:
        return [m for m in self.results["methods"] if m.get("models") and m.get("own_setting")]

    @cached_property
    def peers(self) -> list[tuple[str, str, str]]:
        seen: dict[str, tuple[str, str, str]] = {}
        for r in self.rows:
            if r["kind"] == "peer" and r["method"] not in seen:
                seen[r["method"]] = (r["method"], r.get("library") or "", r.get("setting") or "")
        return list(seen.values())

    @property
    def sweep(self) -> list[Row]:
        """The pruning sweep's records (absent from files written before it existed)."""
        return self.results.get("sweep") or []

    @cached_property
    def plots(self) -> list[Plot]:
        return accuracy_plots(self.rows) + speedup_plots(self.rows, self.sweep)


def _series(row: Row) -> str:
    if row["kind"] in ("baseline", "peer", "reference"):
        return row["kind"]
    return str(row.get("category") or "method")


def _ok(rows: Sequence[Row]) -> list[Row]:
    return [r for r in rows if r.get("status") == "ok"]


def accuracy_plots(rows: Sequence[Row]) -> list[Plot]:
    """Accuracy against FLOPs (log scale), one plot per model with at least two rows."""
    plots = []
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in _ok(rows) if r["model"] == model and r.get("flops")]
        if len(mine) < 2:
            continue
        specs = [PointSpec(r["flops"], 100 * r["accuracy"]["mean"], r["method"], _series(r),
                           title=f"{r['method']} on {model}: {100 * r['accuracy']['mean']:.1f} %"
                           f", {si(r['flops'])}FLOPs") for r in mine]
        plots.append(scatter(specs, x_label="FLOPs per input (log scale)",
                             y_label="test accuracy (%)", x_log=True, y_fmt="",
                             title=f"Accuracy vs FLOPs — {model}"))
    return plots


def speedup_plots(rows: Sequence[Row], sweep: Sequence[Row] = ()) -> list[Plot]:
    """Measured batch-64 speed-up against the FLOP reduction, every model, both log scales;
    the pruning sweep's points as one series per scheme."""
    specs = [
        PointSpec(r["flop_reduction"], r["speedup"]["64"], r["method"], _series(r),
                  title=f"{r['method']} on {r['model']}: FLOPs ÷{r['flop_reduction']:.2f}, "
                  f"measured ×{r['speedup']['64']:.2f} at batch 64")
        for r in _ok(rows)
        if r["kind"] != "baseline" and r.get("flop_reduction") and
        (r.get("speedup") or {}).get("64")
    ] + [
        PointSpec(p["flop_reduction"], p["speedup"]["64"], f"{p['pruning_ratio']:g}",
                  f"sweep: {p['scheme']}",
                  title=f"{p['method']} {p['scheme']} at ratio {p['pruning_ratio']:g} on "
                  f"{p['model']} (not fine-tuned): FLOPs ÷{p['flop_reduction']:.2f}, measured "
                  f"×{p['speedup']['64']:.2f} at batch 64")
        for p in sweep if p.get("flop_reduction") and (p.get("speedup") or {}).get("64")
    ]
    if not specs:
        return []
    return [scatter(specs, x_label="theoretical speed-up: FLOP reduction (log)",
                    y_label="measured speed-up at batch 64 (log)", x_log=True, y_log=True,
                    x_fmt="×", y_fmt="×", diagonals=((1.0, "measured = theoretical", False),
                                                    (0.8, "0.8 × theoretical", True)),
                    title="Measured vs theoretical speed-up (batch 64)")]


def load_bench_view(repo_root: Path, known_papers: frozenset[str]) -> BenchView | None:
    """The view of the committed results under ``repo_root``; ``None`` when there are none.

    Raises :class:`~zoo.bench.results.ResultsError` naming the file when it is malformed.
    """
    path = find_results(repo_root)
    if path is None:
        return None
    results = load_results(path)
    try:
        source = path.relative_to(repo_root).as_posix()
    except ValueError:  # pragma: no cover - find_results only looks under repo_root
        source = str(path)
    return BenchView(results, source, known_papers)

