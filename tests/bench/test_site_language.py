"""The Benchmarks page's language-model part, built by MkDocs (English and Chinese) from the two
committed language result files: every figure on the page is read back from the files here."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import zoo
from zoo.bench.results import ResultsError
from zoo.catalog import Catalog
from zoo.site import SiteBuildError, build_site
from zoo.site.lm_benchmarks import (
    LANGUAGE_FILE,
    PRUNING_FILE,
    LanguageView,
    load_language_view,
)

from .conftest import REPO, scratch_repo
from .test_site import _ENGLISH, _texts


def _committed(name: str) -> dict[str, Any]:
    return json.loads((REPO / name).read_text(encoding="utf-8"))


class _Tables(HTMLParser):
    """Each table by its id: header texts and body rows (cell texts), plus ids, links, items."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, Any]] = {}
        self.ids: list[str] = []
        self.links: list[str] = []
        self.items: list[str] = []
        self.headings: dict[str, str] = {}
        self._table: dict[str, Any] | None = None
        self._cell: list[str] | None = None
        self._item: list[str] | None = None
        self._heading: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        if tag == "table" and found.get("id"):
            self._table = self.tables[str(found["id"])] = {"head": [], "rows": [], "ids": []}
        if self._table is not None and tag == "tr":
            self._table["rows"].append([])
            self._table["ids"].append(found.get("id"))
        if tag in {"td", "th"}:
            self._cell = []
        if tag == "li":
            self._item = []
        if tag in {"h2", "h3"} and found.get("id"):
            self._heading = (str(found["id"]), [])

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None and self._table is not None:
            self._table["rows"][-1].append("".join(self._cell).strip())
            self._cell = None
        if tag == "table":
            if self._table is not None:  # the first row is the header
                self._table["head"] = self._table["rows"].pop(0)
                self._table["ids"].pop(0)
            self._table = None
        if tag == "li" and self._item is not None:
            self.items.append(" ".join("".join(self._item).split()))
            self._item = None
        if tag in {"h2", "h3"} and self._heading is not None:
            self.headings[self._heading[0]] = "".join(self._heading[1]).strip()
            self._heading = None

    def handle_data(self, data: str) -> None:
        for part in (self._cell, self._item, self._heading[1] if self._heading else None):
            if part is not None:
                part.append(data)


def _parse(path: Path) -> _Tables:
    page = _Tables()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def lm_site(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small catalog's website (English and Chinese) with only the language results."""
    repo = scratch_repo(tmp_path_factory.mktemp("repo"), None)
    for name in (LANGUAGE_FILE, PRUNING_FILE):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, repo / name)
    out = tmp_path_factory.mktemp("out") / "site"
    build_site(catalog, repo, out)
    return out


def _column(table: dict[str, Any], name: str) -> list[str]:
    at = table["head"].index(name)
    return [row[at] if at < len(row) else "" for row in table["rows"]]


def test_quantisation_table_shows_the_committed_rows(lm_site: Path) -> None:
    data = _committed(LANGUAGE_FILE)
    table = _parse(lm_site / "benchmarks.html").tables["lm-quantization-table"]
    assert [row[0] for row in table["rows"]] == [r["method"] for r in data["rows"]]
    assert _column(table, "Bits / group")[:1] == [data["rows"][0]["setting"]]
    for row, cells in zip(data["rows"], table["rows"], strict=True):
        if row["status"] == "ok":
            assert cells[table["head"].index("Perplexity")] == f"{row['perplexity']:.2f}"
            assert cells[table["head"].index("Bits / group")] == row["setting"]
        else:  # a failed peer says why, as recorded
            assert cells[-1] == f"failed: {row['error']}"
    fp32 = next(r for r in data["rows"] if r["name"] == "fp32")
    gptq = next(r for r in data["rows"] if r["name"] == "gptq-w4")
    peer = next(r for r in data["rows"] if r["name"] == "llmcompressor-gptq-w4")
    at = [r["name"] for r in data["rows"]].index("gptq-w4")
    assert table["rows"][at][table["head"].index("vs fp32")] == \
        f"{100 * (gptq['perplexity'] / fp32['perplexity'] - 1):+.2f} %"
    assert table["rows"][at][table["head"].index("vs peer")] == \
        f"{100 * (gptq['perplexity'] / peer['perplexity'] - 1):+.2f} %"
    packed = gptq["bytes"]["packed_linear"]
    assert table["rows"][at][table["head"].index("Packed Linear KiB")] == \
        f"{packed / 1024:.1f} ({100 * packed / gptq['bytes']['fp32_linear']:.1f} %)"


