"""The website's Benchmarks page and the paper pages' benchmark sections, from a real result file,
in a real MkDocs build (a scratch repository: the real site/ and the tiny run's results)."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import zoo
from zoo.bench.results import load_results
from zoo.site import SiteBuildError, build_site
from zoo.site.benchmarks import BenchView, accuracy_plots, speedup_plots
from zoo.site.model import SiteModel
from zoo.site.render import Renderer

from .conftest import REPO, scratch_repo


class _Page(HTMLParser):
    """Ids, links and table rows (as lists of cell texts) of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.circles = 0
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"])
        if tag == "a" and found.get("href"):
            self.links.append(found["href"])
        if tag == "circle":
            self.circles += 1
        if tag == "tr":
            self.rows.append([])
        if tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None and self.rows:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_benchmarks_page_has_every_row_linked_to_its_paper(tiny, bench_site: Path) -> None:
    results, _ = tiny
    page = _parse(bench_site / "benchmarks.html")
    body = [row for row in page.rows if row and row[0] in {r["method"] for r in results["rows"]}]
    assert [row[0] for row in body] == [r["method"] for r in results["rows"]]
    l1 = next(row for row in body if row[0] == "l1-norm")
    assert l1[1:3] == ["digits-cnn", "method"]
    assert re.fullmatch(r"\d+\.\d", l1[3])  # accuracy in percent, one seed: no spread
    paper = zoo.get("l1-norm").paper
    assert f"papers/{paper}.html" in page.links
    assert (bench_site / "papers" / f"{paper}.html").is_file()
    for link in (x for x in page.links if x.startswith("#")):
        assert link[1:] in page.ids, f"benchmarks.html links to a missing anchor {link}"


def test_benchmarks_page_shows_machine_versions_targets_and_plots(tiny, bench_site) -> None:
    results, _ = tiny
    text = (bench_site / "benchmarks.html").read_text(encoding="utf-8")
    assert results["machine"]["cpu"] in text
    assert f"torch {results['versions']['torch']}" in text
    assert f"torch_pruning {results['versions']['torch_pruning']}" in text
    assert "int8 post-training quantisation" in text  # the target this run can judge
    assert "Custom run" in text  # the banner says the figures are not a full run's
    assert 'data-sortable' in text and "<script>" in text
    page = _parse(bench_site / "benchmarks.html")
    ok_rows = [r for r in results["rows"] if r["status"] == "ok"]
    plotted = sum(len(p.points) for p in accuracy_plots(results["rows"]) +
                  speedup_plots(results["rows"], results["sweep"]))
    # every row by FLOPs; all but the baseline by speed-up, and the sweep's models
    assert plotted == len(ok_rows) + len(ok_rows) - 1 + len(results["sweep"])
    assert page.circles >= plotted  # plus the legend's swatches
    nav = (bench_site / "index.html").read_text(encoding="utf-8")
    assert 'href="benchmarks.html"' in nav


def test_benchmarks_page_shows_the_pruning_sweep(tiny, bench_site: Path) -> None:
    results, _ = tiny
    page = _parse(bench_site / "benchmarks.html")
    assert "sweep" in page.ids
    table = [r for r in page.rows if r and r[0] in {"every-layer", "block-internal"}]
    assert len(table) == len(results["sweep"]) == 2
    for row, point in zip(table, results["sweep"], strict=True):
        assert row[0] == point["scheme"] and row[1] == f"{point['pruning_ratio']}"
        assert row[6] == f"{point['speedup']['64']:.2f}×"
    text = (bench_site / "benchmarks.html").read_text(encoding="utf-8")
    assert "keep_coupled=True" in text and results["settings"]["latency"]["allocator"] in text


def test_paper_pages_show_their_own_numbers_or_why_not(bench_site: Path) -> None:
    l1 = (bench_site / "papers" / f"{zoo.get('l1-norm').paper}.html").read_text(encoding="utf-8")
    section = l1.split('id="benchmarks"')[1].split('id="bibtex"')[0]
    assert "pruning_ratio=0.5" in section
    assert "../benchmarks.html#bench-l1-norm-digits-cnn" in section
    assert "digits-cnn" in section and "×" in section  # FLOP reduction and speed-up
    fpgm = (bench_site / "papers" / f"{zoo.get('fpgm').paper}.html").read_text(encoding="utf-8")
    assert "is not in the committed benchmark run (not selected in this run)" in fpgm


