"""Real MkDocs builds of the website: pages, links, exports, escaping, atomic replacement."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import stat
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from zoo.catalog import Catalog, load
from zoo.publish.exports import to_bibtex, to_csv, to_json
from zoo.registry import MissingExtraError, by_paper
from zoo.site import SiteBuildError, build_site

from .conftest import HOSTILE_ID, HOSTILE_TITLE, REPO


class _Links(HTMLParser):
    """Every href/src and every id of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"href", "src"} and value is not None:
                self.urls.append(value)
            if name in {"id", "name"} and value:
                self.ids.add(value)


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _check_links(site: Path) -> tuple[int, list[str]]:
    """Follow every link of every page: internal ones must resolve (anchors included), external
    ones must be http(s). Returns (links checked, problems)."""
    mount = urlsplit(yaml.safe_load((REPO / "site" / "mkdocs.yml").read_text())["site_url"]).path
    pages = {path: _parse(path) for path in site.rglob("*.html")}
    problems, checked = [], 0
    for path, parsed in pages.items():
        for url in parsed.urls:
            checked += 1
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                if parts.scheme not in {"http", "https"}:
                    problems.append(f"{path.relative_to(site)}: non-http(s) link {url!r}")
                continue
            if not parts.path:
                target = path
            elif parts.path.startswith("/"):  # 404.html links from the site's mount point
                target = site / unquote(parts.path.removeprefix(mount))
            else:
                target = (path.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
            if not target.is_file():
                problems.append(f"{path.relative_to(site)}: broken link {url!r}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{path.relative_to(site)}: missing anchor {url!r}")
    return checked, problems


def test_every_page_the_catalog_implies_exists(site: Path, catalog: Catalog) -> None:
    for paper in catalog:
        page = (site / "papers" / f"{paper.id}.html").read_text(encoding="utf-8")
        assert '<h1 id="title"' in page
        assert f"edit/main/catalog/papers/{paper.id}.yaml" in page
        assert "@" in page and paper.id in page  # the BibTeX entry, keyed by the id
    for category in catalog.categories:
        assert (site / "categories" / category.id / "index.html").is_file()
        for sub in category.subcategories:
            assert (site / "categories" / category.id / f"{sub.id}.html").is_file()
    for venue in {p.venue for p in catalog}:
        assert (site / "venues" / f"{venue.lower()}.html").is_file()
    for year in {p.year for p in catalog}:
        assert (site / "years" / f"{year}.html").is_file()
    for name in ("index", "explorer", "contribute", "use-the-zoo", "tags"):
        assert (site / f"{name}.html").is_file()
    # Paper pages stay out of the navigation; the taxonomy is in it, in taxonomy order.
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "papers/" not in home.split('class="md-nav md-nav--primary')[1].split("</nav>")[0]
    categories = (site / "categories" / "index.html").read_text(encoding="utf-8")
    nav = categories.split('class="md-nav md-nav--primary')[1]
    positions = [nav.index(f"categories/{c.id}/index.html") for c in catalog.categories]
    assert positions == sorted(positions)


def test_paper_page_shows_zoo_implementation_and_related_papers(
    site: Path, catalog: Catalog
) -> None:
    implemented = by_paper()
    paper_id, records = next((pid, recs) for pid, recs in implemented.items() if pid in catalog)
    page = (site / "papers" / f"{paper_id}.html").read_text(encoding="utf-8")
    for record in records:
        assert record.import_line in page
        assert f"../api/{record.name}.html" in page
        assert f"blob/main/{record.source}#L{record.line}" in page
        api = (site / "api" / f"{record.name}.html").read_text(encoding="utf-8")
        assert f"../papers/{paper_id}.html" in api
    paper = catalog.paper(paper_id)
    same = [p for p in catalog.section(paper.category, paper.subcategory) if p.id != paper_id]
    assert same, "the zoo paper's subcategory has other papers"
    related = page.split('id="related"')[1]
    assert sum(f"../papers/{p.id}.html" in related for p in same) == min(5, len(same))


def test_no_broken_internal_links_and_only_http_links(site: Path) -> None:
    checked, problems = _check_links(site)
    assert checked > 1000
    assert problems == []


def test_exports_and_feed_are_published(site: Path, catalog: Catalog) -> None:
    assert (site / "papers.json").read_text(encoding="utf-8") == to_json(catalog)
    assert (site / "papers.bib").read_text(encoding="utf-8") == to_bibtex(catalog)
    assert (site / "papers.csv").read_text(encoding="utf-8") == to_csv(catalog)
    feed = ET.parse(site / "feed.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    newest = catalog.newest(50)
    assert [e.find("a:title", ns).text for e in entries] == [p.title for p in newest]
    assert entries[0].find("a:link", ns).get("href").endswith(f"/papers/{newest[0].id}.html")
    head = (site / "index.html").read_text(encoding="utf-8").split("</head>")[0]
    assert 'type="application/atom+xml"' in head


def test_search_index_has_papers_authors_and_chinese_category_names(
    site: Path, catalog: Catalog
) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    docs = {d["location"]: d for d in index["docs"]}
    fpgm = docs["papers/2019-cvpr-filter-pruning-geometric-median.html"]
    # The authors follow the title in the indexed heading (a page outranks its own sections).
    assert fpgm["title"].endswith("Networks Acceleration · Yang He, Ping Liu, Ziwei Wang, "
                                  "Zhilan Hu, Yi Yang")
    assert "CVPR" in fpgm["text"] and "剪枝" in fpgm["text"]
    # The short names are a section title, boosted like one: here the zoo method's name.
    assert docs["papers/2019-cvpr-filter-pruning-geometric-median.html#authors"]["title"] == "fpgm"
    assert "剪枝" in docs["categories/pruning/index.html"]["title"]
    assert docs["categories/pruning/index.html"]["boost"] > 1
    assert len([d for d in docs if d.startswith("papers/")]) >= len(catalog)


def test_hostile_strings_are_escaped_everywhere(hostile_site: tuple[Catalog, Path]) -> None:
    _, site = hostile_site
    # Pages, the search index and the feed; papers.json/.csv/.bib are data and keep text as is.
    texts = {p: p.read_text(encoding="utf-8") for p in [*site.rglob("*.html"),
             site / "search" / "search_index.json", site / "feed.xml"]}
    for path, text in texts.items():
        for payload in ("<img src=x", "<script>alert", "<svg onload", "<b onmouseover",
                        "<iframe", "<img src=y"):
            assert payload not in text, f"{path.relative_to(site)} carries {payload!r} unescaped"
    page = texts[site / "papers" / f"{HOSTILE_ID}.html"]
    title = page.split('<h1 id="title"')[1].split("</h1>")[0]
    assert "{{ 7*7 }}" in title and "49" not in title
    assert "&lt;img src=x onerror=" in page
    _, problems = _check_links(site)  # javascript: and every other non-http(s) link included
    assert problems == []
    records = json.loads((site / "papers.json").read_text(encoding="utf-8"))["papers"]
    assert next(r for r in records if r["id"] == HOSTILE_ID)["title"] == HOSTILE_TITLE


def test_paper_page_shows_resources_award_review_and_provenance(
    hostile_site: tuple[Catalog, Path],
) -> None:
    catalog, site = hostile_site
    page = (site / "papers" / f"{HOSTILE_ID}.html").read_text(encoding="utf-8")
    more = page.split('id="resources"')[1].split("</ul>")[0]
    assert '<a href="https://example.org/slides">Slides</a>' in more  # no label: the kind's name
    assert "aladin-badge--other-version" in more and "&lt;script&gt;alert(&#39;resource" in more
    # Non-code links never reach the Code list.
    code = page.split('id="code"')[1].split("</ul>")[0]
    assert "example.org/slides" not in code and "example.org/v2" not in code
    assert 'aladin-badge--award" title="&lt;script&gt;' in page
    review = page.split("aladin-review")[1].split("</div>")[0]
    assert "Needs review" in review and "classified by keyword" in review
    provenance = page.split('id="sources"')[1].split("</p>")[0]
    assert ('href="https://github.com/owner/awesome-list/blob/0123456789ab/README.md#L42"'
            in provenance)
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(to_csv(catalog)))}
    assert rows[HOSTILE_ID]["resources"] == (
        "slides https://example.org/slides; other-version https://example.org/v2")
    assert rows[HOSTILE_ID]["sources"] == "owner/awesome-list@0123456789ab:42"
    entry = next(e for e in to_bibtex(catalog).split("\n@") if HOSTILE_ID in e)
    assert "note          = {<script>alert('award')</script>}" in entry


