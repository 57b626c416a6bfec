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
from zoo.site.i18n import ZH
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
    """The results table's column names (its header row starts with "Method", or "方法")."""
    return next(row for row in page.rows if row[:2] in (["Method", "Model"], ["方法", "模型"]))


# What the runtimes test reads on each language's page (the tooltips are the interface's too).
RUNTIMES = {
    "en": ("Two runtimes.", "by torch.onnx&#39;s dynamo exporter, opset {opset}", "context, peer"),
    "zh": ("两种运行时。", "由 torch.onnx 的 dynamo 导出器导出，opset {opset}", "对照同类库"),
}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_both_runtimes_show_with_how_each_model_was_exported(tiny, bench_site: Path,
                                                             language: str) -> None:
    results, _ = tiny
    path = bench_site / ("zh/" if language == "zh" else "") / "benchmarks.html"
    page = _parse(path)
    header = _header(page)
    runtimes, exported, context = RUNTIMES[language]
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
    assert "runtimes" in page.ids and runtimes in text
    assert exported.format(opset=results["rows"][0]["ort"]["opset"]) in text
    assert context in text and "#bench-ort-int8-digits-cnn" in page.links
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
    assert results["settings"]["execution"] == {"ray": None, "resumed_tasks": 0}  # in one process
    here = Renderer(SiteModel(catalog, {}, repos={}), bench=BenchView(results, "r.json",
                                                                       frozenset()), lang="en")
    assert "Ray" not in here.benchmarks().html
    results["settings"]["execution"] = {"ray": "10.0.0.5:6379", "ray_version": "2.60.0",
                                        "nodes": 3, "cpus": 48.0}
    page = Renderer(SiteModel(catalog, {}, repos={}), bench=BenchView(results, "r.json",
                                                                      frozenset()), lang="en")
    assert ("as Ray tasks on the cluster at 10.0.0.5:6379 (3 nodes, 48 CPUs, Ray 2.60.0; latency "
            "measured afterwards, here, in one process)") in page.benchmarks().html
    page = Renderer(SiteModel(catalog, {}, repos={}), bench=BenchView(results, "r.json",
                                                                      frozenset()), lang="zh")
    threads = results["settings"]["train_threads"]
    assert (f"训练以 Ray 任务的形式在 10.0.0.5:6379 的集群中运行，每个任务使用 {threads} 个线程"
            "（3 个节点，48 个 CPU，Ray 2.60.0；延迟随后在本机的单个进程中测量）。"
            ) in page.benchmarks().html


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


_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "circle", "line", "rect"})