def test_a_variant_row_shows_on_its_methods_paper_page(tiny, catalog, tmp_path: Path) -> None:
    results, _ = tiny
    l1 = next(r for r in results["rows"] if r["method"] == "l1-norm")
    variant = {**l1, "method": "l1-norm-block-internal", "runs": "l1-norm",
               "setting": "keep_coupled=True variant"}
    repo = scratch_repo(tmp_path / "repo", {**results, "rows": [*results["rows"], variant]})
    build_site(catalog, repo, tmp_path / "site")
    paper = tmp_path / "site" / "papers" / f"{zoo.get('l1-norm').paper}.html"
    section = paper.read_text(encoding="utf-8").split('id="benchmarks"')[1]
    assert "pruning_ratio=0.5" in section and "keep_coupled=True variant" in section
    assert "../benchmarks.html#bench-l1-norm-block-internal-digits-cnn" in section
    page = _parse(tmp_path / "site" / "benchmarks.html")
    assert "bench-l1-norm-block-internal-digits-cnn" in page.ids


def test_without_results_the_page_says_how_to_make_them(catalog, tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path / "repo", None)
    build_site(catalog, repo, tmp_path / "site")
    text = (tmp_path / "site" / "benchmarks.html").read_text(encoding="utf-8")
    assert "No vision benchmark results are committed yet" in text and "aladin bench" in text
    # ... and so does its language-model part, for each of its two files
    assert "No language-model quantisation results are committed yet." in text
    assert "No language-model pruning or distillation results are committed yet." in text
    assert "aladin bench --section language" in text
    paper = (tmp_path / "site" / "papers" / f"{zoo.get('l1-norm').paper}.html").read_text()
    assert 'id="benchmarks"' not in paper


def test_a_malformed_result_file_fails_the_build_and_names_it(catalog, tmp_path: Path) -> None:
    repo = scratch_repo(tmp_path / "repo", None, text='{"schema": "aladin-bench/1"}')
    with pytest.raises(SiteBuildError, match=r"full\.json: missing machine"):
        build_site(catalog, repo, tmp_path / "site")


def _header(page: _Page) -> list[str]:
    """The results table's column names (its header row starts with "Method")."""
    return next(row for row in page.rows if row[:2] == ["Method", "Model"])


@pytest.mark.parametrize("language", ["en", "zh"])
def test_both_runtimes_show_with_how_each_model_was_exported(tiny, bench_site: Path,
                                                             language: str) -> None:
    results, _ = tiny
    path = bench_site / ("zh/" if language == "zh" else "") / "benchmarks.html"
    page = _parse(path)
    header = _header(page)
    assert header[header.index("ms @1"):header.index("ORT ms @64") + 1] == [
        "ms @1", "ms @64", "ORT ms @1", "ORT ms @64"]
    body = {row[0]: row for row in page.rows if row and row[0] in {r["method"] for r in
                                                                   results["rows"]}}
    for row in results["rows"]:  # every row of the tiny run (--ort) has both runtimes' figures
        cells = body[row["method"]]
        assert cells[header.index("ORT ms @1")] == f"{row['latency_ort_ms']['1']:.3f}"
        assert cells[header.index("ORT ms @64")] == f"{row['latency_ort_ms']['64']:.2f}"
    # ORT's own int8 runs in ONNX Runtime only: no PyTorch figure
    assert body["ort-int8"][header.index("ms @64")] == "–"
    assert body["baseline"][header.index("ms @64")] == (
        f"{results['rows'][0]['latency_ms']['64']:.2f}")
    text = path.read_text(encoding="utf-8")
    assert "runtimes" in page.ids and "Two runtimes." in text
    opset = results["rows"][0]["ort"]["opset"]
    assert f"by torch.onnx&#39;s dynamo exporter, opset {opset}" in text
    assert "context, peer" in text and "#bench-ort-int8-digits-cnn" in page.links
    int8 = (path.parent / "papers" / f"{zoo.get('int8-ptq').paper}.html").read_text("utf-8")
    section = int8.split('id="benchmarks"')[1]
    assert "ORT ms @64" in section and "benchmarks.html#runtimes" in section
    assert "<strong>ort-int8</strong>" in section  # named as a peer beside torch-int8


