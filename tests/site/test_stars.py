"""GitHub stars on the website: the paper pages' code lists and the explorer's Stars column.

A scratch copy of the catalog gets a real enrichment file (written by ``dump_enrichment``, read
back by the site build through ``load_enrichment``), is built with MkDocs and, for the explorer,
driven in Chromium: sorting by stars, flags, and the sort surviving a reload from the URL.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Callable
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from zoo.catalog import Catalog, load, reading_order
from zoo.network.enrichment import RepoInfo, dump_enrichment, enrichment_path
from zoo.site import SiteBuildError, build_site
from zoo.site.hook import _explorer_config
from zoo.site.model import SiteModel
from zoo.site.render import Renderer

from .conftest import REPO
from .test_browser import address, open_explorer, shown_count

FETCHED = dt.date(2026, 1, 15)
RECENT = FETCHED - dt.timedelta(days=40)
LONG_AGO = dt.date(2023, 1, 10)  # more than two years before FETCHED: stale

# TEST FIXTURE ONLY: made-up GitHub figures for code URLs of real entries. They exist to check
# the rendering; they are not facts about these repositories and must never enter catalog/.
FAKE_FIGURES = {  # url: (stars, last push, archived, licence)
    "https://github.com/quark0/darts": (3901, LONG_AGO, False, "Apache-2.0"),
    "https://github.com/D-X-Y/AutoDL-Projects": (2600, RECENT, False, "MIT"),
    "https://github.com/D-X-Y/TAS": (120, LONG_AGO, False, None),
    "https://github.com/he-y/filter-pruning-geometric-median": (1234, RECENT, False, "MIT"),
    "https://github.com/allenai/XNOR-Net": (850, LONG_AGO, True, None),
    "https://github.com/huawei-noah/ghostnet": (7, RECENT, False, None),
    "https://github.com/example/not-in-the-catalog": (99_999, RECENT, False, None),
}
EXPECTED_NOTES = {  # what RepoInfo.note() must print for them (checked, not assumed)
    "https://github.com/quark0/darts": "★3.9k (last push 2023-01)",
    "https://github.com/D-X-Y/AutoDL-Projects": "★2.6k",
    "https://github.com/D-X-Y/TAS": "★120 (last push 2023-01)",
    "https://github.com/he-y/filter-pruning-geometric-median": "★1.2k",
    "https://github.com/allenai/XNOR-Net": "★850 (archived)",
    "https://github.com/huawei-noah/ghostnet": "★7",
}
EXPECTED_FLAGS = {  # the rest are neither archived nor stale
    "https://github.com/quark0/darts": "stale",
    "https://github.com/D-X-Y/TAS": "stale",
    "https://github.com/allenai/XNOR-Net": "archived",
}
TWO_REPOS = "2019-neurips-network-pruning-transformable-architecture"  # TAS + AutoDL-Projects


def fake_repos() -> dict[str, RepoInfo]:
    return {
        url: RepoInfo(full_name=urlsplit(url).path.strip("/"), stars=stars, pushed=pushed,
                      archived=archived, license=licence, fetched=FETCHED)
        for url, (stars, pushed, archived, licence) in FAKE_FIGURES.items()
    }


def scratch_catalog(source: Path, dest: Path, enrichment_text: str) -> Path:
    """A copy of the catalog ``source`` with ``enrichment_text`` as its enrichment file."""
    shutil.copytree(source, dest)
    path = enrichment_path(dest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(enrichment_text, encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def stars_site(tmp_path_factory: pytest.TempPathFactory,
               small_catalog: Path) -> tuple[Catalog, Path]:
    root = tmp_path_factory.mktemp("stars")
    catalog = load(scratch_catalog(small_catalog, root / "catalog", dump_enrichment(fake_repos())))
    build_site(catalog, REPO, root / "site")
    return catalog, root / "site"


def enriched_papers(catalog: Catalog) -> list[tuple[int, str, str]]:
    """(top stars, paper id, top note) of every paper with fixture data, in the order a
    descending Stars sort must show them (ties in reading order)."""
    out = []
    for paper in sorted(catalog.papers, key=reading_order):
        known = [c.url for c in paper.code if c.url in EXPECTED_NOTES]
        if known:
            top = max(known, key=lambda url: FAKE_FIGURES[url][0])
            out.append((FAKE_FIGURES[top][0], paper.id, EXPECTED_NOTES[top]))
    return sorted(out, key=lambda row: -row[0])  # stable: reading order within equal stars


def code_items(page: Path) -> dict[str, str]:
    """The paper page's code list: repository URL -> the <li>'s HTML."""
    block = re.search(r'<ul class="aladin-code">(.*?)</ul>', page.read_text(encoding="utf-8"), re.S)
    assert block, f"{page.name} has no code list"
    items = re.findall(r"<li>(.*?)</li>", block.group(1), re.S)
    return {unescape(re.search(r'<a href="([^"]+)"', li).group(1)): li for li in items}


# --- without a browser ----------------------------------------------------------------------------

def test_fixture_notes_match_the_enrichment_formatting() -> None:
    repos = fake_repos()
    assert {url: repos[url].note() for url in EXPECTED_NOTES} == EXPECTED_NOTES


def test_paper_pages_show_each_repositorys_stars_and_flags(
    stars_site: tuple[Catalog, Path],
) -> None:
    catalog, site = stars_site
    checked = 0
    for paper in catalog.papers:
        if not paper.code:
            continue
        items = code_items(site / "papers" / f"{paper.id}.html")
        assert set(items) == {c.url for c in paper.code}
        for url, li in items.items():
            if url not in EXPECTED_NOTES:
                assert "aladin-stars" not in li and "★" not in li, (paper.id, url)
                continue
            checked += 1
            stars, _, _, licence = FAKE_FIGURES[url]
            span = re.search(r'<span class="(aladin-stars[^"]*)" data-stars="(\d+)" '
                             r'title="([^"]*)">([^<]*)</span>', li)
            assert span, li
            classes, count, title, text = span.groups()
            assert unescape(text) == EXPECTED_NOTES[url]
            assert int(count) == stars
            assert f"{stars:,} stars on GitHub on {FETCHED.isoformat()}" in unescape(title)
            flag = EXPECTED_FLAGS.get(url, "")
            assert classes == ("aladin-stars" + (f" aladin-stars--{flag}" if flag else "")), url
            assert ("aladin-license" in li) == bool(licence)
            if licence:
                assert f">{licence}</span>" in li
    assert checked == len(EXPECTED_NOTES)  # every fixture repository was found on a page
    # Both repositories of a two-repository paper carry their own figures.
    two = code_items(site / "papers" / f"{TWO_REPOS}.html")
    assert "★2.6k" in two["https://github.com/D-X-Y/AutoDL-Projects"]
    assert "★120 (last push 2023-01)" in two["https://github.com/D-X-Y/TAS"]


def test_explorer_config_holds_each_papers_most_starred_repository(
    stars_site: tuple[Catalog, Path],
) -> None:
    catalog, site = stars_site
    html = (site / "explorer.html").read_text(encoding="utf-8")
    config = json.loads(re.search(
        r'<script type="application/json" class="aladin-explorer-config">(.*?)</script>', html,
        re.S).group(1))
    expected = {}
    for stars, pid, note in enriched_papers(catalog):
        top = next(u for u, n in EXPECTED_NOTES.items() if n == note)
        expected[pid] = [stars, note, EXPECTED_FLAGS.get(top, "")]
    assert config["stars"] == expected
    assert config["stars"][TWO_REPOS][0] == 2600  # the most-starred of its two repositories
    # Without enrichment data the explorer gets no stars at all (and shows no Stars column).
    assert _explorer_config(Renderer(SiteModel(catalog, {}, repos={})))["stars"] == {}


def test_a_malformed_enrichment_file_fails_the_build_and_names_the_file(
    tmp_path: Path, small_catalog: Path
) -> None:
    catalog = load(scratch_catalog(small_catalog, tmp_path / "catalog",
                                   '{"repos": {"https://x": {"stars": 1'))
    with pytest.raises(SiteBuildError, match=r"enrichment[/\\]github\.json"):
        build_site(catalog, REPO, tmp_path / "site")
    assert not (tmp_path / "site").exists()


# --- in Chromium ----------------------------------------------------------------------------------

ROWS = """() => [...document.querySelectorAll('.aladin-explorer tbody tr')].map(tr => [
  tr.querySelector('td:first-child > a').getAttribute('href'),
  tr.querySelector('td.aladin-stars').textContent,
  tr.querySelector('td.aladin-stars').className,
])"""


def paper_ids(rows: list[list[str]]) -> list[str]:
    return [href.rsplit("/", 1)[-1].removesuffix(".html") for href, _, _ in rows]


@pytest.mark.browser
def test_explorer_sorts_by_stars_and_keeps_the_sort_in_the_url(
    stars_site: tuple[Catalog, Path], serve_dir: Callable[[Path], str],
    new_page: Callable[..., object],
) -> None:
    catalog, site = stars_site
    base = serve_dir(site)
    enriched = enriched_papers(catalog)
    top_ids = [pid for _, pid, _ in enriched]
    page = open_explorer(new_page(), base)
    assert page.inner_text(".aladin-explorer th[data-sort=stars]") == "Stars"

    # Descending (the column's first click): papers with stars first, most stars first.
    page.click(".aladin-explorer th[data-sort=stars] button")
    rows = page.evaluate(ROWS)
    assert paper_ids(rows)[: len(enriched)] == top_ids
    assert [text for _, text, _ in rows[: len(enriched)]] == [n for _, _, n in enriched]
    assert all(text == "" for _, text, _ in rows[len(enriched):])  # no data: 0 stars, after
    flagged = {pid: cls for pid, (_, _, cls) in zip(paper_ids(rows), rows, strict=True)}
    assert flagged["2016-eccv-xnor-net"] == "aladin-stars aladin-stars--archived"
    assert flagged["2019-iclr-darts"] == "aladin-stars aladin-stars--stale"
    assert flagged["2019-cvpr-filter-pruning-geometric-median"] == "aladin-stars"
    query = parse_qs(urlsplit(address(page)).query)
    assert query == {"sort": ["stars"], "dir": ["desc"]}
    assert page.get_attribute(".aladin-explorer th[data-sort=stars]", "aria-sort") == "descending"

    # The address restores the view in a fresh browser.
    shared = open_explorer(new_page(), base, "?" + urlsplit(page.url).query)
    assert paper_ids(shared.evaluate(ROWS)) == paper_ids(rows)
    assert shared.get_attribute(".aladin-explorer th[data-sort=stars]", "aria-sort") == "descending"

    # Ascending, with a filter: the starred papers close the list, fewest stars first.
    page.click(".aladin-explorer th[data-sort=stars] button")
    page.check(".aladin-explorer form [name=code]")
    assert shown_count(page) == sum(1 for p in catalog.papers if p.code)
    pages = -(-shown_count(page) // 50)
    for _ in range(pages - 1):
        page.click(".aladin-explorer button[name=next]")
    last = page.evaluate(ROWS)
    assert paper_ids(last)[-len(enriched):] == top_ids[::-1]
    query = parse_qs(urlsplit(address(page)).query)
    assert query["sort"] == ["stars"] and query["dir"] == ["asc"] and query["code"] == ["1"]
    reloaded = open_explorer(new_page(), base, "?" + urlsplit(page.url).query)
    assert paper_ids(reloaded.evaluate(ROWS)) == paper_ids(last)
    sort_header = ".aladin-explorer th[data-sort=stars]"
    assert reloaded.get_attribute(sort_header, "aria-sort") == "ascending"
    assert page.errors == [] and shared.errors == [] and reloaded.errors == []


@pytest.mark.browser
def test_explorer_has_a_stars_column_only_with_enrichment_data(
    site: Path, catalog: Catalog, serve_dir: Callable[[Path], str],
    new_page: Callable[..., object],
) -> None:
    """The real catalog's site: a Stars column exactly when its enrichment file has data for a
    paper (none yet in this repository), and ``?sort=stars`` then falls back to reading order."""
    has_data = any(SiteModel(catalog, {}).top_repo(p) for p in catalog.papers)
    page = open_explorer(new_page(), serve_dir(site), "?sort=stars")
    assert page.locator(".aladin-explorer th[data-sort=stars]").count() == int(has_data)
    assert page.locator(".aladin-explorer tbody td.aladin-stars").count() == (
        min(50, len(catalog)) if has_data else 0)
    if not has_data:
        assert "sort" not in parse_qs(urlsplit(address(page)).query)
    assert page.errors == []


@pytest.mark.browser
def test_narrow_screens_show_stars_in_place_of_the_venue_only_when_sorting_by_them(
    stars_site: tuple[Catalog, Path], serve_dir: Callable[[Path], str],
    new_page: Callable[..., object],
) -> None:
    base = serve_dir(stars_site[1])
    overflow = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    for query, stars_shown in (("", False), ("?sort=stars", True)):
        page = open_explorer(new_page(width=375, height=740, is_mobile=True), base, query)
        first_row = ".aladin-explorer tbody tr:first-child"
        assert page.is_visible(f"{first_row} td.aladin-stars") == stars_shown, query
        assert page.is_visible(f"{first_row} td:nth-child(3)") != stars_shown, query  # venue
        assert page.evaluate(overflow) <= 0, query