class _Text(HTMLParser):
    """The Benchmarks article's text, piece by piece, with each piece's language (the nearest
    ``lang`` around it, the page's own by default); code, scripts and styles left out."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.stack: list[tuple[str, str, bool]] = [("", lang, True)]  # tag, lang, outside
        self.pieces: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        _, lang, skip = self.stack[-1]
        if found.get("class") == "aladin-bench":
            skip = False
        if tag not in _VOID:
            self.stack.append((tag, found.get("lang") or lang,
                               skip or tag in {"code", "pre", "script", "style"}))

    def handle_endtag(self, tag: str) -> None:
        at = next((i for i in range(len(self.stack) - 1, 0, -1) if self.stack[i][0] == tag), 0)
        if at:
            del self.stack[at:]

    def handle_data(self, data: str) -> None:
        _, lang, skip = self.stack[-1]
        if data.strip() and not skip:
            self.pieces.append((lang, " ".join(data.split())))


def _texts(path: Path, lang: str) -> list[tuple[str, str]]:
    parser = _Text(lang)
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.pieces


# Three English words in a row: a sentence, not a method name, model or number.
_ENGLISH = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_chinese_page_reads_in_chinese(tiny, bench_site: Path) -> None:
    path = bench_site / "zh" / "benchmarks.html"
    text = path.read_text(encoding="utf-8")
    page = _parse(path)
    headings = dict(re.findall(r'<h[23] id="([a-z-]+)">([^<]+)', text))
    assert {k: headings[k] for k in ("run", "results", "sweep", "plots", "models", "reproduce",
                                     "language")} == {
        "run": "本次运行", "results": "结果", "sweep": "剪枝扫描：FLOPs 的减少有多少是真实的",
        "plots": "图表", "models": "模型", "reproduce": "复现", "language": "语言模型"}
    assert '<h1 id="title">基准测试</h1>' in text
    assert "zoo 的每个方法都在同一台机器上、由 <code>aladin bench</code> 的同一次运行测得" in text
    assert "横向滚动表格可查看所有列。" in text and "自定义运行" in text  # the banner of this run
    assert _header(page)[:4] == ["方法", "模型", "类型", "准确率 %"]
    assert 'title="测试准确率：各种子的均值 ± 样本标准差"' in text
    assert "准确率与 FLOPs — digits-cnn" in text  # a plot's title
    # Not one English sentence outside what the result file records, which is marked as such;
    # the page is Chinese (not an English page with Chinese marked).
    pieces = _texts(path, "zh")
    english = [piece for lang, piece in pieces if lang == "zh" and _ENGLISH.search(piece)]
    assert english == []
    chinese = " ".join(piece for lang, piece in pieces if lang == "zh")
    untranslated = [part for key, text in ZH.items() if key != text
                    for part in re.split(r"\{\w+\}", key) if _ENGLISH.search(part)
                    and part.strip() in chinese]
    assert untranslated == []
    marked = [piece for lang, piece in pieces if lang == "en"]
    assert tiny[0]["targets"][0]["text"] in marked  # a target's text, as the run wrote it
    assert any(_CJK.search(piece) for lang, piece in pieces if lang == "zh")
    assert not [piece for piece in marked if _CJK.search(piece)]
    assert '<div lang="en"><div class="aladin-bench">' not in text


def test_the_english_page_reads_as_before(tiny, bench_site: Path) -> None:
    path = bench_site / "benchmarks.html"
    text = path.read_text(encoding="utf-8")
    article = text.split('<div class="aladin-bench">')[1].split("<script>")[0]
    assert not _CJK.search(article) and ' lang="' not in article
    assert ("<p class=\"aladin-lead\">Every zoo method measured on the same machine in one run "
            "of <code>aladin bench</code> — accuracy over seeds, size, FLOPs and CPU latency, side "
            "by side with peer libraries at the same ratio or bit width. Nothing here is quoted "
            "from a paper.</p>") in article
    # Sentences with markup and apostrophes are the template's text byte for byte (not &#39;).
    assert ("<em>ORT ms</em> is the same model in <a href=\"https://onnxruntime.ai/\">ONNX "
            "Runtime</a>") in article and "Microsoft's inference engine" in article
    assert ("compared with the model's baseline.</p>" in article
            and "<p class=\"aladin-scroll-hint\">Scroll the table sideways for every column.</p>"
            in article)
    headings = dict(re.findall(r'<h2 id="([a-z-]+)">([^<]+)', text))
    assert (headings["run"], headings["results"], headings["language"]) == (
        "The run", "Results", "Language models")
    assert _header(_parse(path))[:4] == ["Method", "Model", "Kind", "Accuracy %"]
    assert "Accuracy vs FLOPs — digits-cnn" in article
    pieces = [piece for _, piece in _texts(path, "en")]
    assert "Custom run" in pieces and "The run" in pieces


@pytest.mark.parametrize("threads", [1, 2])
def test_thread_counts_read_right_in_both_languages(catalog, threads: int) -> None:
    results = copy.deepcopy(_committed_full_run())
    results["settings"]["latency"]["threads"] = results["settings"]["train_threads"] = threads
    results["settings"]["execution"] = {"ray": None}  # the committed run trained on Ray
    view = BenchView(results, "r.json", frozenset())

    def page(lang: str) -> str:
        return Renderer(SiteModel(catalog, {}, repos={}), bench=view, lang=lang).benchmarks().html

    english = "1 thread," if threads == 1 else f"{threads} threads,"
    assert english in page("en") and f"Training ran on {english[:-1]}." in page("en")
    assert f"{threads} 个线程，batch 大小 1 和 64" in page("zh")
    assert f"训练使用 {threads} 个线程。" in page("zh")