def test_without_onnx_runtime_figures_the_page_has_no_ort_columns(tiny, catalog) -> None:
    results = copy.deepcopy(tiny[0])  # as a run without --ort and ORT rows (or an older file)
    results["rows"] = [r for r in results["rows"] if r.get("runtime") != "onnxruntime"]
    for row in results["rows"]:
        for key in ("latency_ort_ms", "ort", "vs_more_peers", "more_peers"):
            row.pop(key, None)
    view = BenchView(results, "results.json", frozenset())
    assert not view.has_ort and not [n for n, _ in view.columns if n.startswith("ORT")]
    for language in ("en", "zh"):
        html = Renderer(SiteModel(catalog, {}, repos={}), bench=view, lang=language)
        text = html.benchmarks().html
        assert "ORT ms" not in text and 'id="runtimes"' not in text
        assert "ms @64" in text


def test_an_ort_cell_says_why_a_model_did_not_export(tiny) -> None:
    results = copy.deepcopy(tiny[0])
    baseline = results["rows"][0]
    baseline.pop("latency_ort_ms")
    baseline["ort"] = {"error": "operator zootest::mystery has no ONNX translation"}
    view = BenchView(results, "results.json", frozenset())
    at = [n for n, _ in view.columns].index("ORT ms @64")
    cell = view.table[0].cells[at]
    assert cell.text == "–"
    assert cell.title == "not exported: operator zootest::mystery has no ONNX translation"


def test_the_settings_say_where_the_training_ran(tiny, catalog) -> None:
    results = copy.deepcopy(tiny[0])
    assert results["settings"]["execution"] == {"ray": None}  # a run in one process
    here = Renderer(SiteModel(catalog, {}, repos={}), bench=BenchView(results, "r.json",
                                                                       frozenset()), lang="en")
    assert "Ray" not in here.benchmarks().html
    results["settings"]["execution"] = {"ray": "10.0.0.5:6379", "ray_version": "2.60.0",
                                        "nodes": 3, "cpus": 48.0}
    page = Renderer(SiteModel(catalog, {}, repos={}), bench=BenchView(results, "r.json",
                                                                      frozenset()), lang="en")
    assert ("as Ray tasks on the cluster at 10.0.0.5:6379 (3 nodes, 48 CPUs, Ray 2.60.0; latency "
            "measured afterwards, here, in one process)") in page.benchmarks().html


def _committed_full_run() -> dict:
    """The committed full run's results (the Benchmarks page shows them)."""
    return load_results(REPO / "benchmarks" / "results" / "0.1.0" / "full.json")


def test_reproduce_gives_the_full_runs_recorded_duration(catalog) -> None:
    results = _committed_full_run()
    assert results["mode"] == "full"
    minutes = round(results["duration_seconds"] / 60)
    cpus = results["machine"]["logical_cpus"]

    def reproduce(results: dict) -> str:
        page = Renderer(SiteModel(catalog, {}, repos={}),
                        bench=BenchView(results, "r.json", frozenset()), lang="en")
        return page.benchmarks().html.split('id="reproduce"')[1].split("</pre>")[0]

    block = reproduce(results)
    assert (f"aladin bench            # every method, three seeds ({minutes} min on {cpus} CPU"
            f"{'s' * (cpus != 1)} in the run above)\n") in block
    assert "aladin bench --quick    # one seed, short recipes, a subset\n" in block
    assert "half an hour" not in block and "five minutes" not in block
    one = copy.deepcopy(results)
    one["machine"]["logical_cpus"] = 1
    assert f"({minutes} min on 1 CPU in the run above)" in reproduce(one)
    # A quick or custom run's duration says nothing of a full run's: no time is given.
    for mode in ("quick", "custom"):
        block = reproduce({**results, "mode": mode})
        assert "aladin bench            # every method, three seeds\n" in block