def test_failed_build_leaves_the_previous_site_untouched(
    small_catalog: Path, tmp_path: Path
) -> None:
    catalog = load(small_catalog)
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "site", repo / "site")
    out = tmp_path / "out" / "site"
    build_site(catalog, repo, out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    marker = (out / "index.html").read_bytes()

    (repo / "site" / "docs" / "broken.md").write_text("# Broken\n\n[gone](missing.md)\n")
    with pytest.raises(SiteBuildError, match=re.escape("missing.md")):
        build_site(catalog, repo, out)  # a warning fails the build, as mkdocs build --strict
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert (out / "index.html").read_bytes() == marker
    assert [p.name for p in out.parent.iterdir()] == ["site"]  # no staging directory left


def test_without_mkdocs_the_error_names_the_extra(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mkdocs", None)  # what an install without [site] looks like
    with pytest.raises(MissingExtraError, match=re.escape('pip install "aladin-zoo[site]"')):
        build_site(catalog, REPO, tmp_path / "site")


@pytest.mark.slow
def test_a_second_build_at_once_is_refused_and_a_killed_builds_leftovers_go(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], small_catalog: Path
) -> None:
    """Issue 14, items 2, 4 and 9: two ``aladin build`` at once, a killed build's staging tree,
    and the modes of the published site (a web server runs as another user)."""
    from zoo.cli import main

    repo = tmp_path / "repo"
    shutil.copytree(small_catalog, repo / "catalog")
    for part in ("site", "schema"):
        shutil.copytree(REPO / part, repo / part)
    shutil.copy(REPO / "README.md", repo / "README.md")
    killed = repo / "build" / ".site.new-k1ll3d00"  # what SIGKILL during a build leaves
    killed.mkdir(parents=True)
    (killed / "index.html").write_text("half a site")
    first = subprocess.Popen([sys.executable, "-m", "zoo.cli", "--root", str(repo), "build"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             umask=0o022)
    try:
        deadline = time.monotonic() + 60
        while killed.exists() or not list((repo / "build").glob(".site.new-*")):
            if first.poll() is not None:
                pytest.fail(f"the first build ended early: {first.communicate()[1]}")
            assert time.monotonic() < deadline, "first build not seen"
            time.sleep(0.05)
        status = main(["--root", str(repo), "build"])  # while the first one runs
        _, err = capsys.readouterr()
        assert status == 1
        assert err.strip() == (f"aladin: another build into {repo / 'build'} is running; "
                               "wait for it to finish")
    finally:
        _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert [p.name for p in (repo / "build").iterdir()] == ["site"]
    site = repo / "build" / "site"
    assert stat.S_IMODE(site.stat().st_mode) == 0o755
    assert stat.S_IMODE((site / "index.html").stat().st_mode) == 0o644


def test_chinese_interface_mirrors_the_english_site(site: Path) -> None:
    pages = {p.relative_to(site) for p in site.rglob("*.html")}
    english = {p for p in pages if p.parts[0] != "zh"}
    chinese = {p.relative_to("zh") for p in pages if p.parts[0] == "zh"}
    assert chinese == english
    paper = (site / "zh" / "papers" / "2019-cvpr-filter-pruning-geometric-median.html").read_text(
        encoding="utf-8")
    assert '<html lang="zh"' in paper
    assert '<h2 id="links">链接' in paper and '<h2 id="related">相关论文' in paper
    assert '<span lang="en">Pruning</span>' in paper  # the other language's name carries its lang
    home = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en"' in home and 'href="./zh/index.html" hreflang="zh"' in home
    # The language switch keeps the page, in both directions.
    fpgm = "papers/2019-cvpr-filter-pruning-geometric-median.html"
    english = (site / fpgm).read_text(encoding="utf-8")
    assert f'href="../zh/{fpgm}" hreflang="zh"' in english
    assert f'href="../../{fpgm}" hreflang="en"' in paper  # zh/papers/ -> papers/
    assert (site / "zh" / "search" / "search_index.json").is_file()


def test_chinese_benchmarks_page_speaks_chinese_around_the_committed_results(site: Path) -> None:
    """The committed results' page: Chinese headings, prose and the recorded duration of the
    run; what the result file records stays English, marked lang="en"."""
    from markupsafe import escape

    from zoo.bench.results import find_results, load_results

    zh = (site / "zh" / "benchmarks.html").read_text(encoding="utf-8")
    en = (site / "benchmarks.html").read_text(encoding="utf-8")
    path = find_results(REPO)
    if path is None:
        pytest.skip("no benchmark results committed")
    results = load_results(path)
    assert '<h2 id="run">本次运行' in zh and '<h2 id="reproduce">复现' in zh
    assert '<h2 id="run">The run' in en and "本次运行" not in en
    assert "横向滚动表格可查看所有列。" in zh and "Scroll the table sideways" not in zh
    minutes, cpus = round(results["duration_seconds"] / 60), results["machine"]["logical_cpus"]
    if results["mode"] == "full":
        assert f"# 每个方法，三个种子（上面这次运行在 {cpus} 个 CPU 上用时 {minutes} 分钟）" in zh
        assert f"# every method, three seeds ({minutes} min on {cpus} CPU" in en
    description = next(iter(results["models"].values()))["description"]
    assert f'<td lang="en">{escape(description)}</td>' in zh
    assert f"<td>{escape(description)}</td>" in en
