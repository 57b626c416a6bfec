"""`aladin new --arxiv`, `aladin check-links` and `aladin enrich` as a user runs them, with every
remote service played by a local server."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from zoo.catalog import load
from zoo.network.enrichment import load_enrichment
from zoo.network.github import repo_slug

from .answers import ATOM, data, github_rate_limited, github_repo

Run = Callable[..., tuple[int, str, str]]
NEW = ("new", "--category", "pruning", "--subcategory", "structured")


def papers(repo: Path) -> set[str]:
    return {p.name for p in (repo / "catalog" / "papers").iterdir()}


@pytest.fixture
def arxiv_api(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    server.expect_request("/api/query", query_string={"id_list": "2712.00001", "max_results": "1"}
                          ).respond_with_data(data("arxiv_entry.xml"), content_type=ATOM)
    server.expect_request("/api/query", query_string={"id_list": "2712.99999", "max_results": "1"}
                          ).respond_with_data(data("arxiv_empty.xml"), content_type=ATOM)
    monkeypatch.setenv("ALADIN_ARXIV_API", server.url_for("/api/query"))
    return server


def test_new_from_an_arxiv_id_writes_a_valid_preprint(repo: Path, aladin: Run,
                                                       arxiv_api: HTTPServer) -> None:
    status, out, err = aladin("--root", repo, *NEW, "--arxiv", "arXiv:2712.00001v2",
                              "--venue", "arXiv")
    assert status == 0, (out, err)
    assert out.strip() == ("wrote catalog/papers/2027-arxiv-tiny.yaml; now run `aladin check` "
                           "and `aladin build`")
    assert err.splitlines()[0] == ("arXiv 2712.00001: Tiny: Pruning Small Things with Large "
                                   "Consequences — Ada Lovelace, Alan Turing (2027)")
    paper = load(repo / "catalog").paper("2027-arxiv-tiny")
    assert (paper.title, paper.authors, paper.year, paper.month, paper.links.arxiv) == (
        "Tiny: Pruning Small Things with Large Consequences", ["Ada Lovelace", "Alan Turing"],
        2027, 12, "2712.00001")
    assert aladin("--root", repo, "check")[0] == 0


def test_new_for_a_conference_notes_the_year_and_offers_the_venue(
        repo: Path, aladin: Run, arxiv_api: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal:
        def isatty(self) -> bool:
            return True

    prompts: list[str] = []
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or "")
    status, out, err = aladin("--root", repo, *NEW, "--arxiv", "2712.00001", "--dry-run")
    assert status == 0, (out, err)
    # Title, authors and year came from arXiv; the venue is offered from arXiv's comment.
    assert prompts == ["Venue (e.g. CVPR, NeurIPS, arXiv) [CVPR]: ", "Paper page URL: "]
    assert "id: 2027-cvpr-tiny" in out and "month" not in out and "venue: CVPR" in out
    assert "note: 2027 is the year of the first arXiv version" in err
    assert not (repo / "catalog/papers/2027-cvpr-tiny.yaml").exists()


def test_new_fails_in_one_line_and_writes_nothing(repo: Path, aladin: Run, server: HTTPServer,
                                                  closed_port: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    before = papers(repo)
    server.expect_request("/limited").respond_with_data("", status=429,
                                                        headers={"Retry-After": "3600"})
    server.expect_request("/empty").respond_with_data(data("arxiv_empty.xml"), content_type=ATOM)
    cases = {
        f"http://127.0.0.1:{closed_port}/api/query":
            f"aladin: cannot connect to 127.0.0.1:{closed_port} (offline?); nothing written",
        server.url_for("/limited"): "aladin: arXiv 2712.00001: rate-limited by "
                                    f"127.0.0.1:{server.port} (HTTP 429); try again in 3600 s",
        server.url_for("/empty"): "aladin: arXiv has no paper 2712.00001; nothing written",
    }
    for api, message in cases.items():
        monkeypatch.setenv("ALADIN_ARXIV_API", api)
        status, out, err = aladin("--root", repo, *NEW, "--venue", "arXiv",
                                  "--arxiv", "2712.00001")
        assert status == 1 and out == ""
        assert len(err.splitlines()) == 1 and err.startswith(message), err
    status, _, err = aladin("--root", repo, *NEW, "--arxiv", "not-an-id")
    assert status == 1
    assert err.strip() == "aladin: not an arXiv id: 'not-an-id' (expected e.g. 1811.00250)"
    assert papers(repo) == before


def test_new_refuses_a_known_arxiv_id_without_asking_arxiv(
        repo: Path, aladin: Run, closed_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALADIN_ARXIV_API", f"http://127.0.0.1:{closed_port}/")
    status, out, _ = aladin("--root", repo, *NEW, "--venue", "CVPR",
                            "--url", "https://arxiv.org/abs/1811.00250v3")
    assert status == 1
    assert out.strip() == ("links.arxiv: duplicate paper: same arXiv id as "
                           "catalog/papers/2019-cvpr-filter-pruning-geometric-median.yaml")


def test_new_from_an_openreview_url(repo: Path, aladin: Run, server: HTTPServer,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    server.expect_request("/v2/notes", query_string={"id": "TinyPrune01"}).respond_with_data(
        data("openreview_v2.json"), content_type="application/json")
    monkeypatch.setenv("ALADIN_OPENREVIEW_API", server.url_for("/v2"))
    status, out, err = aladin("--root", repo, *NEW, "--venue", "ICLR",
                              "--url", "https://openreview.net/forum?id=TinyPrune01")
    assert status == 0, (out, err)
    paper = load(repo / "catalog").paper("2027-iclr-tiny")
    assert paper.links.openreview == "TinyPrune01" and paper.year == 2027
    assert paper.links.paper == "https://openreview.net/forum?id=TinyPrune01"


def add_local_paper(repo: Path, server: HTTPServer) -> str:
    """An entry whose links all point at the local server; the README is not rebuilt."""
    (repo / "catalog/papers/2024-neurips-local-links.yaml").write_text(f"""\
