"""The Benchmarks page's language-model part, from the two committed language result files.

``benchmarks/results/language.json`` (quantisation: GPTQ, AWQ, SmoothQuant beside RTN, naive
W8A8, llmcompressor and torchao; written by :func:`zoo.bench.language.main`) and
``benchmarks/results/lm-pruning.json`` (one-shot sparsity, LLM-Pruner and distillation beside
llmcompressor; :func:`zoo.bench.lm_pruning.main`) are read once per build, without PyTorch, and
shaped into table rows (:class:`~zoo.site.benchmarks.Cell` per column), the targets with the
figures each was judged on, and the run's caveats. Only what a file records is shown: a column
whose figure a row lacks prints "–". A malformed file fails the build naming itself
(:class:`~zoo.bench.results.ResultsError`); a missing one leaves its part saying how to make it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from ..bench.results import ResultsError
from .benchmarks import Cell

__all__ = ["LANGUAGE_FILE", "PRUNING_FILE", "LMTable", "LMTarget", "LanguageView",
           "load_language_view"]

Row = dict[str, Any]
LANGUAGE_FILE = "benchmarks/results/language.json"
PRUNING_FILE = "benchmarks/results/lm-pruning.json"
# peer libraries, by preference: a row named "<prefix>-<our row>" is that row's peer
PEER_PREFIXES = ("llmcompressor", "torchao")


def _read(path: Path, source: str, row_keys: tuple[str, ...],
          target_keys: tuple[str, ...]) -> dict[str, Any]:
    """The file, checked for what the page prints; :class:`ResultsError` naming it otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{source}: cannot read language-model benchmark results: "
                           f"{' '.join(str(exc).split())}") from exc
    if not isinstance(data, dict):
        raise ResultsError(f"{source}: not a language-model result file (expected an object)")
    for key in ("rows", "targets"):
        if not isinstance(data.get(key), list) or not all(isinstance(x, dict) for x in data[key]):
            raise ResultsError(f"{source}: '{key}' must be a list of objects")
    for key, items, wanted in (("rows", data["rows"], row_keys),
                               ("targets", data["targets"], target_keys)):
        for i, item in enumerate(items):
            missing = [k for k in wanted if k not in item]
            if missing:
                raise ResultsError(f"{source}: {key}[{i}] has no {', '.join(missing)}")
    return data


def _num(value: Any, digits: int = 2, suffix: str = "", title: str = "") -> Cell:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return Cell("–", None)
    return Cell(f"{value:.{digits}f}{suffix}", float(value), title=title)


def _relative(value: Any, base: Any, title: str = "") -> Cell:
    """``value`` against ``base`` in percent, signed; "–" without both."""
    if not all(isinstance(x, (int, float)) for x in (value, base)) or not base:
        return Cell("–", None)
    change = 100 * (value / base - 1)
    return Cell(f"{change:+.2f} %", change, title=title)


def _against(row: Row, reference: Row | None, what: str) -> Cell:
    """``row``'s perplexity change against ``reference`` (none, or the row itself: a dash)."""
    if reference is None or reference is row:
        return Cell("–", None)
    return _relative(row.get("perplexity"), reference.get("perplexity"),
                     f"perplexity change against {what} ({reference.get('perplexity', 0):.2f})")


def _text(value: Any) -> Cell:
    return Cell(str(value) if value not in (None, "") else "–", str(value or ""), numeric=False)


@dataclass(frozen=True)
class LMRow:
    """One table row: the record, its paper (catalog id) when the method is a zoo method with its
    paper in the catalog, whether it is a peer library's row, and the cells after the method."""

    row: Row
    paper: str | None
    peer: bool
    cells: tuple[Cell, ...]

    @property
    def failed(self) -> bool:
        return self.row.get("status", "ok") != "ok"

    @property
    def anchor(self) -> str:
        row = self.row  # the quantisation file names its rows; the pruning file's repeat methods
        name = row.get("name") or f"{row.get('section')}-{row['method']}-{row.get('setting', '')}"
        slug = "".join(c if c.isalnum() else "-" for c in str(name).lower())
        return "lm-" + "-".join(part for part in slug.split("-") if part)


@dataclass(frozen=True)
class LMTable:
    """One table: its anchor, its column headings with their tooltips, its rows."""

    id: str
    columns: tuple[tuple[str, str], ...]
    rows: tuple[LMRow, ...]


@dataclass(frozen=True)
class LMTarget:
    """One target as the file judged it: its text, met or missed, the figures it compared."""

    text: str
    met: bool
    detail: str


Column = tuple[str, str, Callable[[Row], Cell]]


