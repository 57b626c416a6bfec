"""The Benchmarks page and each paper's benchmark block, from the committed result file.

The newest ``benchmarks/results/<version>/{full,quick,custom}.json`` (see
:func:`zoo.bench.results.find_results`) is read once per build — no PyTorch needed — and turned
into what the templates print: table rows with a display text and a sort key per cell, the
targets, the run's machine and versions, and two kinds of SVG plot (:mod:`zoo.site.plots`):
accuracy against FLOPs per model, and measured against theoretical speed-up. Column names,
tooltips and plot texts are in the view's language (:mod:`zoo.site.i18n`); the figures, and the
texts the result file records, stay as written. A malformed file fails the build and names
itself; no file at all gives a page that says how to make one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from ..bench.results import ResultsError, find_results, load_results
from .i18n import translator
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
Translate = Callable[..., str]  # zoo.site.i18n.translator's t(text, **values)
PAGE_URI = "benchmarks.md"
ENGLISH = translator("en")


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


def _pct(stats: dict[str, Any] | None, t: Translate) -> Cell:
    if not stats:
        return Cell("–", None)
    mean, std, n = 100 * stats["mean"], 100 * stats["std"], len(stats["values"])
    text = f"{mean:.1f} ± {std:.1f}" if n > 1 else f"{mean:.1f}"
    values = " / ".join(f"{100 * v:.1f}" for v in stats["values"])
    return Cell(text, mean, title=t("{values} % over {n} seed" if n == 1 else
                                    "{values} % over {n} seeds", values=values, n=n))


def _batch(row: Row, key: str, batch: str) -> float | None:
    return (row.get(key) or {}).get(batch)


def _delta(row: Row, t: Translate) -> Cell:
    delta = row.get("accuracy_delta_points")
    tolerance = row.get("tolerance") or {}
    if delta is None:
        return Cell("–", None)
    mark = "" if row["kind"] == "baseline" else (" ✓" if tolerance.get("within") else " ✗")
    title = (t("tolerance: {tolerance} ({source})", tolerance=tolerance.get("text"),
               source=tolerance.get("source")) if tolerance else "")
    return Cell(f"{delta:+.1f}{mark}", delta, title=title)


def _in_ort(row: Row) -> bool:
    """Whether the row's model runs in ONNX Runtime only (its ``latency_ms`` is ORT's)."""
    return row.get("runtime") == "onnxruntime"


def _size(row: Row, t: Translate) -> Cell:
    size, packed = row.get("size_bytes"), row.get("packed_bytes")
    if size is None:
        return Cell("–", None)
    text = f"{size / 1024:.1f}"
    title = t("bytes of the .onnx file" if _in_ort(row) else "torch.save(state_dict) bytes")
    if packed:
        text += f" ({packed / 1024:.1f})"
        title += t("; in parentheses: the weights packed at their bit widths")
    return Cell(text, size / 1024, title=title)


def _speedup(row: Row, batch: str, t: Translate) -> Cell:
    value = _batch(row, "speedup", batch)
    if value is None:
        return Cell("–", None)
    eager = _batch(row, "speedup_eager", batch)
    title = (t("ONNX Runtime, against the baseline in ONNX Runtime") if _in_ort(row) else
             t("as trained (BatchNorm not folded): {speedup}×", speedup=f"{eager:.2f}")
             if eager is not None else "")
    return Cell(f"{value:.2f}×", value, title=title)


def _torch_latency(row: Row, batch: str, digits: int, t: Translate) -> Cell:
    if _in_ort(row):
        return Cell("–", None, title=t("runs in ONNX Runtime only: see the ORT columns"))
    return _num(_batch(row, "latency_ms", batch), digits)


def _ort_latency(row: Row, batch: str, digits: int, t: Translate) -> Cell:
    """ONNX Runtime latency; the tooltip says how the model was exported, or why it was not."""
    ort = row.get("ort") or {}
    if ort.get("error"):
        return Cell("–", None, title=t("not exported: {error}", error=ort["error"]))
    cell = _num(_batch(row, "latency_ort_ms", batch), digits)
    if ort.get("exporter"):
        how = t("ONNX Runtime static int8 ({quantization}) of the float model exported by "
                "torch.onnx's {exporter} exporter, opset {opset}" if ort.get("quantization") else
                "exported by torch.onnx's {exporter} exporter, opset {opset}",
                quantization=ort.get("quantization"), exporter=ort["exporter"],
                opset=ort["opset"])
        diff = (t("; max |ORT − PyTorch| {diff} on the check inputs",
                  diff=f"{ort['max_abs_diff']:g}") if ort.get("max_abs_diff") is not None else "")
        cell = Cell(cell.text, cell.sort, title=how + diff)
    return cell


def _versus(peer: Row) -> str:
    lat = peer["latency_ratio"].get("64")
    return f"{lat:.2f}× / {peer['accuracy_delta_points']:+.1f}" if lat is not None else "–"


def _vs_peer(row: Row, t: Translate) -> Cell:
    peer = row.get("vs_peer")
    if not peer:
        return Cell("–", None)
    more = row.get("vs_more_peers") or []
    titles = [t("vs {peer}: batch-64 latency ours ÷ peer {latency} (both in ONNX Runtime: "
                "{ort_latency}), accuracy ours ÷ peer {accuracy}, difference {points} points"
                if p.get("ort_latency_ratio") else
                "vs {peer}: batch-64 latency ours ÷ peer {latency}, accuracy ours ÷ peer "
                "{accuracy}, difference {points} points",
                peer=p["peer"], latency=p["latency_ratio"].get("64"),
                ort_latency=(p.get("ort_latency_ratio") or {}).get("64"),
                accuracy=p["accuracy_ratio"], points=f"{p['accuracy_delta_points']:+.2f}")
              for p in (peer, *more)]
    text = " · ".join([_versus(peer), *(f"{p['peer']} {_versus(p)}" for p in more)])
    return Cell(text, peer["latency_ratio"].get("64"), title=t("; ").join(titles))


_ORT = "CPUExecutionProvider, same threads, timed in the same session as PyTorch"

# (name, tooltip, cell of a row with tooltips in the language of ``t``); names and tooltips are
# translated by BenchView.columns.
COLUMNS: tuple[tuple[str, str, Callable[[Row, Translate], Cell]], ...] = (
    ("Model", "the benchmark model", lambda r, t: Cell(r["model"], r["model"], numeric=False)),
    ("Kind", "zoo method, peer library, reference or baseline",
     lambda r, t: Cell(r["kind"], r["kind"], numeric=False)),
    ("Accuracy %", "test accuracy, mean ± sample standard deviation over the seeds",
     lambda r, t: _pct(r.get("accuracy"), t)),
    ("Δ pts", "accuracy minus the baseline's, in points; ✓ within the method's stated tolerance",
     _delta),
    ("Params k", "parameters (thousands)",
     lambda r, t: _num(r["params"] / 1e3 if r.get("params") is not None else None, 1)),
    ("MFLOPs", "FLOPs of one forward pass of one input (millions; a multiply-add is 2)",
     lambda r, t: _num(r["flops"] / 1e6 if r.get("flops") is not None else None, 2)),
    ("FLOP ÷", "FLOP reduction: baseline FLOPs ÷ FLOPs",
     lambda r, t: _num(r.get("flop_reduction"), 2, "×")),
    ("Size KiB", "serialized size (packed size of fake-quantised weights)", _size),
    ("ms @1", "median CPU latency in PyTorch at batch 1 (ms)",
     lambda r, t: _torch_latency(r, "1", 3, t)),
    ("ms @64", "median CPU latency in PyTorch at batch 64 (ms)",
     lambda r, t: _torch_latency(r, "64", 2, t)),
    ("ORT ms @1", f"median ONNX Runtime latency at batch 1 (ms; {_ORT})",
     lambda r, t: _ort_latency(r, "1", 3, t)),
    ("ORT ms @64", f"median ONNX Runtime latency at batch 64 (ms; {_ORT})",
     lambda r, t: _ort_latency(r, "64", 2, t)),
    ("Speed-up @64", "baseline latency ÷ latency at batch 64 (in the row's runtime)",
     lambda r, t: _speedup(r, "64", t)),
    ("Real share", "batch-64 speed-up ÷ FLOP reduction: how much of the theoretical gain the "
     "CPU delivers", lambda r, t: _num(_batch(r, "speedup_over_flop_reduction", "64"), 2)),
    ("vs peer", "batch-64 latency ours ÷ peer / accuracy difference in points", _vs_peer),
)


# Columns shown only when some row of the file has their figures (older files, and runs
# without `aladin bench --ort`, have no ONNX Runtime latency).
_OPTIONAL = {"ORT ms @1": "latency_ort_ms", "ORT ms @64": "latency_ort_ms"}


def _cells(row: Row, t: Translate) -> tuple[Cell, ...]:
    """Every column's cell; a failed row shows only its model and kind (the error is shown)."""
    ok = row.get("status") == "ok"
    return tuple(column(row, t) if ok or i < 2 else Cell("", None)
                 for i, (_, _, column) in enumerate(COLUMNS))