id: 2024-neurips-local-links
title: Local Links
authors: [Ada Lovelace]
year: 2024
venue: NeurIPS
category: pruning
subcategory: structured
links:
  paper: {server.url_for("/ok")}
  pdf: {server.url_for("/missing")}
code:
- url: {server.url_for("/moved")}
added: 2026-11-26
""")
    return "2024-neurips-local-links"


def test_check_links_reports_dead_and_moved_with_file_and_line(repo: Path, aladin: Run,
                                                                server: HTTPServer) -> None:
    server.expect_request("/ok").respond_with_data("fine")
    server.expect_request("/missing").respond_with_data("no", status=404)
    server.expect_request("/moved").respond_with_response(
        Response("", status=301, headers={"Location": "/ok"}))
    paper = add_local_paper(repo, server)
    status, out, err = aladin("--root", repo, "check-links", paper)
    assert status == 1
    where = "catalog/papers/2024-neurips-local-links.yaml"
    rows = [re.split(r"\s{2,}", line) for line in out.splitlines()]
    assert rows == [
        ["dead", "404", f"{where}:10 links.pdf",
         f"{server.url_for('/missing')}", "(not found (HTTP 404))"],
        ["moved", "301", f"{where}:12 code[0].url",
         f"{server.url_for('/moved')} → {server.url_for('/ok')}"],
    ]
    assert re.match(r"^3 links checked in [\d.]+ s \(0 from the cache\): 1 ok, 1 moved, 1 dead, "
                    r"0 unverified$", err.strip())
    asked = len(server.log)
    status, out, _ = aladin("--root", repo, "check-links", "--json", paper)
    report = json.loads(out)
    assert status == 1 and len(server.log) == asked  # all three answered from the cache
    assert report["summary"] == {"links": 3, "cached": 3, "ok": 1, "moved": 1, "dead": 1,
                                 "unverified": 0}
    moved = next(r for r in report["links"] if r["state"] == "moved")
    assert moved["final_url"] == server.url_for("/ok")
    assert [h["status"] for h in moved["chain"]] == [301, 200]
    assert moved["where"] == [{"path": where, "line": 12, "field": "code[0].url",
                               "paper": paper}]
    assert (repo / ".aladin-cache" / "links.json").is_file()
    assert aladin("--root", repo, "check-links", "no-such-paper")[2].strip() == (
        "aladin: not in the catalog: no-such-paper")


def test_check_links_offline_is_an_error_not_a_pass(repo: Path, aladin: Run, server: HTTPServer,
                                                    closed_port: int) -> None:
    paper = add_local_paper(repo, server)
    path = repo / "catalog/papers" / f"{paper}.yaml"
    path.write_text(path.read_text().replace(f":{server.port}/", f":{closed_port}/"))
    status, out, err = aladin("--root", repo, "check-links", "--no-cache", paper)
    assert status == 1 and out == ""
    assert err.strip() == (f"aladin: could not verify any of the 3 links (first: cannot connect "
                           f"to 127.0.0.1:{closed_port} (offline?))")


def test_enrich_writes_the_data_file_and_the_readme_shows_it(
        repo: Path, aladin: Run, server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_API_URL", server.url_for("/"))
    server.expect_request(re.compile(r"^/repos/[^/]+/[^/]+$")).respond_with_handler(github_repo)
    catalog = load(repo / "catalog")
    # Every code link on github.com that names a repository (http, www. and .git spellings too);
    # an owner page such as github.com/hpi-xnor has no repository to ask about.
    github = {c.url for p in catalog for c in p.code if repo_slug(c.url)}
    assert "https://github.com/hpi-xnor" not in github
    status, out, err = aladin("--root", repo, "enrich")
    assert status == 0, (out, err)
    data = load_enrichment(repo / "catalog")
    repos = {tuple(part.lower() for part in repo_slug(url) or ()) for url in github}
    assert set(data) == github and len(server.log) == len(repos)  # one request per repository
    assert "wrote catalog/enrichment/github.json, now run `aladin build`" in err
    fpgm = "https://github.com/he-y/filter-pruning-geometric-median"
    assert data[fpgm].stars == 100 * len("filter-pruning-geometric-median")
    assert aladin("--root", repo, "build", "--check")[0] == 1  # the README must show the stars
    assert aladin("--root", repo, "build", "--readme-only")[0] == 0
    readme = (repo / "README.md").read_text()
    assert f"[[Code]({fpgm})] · ★3.1k (last push 2021-04)" in readme
    assert aladin("--root", repo, "build", "--check")[0] == 0


def test_enrich_stops_at_the_rate_limit_and_keeps_what_it_has(
        repo: Path, aladin: Run, server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_API_URL", server.url_for("/"))
    calls: list[str] = []

    def api(req: Request) -> Response:
        calls.append(req.path)
        return github_repo(req) if len(calls) <= 3 else github_rate_limited(req)

    server.expect_request(re.compile(r"^/repos/")).respond_with_handler(api)
    status, _, err = aladin("--root", repo, "enrich")
    assert status == 1 and len(calls) == 4
    assert err.splitlines()[-1].startswith("aladin: GitHub API rate limit (60 requests an hour) "
                                           "reached; it resets at ")
    assert "set GITHUB_TOKEN" in err and "their earlier data is kept" in err
    assert len({i.full_name for i in load_enrichment(repo / "catalog").values()}) == 3


def test_a_broken_enrichment_file_is_one_line_not_a_traceback(repo: Path, aladin: Run) -> None:
    path = repo / "catalog/enrichment/github.json"
    path.parent.mkdir()
    path.write_text("{not json")
    status, _, err = aladin("--root", repo, "build", "--readme-only")
    assert status == 1 and len(err.splitlines()) == 1
    assert "github.json: unreadable enrichment data" in err and "aladin enrich" in err