def test_a_row_is_compared_with_llmcompressor_else_torchao() -> None:
    def row(name: str, method: str, kind: str, perplexity: float) -> dict[str, Any]:
        return {"name": name, "method": method, "setting": "W4 g128", "kind": kind,
                "model": "trained", "status": "ok", "perplexity": perplexity}

    rows = [row("fp32", "fp32", "reference", 100.0), row("rtn-w4", "rtn", "reference", 102.0),
            row("torchao-rtn-w4", "torchao IntxWeightOnlyConfig", "peer", 101.0),
            row("gptq-w4", "gptq", "method", 101.0),
            row("llmcompressor-gptq-w4", "llmcompressor GPTQModifier", "peer", 101.0),
            row("torchao-gptq-w4", "torchao", "peer", 50.0)]
    table = LanguageView({"rows": rows, "targets": []}, None, {}).quantization_table
    assert table is not None
    at = [heading for heading, _ in table.columns].index("vs peer")
    shown = {r.row["name"]: (r.peer, r.cells[at].text) for r in table.rows}
    assert shown["rtn-w4"] == (False, f"{100 * (102 / 101 - 1):+.2f} %")  # torchao's row
    assert shown["gptq-w4"] == (False, "+0.00 %")  # llmcompressor's, though torchao has one too
    assert shown["torchao-rtn-w4"][0] and shown["llmcompressor-gptq-w4"][0]


def test_pruning_and_distillation_tables_show_the_committed_rows(lm_site: Path) -> None:
    data = _committed(PRUNING_FILE)
    page = _parse(lm_site / "benchmarks.html")
    for section in ("sparsity", "structured", "distillation"):
        rows = [r for r in data["rows"] if r["section"] == section]
        table = page.tables[f"lm-{section}-table"]
        assert [row[0] for row in table["rows"]] == [r["method"] for r in rows]
        perplexity = "Perplexity after" if section == "structured" else "Perplexity"
        assert _column(table, perplexity) == [f"{r['perplexity']:.2f}" for r in rows]
    structured = page.tables["lm-structured-table"]
    rows = [r for r in data["rows"] if r["section"] == "structured"]
    assert _column(structured, "Perplexity before") == [
        f"{r['perplexity_before_recovery']:.2f}" if "perplexity_before_recovery" in r else "–"
        for r in rows]
    assert _column(structured, "Forward ms") == [f"{r['forward_ms']:.1f}" for r in rows]
    assert len(page.ids) == len(set(page.ids)), "duplicate ids on the Benchmarks page"


def test_targets_are_shown_met_or_missed_with_their_figures(lm_site: Path) -> None:
    items = _parse(lm_site / "benchmarks.html").items
    quant, pruning = _committed(LANGUAGE_FILE), _committed(PRUNING_FILE)
    expected = [(t["text"], t["reached"]) for t in quant["targets"]] + [
        (t["target"], t["met"]) for t in pruning["targets"]]
    assert {met for _, met in expected} == {True, False}  # the files hold both kinds
    for text, met in expected:
        item = next(i for i in items if f" — {text}:" in i)
        assert item.startswith("Met — " if met else "Missed — ")
    awq = next(t for t in quant["targets"] if not t["reached"])
    item = next(i for i in items if awq["text"] in i)
    assert awq["checks"][0]["name"] in item and "missed" in item
    text = (lm_site / "benchmarks.html").read_text(encoding="utf-8")
    assert "aladin bench --section language" in text
    assert f"{quant['load_average'][0]:.2f}" in text  # the load the run recorded