@dataclass(frozen=True)
class MethodBench:
    """One zoo method's numbers for its paper page."""

    name: str
    rows: tuple[TableRow, ...]
    entry: dict[str, Any] | None  # the result file's "methods" entry (status, reason, setting)


@dataclass(frozen=True)
class BenchView:
    """A loaded result file, shaped for the templates, its column names, tooltips and plots in
    ``lang``."""

    results: dict[str, Any]
    source: str  # repository-relative path of the file
    known_papers: frozenset[str]
    lang: str = "en"

    @cached_property
    def t(self) -> Translate:
        return translator(self.lang)

    def in_language(self, lang: str) -> BenchView:
        return self if lang == self.lang else replace(self, lang=lang)

    @cached_property
    def english(self) -> BenchView:
        """The same view in English (the paper pages' benchmark block is English)."""
        return self.in_language("en")

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
                         tuple(_cells(r, self.t)[i] for i in self._shown)) for r in self.rows]

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
        """(name, tooltip) of each column shown."""
        return [(self.t(COLUMNS[i][0]), self.t(COLUMNS[i][1])) for i in self._shown]

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
        return accuracy_plots(self.rows, self.t) + speedup_plots(self.rows, self.sweep, self.t)


def _series(row: Row) -> str:
    if row["kind"] in ("baseline", "peer", "reference"):
        return row["kind"]
    return str(row.get("category") or "method")


