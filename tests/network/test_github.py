"""GitHub enrichment against a local server speaking the REST API's JSON, and its data file."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from zoo.catalog import load
from zoo.importer.formats import labelled
from zoo.importer.markdown import scan
from zoo.network.enrichment import (
    EnrichmentError,
    RepoInfo,
    dump_enrichment,
    enrichment_path,
    format_stars,
    load_enrichment,
)
from zoo.network.github import enrich, fetch_repo, merged, repo_slug
from zoo.network.http import NotFound, RateLimited, make_session
from zoo.publish.readme import paper_line, render_readme

from .answers import FAST, REPO_JSON, github_rate_limited, github_repo

TODAY = dt.date(2026, 11, 26)
@pytest.mark.parametrize(("url", "slug"), [
    ("https://github.com/he-y/filter-pruning-geometric-median", ("he-y",
                                                                 "filter-pruning-geometric-median")),
    ("https://www.github.com/a/b.git", ("a", "b")),
    ("https://github.com/a/b/tree/master/src", ("a", "b")),
    ("https://github.com/a", None),
    ("https://github.com/orgs/a", None),
    ("https://gitlab.com/a/b", None),
])
def test_repo_slugs(url: str, slug: tuple[str, str] | None) -> None:
    assert repo_slug(url) == slug



def _read(line: str) -> labelled.Listing:
    """The importer's reading of one generated README line."""
    (entry,) = scan(line)
    return labelled.parse(entry.line)


def _code(listing: labelled.Listing) -> list[tuple[str, str]]:
    return [(link.label, link.url) for link in listing.links if link.kind == "code"]

def test_fetch_repo_reads_the_api_answer_and_sends_the_token(
        server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "test-token")
    server.expect_request("/repos/example/tiny", headers={
        "Authorization": "Bearer test-token", "Accept": "application/vnd.github+json",
    }).respond_with_json(REPO_JSON)
    with make_session(FAST) as session:
        info = fetch_repo("example", "tiny", session=session, base_url=server.url_for("/"),
                          today=TODAY)
    assert info == RepoInfo("example/tiny", 1234, dt.date(2021, 4, 30), False, "MIT", TODAY)
    assert info.stale and info.note() == "★1.2k (last push 2021-04)"