def _table(id_: str, rows: list[Row], columns: tuple[Column, ...],
           papers: Mapping[str, str]) -> LMTable:
    """Columns shown are those some row has a figure for (older files lack some)."""
    built = [tuple(column(r) for _, _, column in columns) for r in rows]
    shown = [i for i, _ in enumerate(columns)
             if any(cells[i].sort is not None for cells in built)]
    return LMTable(id_, tuple((columns[i][0], columns[i][1]) for i in shown), tuple(
        LMRow(r, papers.get(str(r["method"])), str(r["method"]).startswith(PEER_PREFIXES) or
              r.get("kind") == "peer", tuple(cells[i] for i in shown))
        for r, cells in zip(rows, built, strict=True)))


def _fmt(value: Any) -> str:
    """A judged figure: perplexities with two decimals, ratios and differences with four
    significant digits."""
    if not isinstance(value, float):
        return str(value)
    return f"{value:.2f}" if abs(value) >= 10 else f"{value:.4g}"


@dataclass(frozen=True)
class LanguageView:
    """The two language-model result files (either may be absent), shaped for the template."""

    quantization: dict[str, Any] | None
    pruning: dict[str, Any] | None
    papers: Mapping[str, str]  # zoo method name -> catalog paper id, for papers in the catalog
    quantization_source: str = LANGUAGE_FILE
    pruning_source: str = PRUNING_FILE

    # --- quantisation ------------------------------------------------------------------------

    def _reference(self, row: Row) -> Row | None:
        """The fp32 row of the same model."""
        rows = (self.quantization or {}).get("rows", [])
        return next((r for r in rows if r["method"] == "fp32" and r.get("model") == row.get("model")
                     and r.get("status", "ok") == "ok"), None)

    def _quant_peer(self, row: Row) -> Row | None:
        """The peer library's row for the same setting: named ``<prefix>-<our row's name>``
        (llmcompressor first, then torchao)."""
        by_name = {r.get("name"): r for r in (self.quantization or {}).get("rows", [])}
        return next((by_name[f"{prefix}-{row.get('name')}"] for prefix in PEER_PREFIXES
                     if f"{prefix}-{row.get('name')}" in by_name), None)

    def _vs_fp32(self, row: Row) -> Cell:
        return _against(row, self._reference(row), "fp32 on the same model")

    def _vs_quant_peer(self, row: Row) -> Cell:
        peer = self._quant_peer(row)
        if peer is None:
            return Cell("–", None)
        if peer.get("status", "ok") != "ok":
            return Cell("peer failed", None, title=f"{peer['method']}: {peer.get('error', '')}",
                        numeric=False)
        return _relative(row.get("perplexity"), peer.get("perplexity"),
                         f"perplexity against {peer['method']} ({peer['setting']}): "
                         f"{peer.get('perplexity', 0):.2f}")

    @staticmethod
    def _size(row: Row) -> Cell:
        sizes = row.get("bytes") or {}
        packed, fp32 = sizes.get("packed_linear"), sizes.get("fp32_linear")
        if not isinstance(packed, (int, float)):
            return Cell("–", None)
        share = f" ({100 * packed / fp32:.1f} %)" if fp32 else ""
        title = (f"Linear weights packed at their bit width ÷ their fp32 bytes ({fp32} B)"
                 + (f"; whole file {sizes['file']} B" if sizes.get("file") else ""))
        return Cell(f"{packed / 1024:.1f}{share}", packed / 1024, title=title)

    @cached_property
    def quantization_table(self) -> LMTable | None:
        if self.quantization is None:
            return None
        columns: tuple[Column, ...] = (
            ("Model", "the trained model, or the same model with outlier channels injected",
             lambda r: _text(r.get("model"))),
            ("Kind", "zoo method, peer library or reference", lambda r: _text(r.get("kind"))),
            ("Bits / group", "weight (and activation) bits, quantisation group size",
             lambda r: _text(r.get("setting"))),
            ("Perplexity", "validation perplexity", lambda r: _num(r.get("perplexity"), 2)),
            ("vs fp32", "perplexity change against the fp32 model", self._vs_fp32),
            ("vs peer", "perplexity against the peer library (llmcompressor, else torchao) at the "
             "same setting", self._vs_quant_peer),
            ("Packed Linear KiB", "Linear weights packed at their bit width (share of fp32)",
             self._size),
            ("Quantise s", "time to quantise (seconds)",
             lambda r: _num(r.get("quantize_seconds"), 2)),
            ("Forward ms", "median forward of a batch of 8 × 128 tokens (ms)",
             lambda r: _num(r.get("forward_ms_8x128"), 1)),
            ("Generate ms", "median 64-token greedy generation (ms)",
             lambda r: _num(r.get("generate_ms_64"), 1)),
        )
        return _table("lm-quantization", self.quantization["rows"], columns, self.papers)

    # --- pruning and distillation ------------------------------------------------------------

    def _section(self, name: str) -> list[Row]:
        return [r for r in (self.pruning or {}).get("rows", []) if r.get("section") == name]

    def _pruning_peer(self, row: Row) -> Row | None:
        """llmcompressor's pruner at the same setting (the only pruning peer)."""
        return next((r for r in self._section(str(row.get("section")))
                     if r["method"] == f"{PEER_PREFIXES[0]}-{row['method']}"
                     and r.get("setting") == row.get("setting")), None)

    def _vs_dense(self, row: Row, base: str = "dense") -> Cell:
        dense = next((r for r in self._section(str(row.get("section")))
                      if r["method"] == base), None)
        return _against(row, dense, f"the {base} model of the same run")

    def _vs_pruning_peer(self, row: Row) -> Cell:
        peer = self._pruning_peer(row)
        if peer is None:
            return Cell("–", None)
        return _relative(row.get("perplexity"), peer.get("perplexity"),
                         f"perplexity against {peer['method']}: {peer.get('perplexity', 0):.2f}")

    def _pruning_table(self, name: str, columns: tuple[Column, ...]) -> LMTable | None:
        rows = self._section(name)
        return _table(f"lm-{name}", rows, columns, self.papers) if rows else None

    @cached_property
    def sparsity_table(self) -> LMTable | None:
        return self._pruning_table("sparsity", (
            ("Sparsity", "share of weights set to zero, and its pattern",
             lambda r: _text(r.get("setting"))),
            ("Perplexity", "validation perplexity (one-shot, no recovery)",
             lambda r: _num(r.get("perplexity"), 2)),
            ("vs dense", "perplexity change against the dense model", self._vs_dense),
            ("vs peer", "perplexity against llmcompressor's modifier at the same setting",
             self._vs_pruning_peer),
            ("File KiB", "bitmask safetensors file (share of the dense file)",
             lambda r: _num(r["file_bytes"] / 1024 if isinstance(r.get("file_bytes"), int)
                            else None, 1, f" ({100 * r.get('file_vs_dense', 0):.1f} %)"
                            if r.get("file_vs_dense") else "")),
            ("Prune s", "time to prune (seconds)", lambda r: _num(r.get("seconds"), 2)),
        ))

    @cached_property
    def structured_table(self) -> LMTable | None:
        return self._pruning_table("structured", (
            ("Ratio", "parameters removed (the per-block ratio that removes them)",
             lambda r: _text(r.get("setting"))),
            ("Params k", "parameters (thousands)",
             lambda r: _num(r["params"] / 1e3 if isinstance(r.get("params"), int) else None, 1)),
            ("Perplexity before", "validation perplexity right after pruning",
             lambda r: _num(r.get("perplexity_before_recovery"), 2)),
            ("Perplexity after", "validation perplexity after recovery training (the dense "
             "model: as trained)", lambda r: _num(r.get("perplexity"), 2,
                                                   title=f"{r['recovery_steps']} recovery steps"
                                                   if r.get("recovery_steps") else "")),
            ("vs dense", "perplexity after recovery against the dense model", self._vs_dense),
            ("Forward ms", "median forward of a batch of 8 × 128 tokens (ms)",
             lambda r: _num(r.get("forward_ms"), 1)),
            ("Generate ms", "median 64-token greedy generation (ms)",
             lambda r: _num(r.get("generate_ms"), 1)),
            ("Forward time −", "forward time reduction against the dense model",
             lambda r: _num(100 * r["forward_time_reduction"]
                            if isinstance(r.get("forward_time_reduction"), float) else None,
                            1, " %")),
            ("Recovery s", "recovery training time (seconds)",
             lambda r: _num(r.get("recovery_seconds"), 0)),
        ))

    @cached_property
    def distillation_table(self) -> LMTable | None:
        return self._pruning_table("distillation", (
            ("Setting", "the teacher, the student's initialisation, and the training of each "
             "student from it", lambda r: _text(r.get("setting"))),
            ("Params k", "parameters (thousands)",
             lambda r: _num(r["params"] / 1e3 if isinstance(r.get("params"), int) else None, 1)),
            ("Perplexity", "validation perplexity", lambda r: _num(r.get("perplexity"), 2)),
            ("vs alone", "perplexity change against the student trained alone (same init, "
             "steps and data)", lambda r: self._vs_dense(r, "alone")),
            ("Train s", "training time (seconds)", lambda r: _num(r.get("seconds"), 0)),
        ))

    @property
    def pruning_tables(self) -> list[tuple[str, LMTable]]:
        """``(heading, table)`` of the pruning file's sections present, in page order."""
        tables = (("One-shot sparsity", self.sparsity_table),
                  ("Structured pruning", self.structured_table),
                  ("Distillation", self.distillation_table))
        return [(heading, table) for heading, table in tables if table is not None]

    # --- the runs ----------------------------------------------------------------------------

    def facts(self, which: str) -> list[tuple[str, str, bool]]:
        """``(label, text, label is translatable)`` of one file's run ("quantization" or
        "pruning"): the known fields in a fixed order, then any other plain field as written."""
        data = self.quantization if which == "quantization" else self.pruning
        if data is None:
            return []
        known: dict[str, Callable[[Any], str]] = {
            "recipe": str,
            "size": lambda v: ", ".join(f"{k} {x}" for k, x in v.items())
            if isinstance(v, dict) else str(v),
            "tokens": lambda v: ", ".join(f"{k} {x:,}" for k, x in v.items())
            if isinstance(v, dict) else str(v),
            "train_seconds": lambda v: f"{v:.0f} s",
            "unigram_perplexity": lambda v: f"{v:.1f}",
            "calibration": lambda v: f"{v} windows",
            "threads": str,
            "activation_levels": str,
            "load_average": lambda v: " / ".join(f"{x:.2f}" for x in v)
            if isinstance(v, list) else str(v),
            "duration_seconds": lambda v: f"{v / 60:.1f} min",
            "seconds": lambda v: f"{v / 60:.1f} min",
            "runs": lambda v: "; ".join(f"{r.get('file')} {r.get('seconds')} s" for r in v)
            if isinstance(v, list) else str(v),
            "python": str,
            "torch": str,
            "command": str,
        }
        labels = {"recipe": "Recipe", "size": "Model size", "tokens": "Tokens",
                  "train_seconds": "Training", "unigram_perplexity": "Unigram perplexity",
                  "calibration": "Calibration", "threads": "Threads",
                  "activation_levels": "Activation levels", "load_average": "Load average",
                  "duration_seconds": "Duration", "seconds": "Duration", "runs": "Runs",
                  "python": "Python", "torch": "PyTorch", "command": "Recorded command"}
        out = []
        for key, show in known.items():
            if data.get(key) is not None:
                try:
                    out.append((labels[key], show(data[key]), True))
                except (TypeError, ValueError, AttributeError):
                    out.append((labels[key], str(data[key]), True))
        skip = {*known, "rows", "targets", "note"}
        out += [(key, str(value), False) for key, value in data.items()
                if key not in skip and isinstance(value, (str, int, float))]
        return out

    # --- targets -----------------------------------------------------------------------------

    @cached_property
    def quantization_targets(self) -> list[LMTarget]:
        return [LMTarget(str(t["text"]), bool(t["reached"]), "; ".join(
            f"{c.get('name')} {_fmt(c.get('value')) if c.get('value') is not None else 'n/a'} "
            f"(target {c.get('op')} {c.get('limit')}){'' if c.get('reached') else ' — missed'}"
            for c in t.get("checks", [])))
            for t in (self.quantization or {}).get("targets", [])]

    @cached_property
    def pruning_targets(self) -> list[LMTarget]:
        out = []
        for t in (self.pruning or {}).get("targets", []):
            detail = f"ours {_fmt(t.get('ours'))}, reference {_fmt(t.get('reference'))}"
            if isinstance(t.get("relative"), (int, float)):
                detail += f", relative {100 * t['relative']:+.4f} %"
            out.append(LMTarget(str(t["target"]), bool(t["met"]), detail))
        return out

    @property
    def targets(self) -> list[LMTarget]:
        return self.quantization_targets + self.pruning_targets

    @property
    def tables(self) -> list[tuple[str, LMTable]]:
        """``(heading, table)`` of every table present, in page order."""
        quantization = [("Quantisation", self.quantization_table)] if self.quantization_table \
            else []
        return quantization + self.pruning_tables

    @property
    def anchors(self) -> frozenset[str]:
        return frozenset(r.anchor for _, t in self.tables for r in t.rows)

    def tables_for(self, method: str) -> list[tuple[str, LMTable]]:
        """The tables holding rows of zoo method ``method``, cut to those rows (its paper page)."""
        found = []
        for heading, table in self.tables:
            rows = tuple(r for r in table.rows if r.row.get("method") == method and not r.peer)
            if rows:
                found.append((heading, replace(table, rows=rows)))
        return found


def load_language_view(repo_root: Path, papers: Mapping[str, str]) -> LanguageView:
    """Both files under ``repo_root`` (each ``None`` when not committed); ``papers`` maps a zoo
    method's name to its paper's catalog id. Raises :class:`ResultsError` naming a malformed file.
    """
    quant = repo_root / LANGUAGE_FILE
    pruning = repo_root / PRUNING_FILE
    return LanguageView(
        _read(quant, LANGUAGE_FILE, ("method", "setting", "kind", "status"),
              ("text", "checks", "reached")) if quant.is_file() else None,
        _read(pruning, PRUNING_FILE, ("section", "method", "setting"), ("target", "met"))
        if pruning.is_file() else None,
        papers,
    )