def test_method_rows_link_to_their_paper_pages(lm_site: Path) -> None:
    page = _parse(lm_site / "benchmarks.html")
    for method in ("gptq", "awq", "smoothquant", "magnitude", "wanda", "sparsegpt",
                   "llm-pruner", "minillm"):
        paper = zoo.get(method).paper
        assert f"papers/{paper}.html" in page.links, method
        assert (lm_site / "papers" / f"{paper}.html").is_file()
    for link in (x for x in page.links if x.startswith("#")):
        assert link[1:] in page.ids, f"benchmarks.html links to a missing anchor {link}"


@pytest.mark.parametrize("method", ["gptq", "wanda", "llm-pruner", "minillm"])
def test_a_methods_paper_page_shows_its_own_rows(lm_site: Path, method: str) -> None:
    page = _parse(lm_site / "papers" / f"{zoo.get(method).paper}.html")
    shown = [(row[0], table_id) for table_id, table in page.tables.items()
             for row in table["rows"]]
    committed = [r for name in (LANGUAGE_FILE, PRUNING_FILE) for r in _committed(name)["rows"]
                 if r["method"] == method]
    assert committed and {name for name, _ in shown} == {method}  # its rows, no peer's
    assert len(shown) == len([r for r in committed if r.get("kind") != "peer"])
    assert "benchmarks" in page.headings and any("benchmarks.html#lm-" in x for x in page.links)


def test_the_chinese_page_has_the_translated_headings(lm_site: Path) -> None:
    headings = _parse(lm_site / "zh" / "benchmarks.html").headings
    assert headings["language"] == "语言模型"
    assert headings["lm-quantization"] == "量化"
    assert headings["lm-distillation"] == "蒸馏"
    assert headings["lm-targets"] == "语言模型的目标"
    table = _parse(lm_site / "zh" / "benchmarks.html").tables["lm-quantization-table"]
    assert table["head"][:2] == ["方法", "模型"] and "困惑度" in table["head"]


def test_the_chinese_page_reads_in_chinese_but_for_what_the_files_record(lm_site: Path) -> None:
    path = lm_site / "zh" / "benchmarks.html"
    text = path.read_text(encoding="utf-8")
    assert "对 zoo 在 Python 标准库上训练的一个小型 Llama（<code>zoo.language</code>）" in text
    assert '<th title="验证集困惑度">困惑度</th>' in text  # the columns' tooltips too
    assert "# 两个文件；先训练小型 Llama" in text  # the reproduce block's comments
    pieces = _texts(path, "zh")
    assert [piece for lang, piece in pieces if lang == "zh" and _ENGLISH.search(piece)] == []
    # A target's text and figures stay as the file wrote them, marked as English.
    target = _committed(LANGUAGE_FILE)["targets"][0]["text"]
    assert any(lang == "en" and piece.startswith(target) for lang, piece in pieces)


def test_a_malformed_language_file_fails_the_build_naming_it(catalog, tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path / "repo", None)
    (repo / PRUNING_FILE).parent.mkdir(parents=True)
    (repo / PRUNING_FILE).write_text('{"rows": [', encoding="utf-8")
    with pytest.raises(ResultsError) as raised:
        load_language_view(repo, {})
    assert len(str(raised.value).splitlines()) == 1
    assert str(raised.value).startswith(f"{PRUNING_FILE}: cannot read")
    with pytest.raises(SiteBuildError, match=r"lm-pruning\.json: cannot read"):
        build_site(catalog, repo, tmp_path / "site", translations=False)
    (repo / PRUNING_FILE).write_text('{"rows": [{"method": "x"}], "targets": []}')
    with pytest.raises(ResultsError, match=r"lm-pruning\.json: rows\[0\] has no section, setting"):
        load_language_view(repo, {})