def test_rate_limit_and_missing_repositories(server: HTTPServer,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    server.expect_request("/repos/example/limited").respond_with_handler(github_rate_limited)
    server.expect_request("/repos/example/deleted").respond_with_json(
        {"message": "Not Found"}, status=404)
    with make_session(FAST) as session:
        start = time.monotonic()
        with pytest.raises(RateLimited) as caught:
            fetch_repo("example", "limited", session=session, base_url=server.url_for("/"))
        assert time.monotonic() - start < 1  # a 403 rate limit is reported, never retried
        with pytest.raises(NotFound, match="repository not found"):
            fetch_repo("example", "deleted", session=session, base_url=server.url_for("/"))
    reset = dt.datetime.fromtimestamp(1795000000, dt.UTC)
    assert str(caught.value) == (
        f"GitHub API rate limit (60 requests an hour) reached; it resets at {reset:%H:%M} UTC; "
        "set GITHUB_TOKEN to raise the limit from 60 to 5,000 requests an hour")


def test_enrich_asks_once_per_repository_and_stops_at_the_rate_limit(
        server: HTTPServer) -> None:
    calls: list[str] = []

    def api(req: Request) -> Response:
        calls.append(req.path)
        return github_repo(req) if len(calls) <= 2 else github_rate_limited(req)

    server.expect_request("/repos/a/one").respond_with_handler(api)
    server.expect_request("/repos/b/two").respond_with_handler(api)
    server.expect_request("/repos/c/three").respond_with_handler(api)
    urls = ["https://github.com/a/one", "https://github.com/A/one/tree/main",
            "https://gitlab.com/x/y", "https://github.com/b/two", "https://github.com/c/three",
            "https://github.com/d/four"]
    result = enrich(urls, base_url=server.url_for("/"), today=TODAY)
    assert calls == ["/repos/a/one", "/repos/b/two", "/repos/c/three"]
    assert sorted(result.repos) == ["https://github.com/A/one/tree/main",
                                    "https://github.com/a/one", "https://github.com/b/two"]
    assert result.skipped == ["https://gitlab.com/x/y"]
    assert isinstance(result.stopped, RateLimited)
    assert result.unfetched == ["https://github.com/c/three", "https://github.com/d/four"]
    old = {url: RepoInfo("old/data", 5, None, True, None, TODAY) for url in
           ("https://github.com/c/three", "https://github.com/b/two", "https://github.com/gone/x")}
    kept = merged(old, result, urls)
    assert kept["https://github.com/c/three"].full_name == "old/data"  # not asked: kept
    assert kept["https://github.com/b/two"].full_name == "b/two"  # asked: fresh
    assert "https://github.com/gone/x" not in kept  # no longer in the catalog


def test_enrichment_file_round_trip_absent_and_broken(tmp_path: Path) -> None:
    assert load_enrichment(tmp_path) == {}
    info = RepoInfo("a/b", 999, dt.date(2026, 1, 2), True, None, TODAY)
    path = enrichment_path(tmp_path)
    path.parent.mkdir()
    path.write_text(dump_enrichment({"https://github.com/a/b": info}))
    assert load_enrichment(tmp_path) == {"https://github.com/a/b": info}
    path.write_text('{"repos": {"https://github.com/a/b": {"stars": "many"}}}')
    with pytest.raises(EnrichmentError, match=r"github\.json: unreadable enrichment data"):
        load_enrichment(tmp_path)


@pytest.mark.parametrize(("count", "text"), [
    (0, "0"), (999, "999"), (1000, "1k"), (1234, "1.2k"), (9960, "10k"), (12345, "12k"),
    (1_200_000, "1.2M"),
])
def test_star_counts(count: int, text: str) -> None:
    assert format_stars(count) == text


def test_stale_is_measured_from_the_fetch_date() -> None:
    assert not RepoInfo("a/b", 1, dt.date(2024, 12, 1), False, None, TODAY).stale
    assert RepoInfo("a/b", 1, dt.date(2024, 11, 1), False, None, TODAY).stale
    assert RepoInfo("a/b", 80, dt.date(2020, 1, 1), True, None, TODAY).note() == "★80 (archived)"


def test_readme_lines_show_stars_and_stay_importable(repo: Path) -> None:
    catalog = load(repo / "catalog")
    fpgm = catalog.paper("2019-cvpr-filter-pruning-geometric-median")
    url = fpgm.code[0].url
    repos = {url: RepoInfo("he-y/x", 1234, dt.date(2021, 4, 30), False, "MIT", TODAY)}
    line = paper_line(fpgm, catalog, (), repos)
    assert line.endswith(f"[[Code]({url})] · ★1.2k (last push 2021-04)")
    listing = _read(line)
    assert _code(listing) == [("Code", url)] and listing.title == fpgm.title
    two = next(p for p in catalog if len(p.code) > 1)
    repos = {c.url: RepoInfo("a/b", 50 + i, None, i == 1, None, TODAY)
             for i, c in enumerate(two.code)}
    line = paper_line(two, catalog, (), repos)
    assert f" · {two.code[0].label} ★50 · {two.code[1].label} ★51 (archived)" in line
    assert _code(_read(line)) == [(c.label, c.url) for c in two.code]
    # render_readme picks the data file up from the catalog directory.
    path = enrichment_path(repo / "catalog")
    path.parent.mkdir()
    path.write_text(dump_enrichment({url: RepoInfo("he-y/x", 7, None, False, None, TODAY)}))
    assert f"[[Code]({url})] · ★7" in render_readme(load(repo / "catalog"), {})