_SWEEP = "sweep: "  # the series of a pruning sweep's scheme


def _names(specs: Sequence[PointSpec], t: Translate) -> dict[str, str]:
    """The legend's name of each series: a kind or category (its translation), or a sweep."""
    return {s: t("sweep: {scheme}", scheme=s.removeprefix(_SWEEP)) if s.startswith(_SWEEP)
            else t(s) for s in {p.series for p in specs}}


def _ok(rows: Sequence[Row]) -> list[Row]:
    return [r for r in rows if r.get("status") == "ok"]


def accuracy_plots(rows: Sequence[Row], t: Translate = ENGLISH) -> list[Plot]:
    """Accuracy against FLOPs (log scale), one plot per model with at least two rows."""
    plots = []
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in _ok(rows) if r["model"] == model and r.get("flops")]
        if len(mine) < 2:
            continue
        specs = [PointSpec(r["flops"], 100 * r["accuracy"]["mean"], r["method"], _series(r),
                           title=t("{method} on {model}: {accuracy} %, {flops}FLOPs",
                                   method=r["method"], model=model,
                                   accuracy=f"{100 * r['accuracy']['mean']:.1f}",
                                   flops=si(r["flops"]))) for r in mine]
        plots.append(scatter(specs, x_label=t("FLOPs per input (log scale)"),
                             y_label=t("test accuracy (%)"), x_log=True, y_fmt="",
                             title=t("Accuracy vs FLOPs — {model}", model=model),
                             names=_names(specs, t)))
    return plots


def speedup_plots(rows: Sequence[Row], sweep: Sequence[Row] = (),
                  t: Translate = ENGLISH) -> list[Plot]:
    """Measured batch-64 speed-up against the FLOP reduction, every model, both log scales;
    the pruning sweep's points as one series per scheme."""
    specs = [
        PointSpec(r["flop_reduction"], r["speedup"]["64"], r["method"], _series(r),
                  title=t("{method} on {model}: FLOPs ÷{reduction}, measured ×{speedup} at "
                          "batch 64", method=r["method"], model=r["model"],
                          reduction=f"{r['flop_reduction']:.2f}",
                          speedup=f"{r['speedup']['64']:.2f}"))
        for r in _ok(rows)
        if r["kind"] != "baseline" and r.get("flop_reduction") and
        (r.get("speedup") or {}).get("64")
    ] + [
        PointSpec(p["flop_reduction"], p["speedup"]["64"], f"{p['pruning_ratio']:g}",
                  f"{_SWEEP}{p['scheme']}",
                  title=t("{method} {scheme} at ratio {ratio} on {model} (not fine-tuned): "
                          "FLOPs ÷{reduction}, measured ×{speedup} at batch 64",
                          method=p["method"], scheme=p["scheme"],
                          ratio=f"{p['pruning_ratio']:g}", model=p["model"],
                          reduction=f"{p['flop_reduction']:.2f}",
                          speedup=f"{p['speedup']['64']:.2f}"))
        for p in sweep if p.get("flop_reduction") and (p.get("speedup") or {}).get("64")
    ]
    if not specs:
        return []
    return [scatter(specs, x_label=t("theoretical speed-up: FLOP reduction (log)"),
                    y_label=t("measured speed-up at batch 64 (log)"), x_log=True, y_log=True,
                    x_fmt="×", y_fmt="×",
                    diagonals=((1.0, t("measured = theoretical"), False),
                               (0.8, t("0.8 × theoretical"), True)),
                    title=t("Measured vs theoretical speed-up (batch 64)"), names=_names(specs, t))]


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

