"""The link checker against a real local server: every verdict, politeness, cache, file:line."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from zoo.catalog import load
from zoo.network.links import LinkCache, LinkChecker, catalog_links

from .answers import FAST, sequence


def redirect(target: str, status: int = 301) -> Response:
    return Response("", status=status, headers={"Location": target})


@pytest.fixture
def site(server: HTTPServer) -> HTTPServer:
    """One path per case the checker must tell apart."""
    server.expect_request("/ok").respond_with_data("fine")
    server.expect_request("/missing").respond_with_data("no", status=404)
    server.expect_request("/gone").respond_with_data("gone", status=410)
    server.expect_request("/head-refused", method="HEAD").respond_with_data("", status=405)
    server.expect_request("/head-refused", method="GET").respond_with_data("page")
    server.expect_request("/moved").respond_with_response(redirect("/ok", 301))
    server.expect_request("/temporary").respond_with_response(redirect("/ok", 302))
    server.expect_request("/loop-a").respond_with_response(redirect("/loop-b", 302))
    server.expect_request("/loop-b").respond_with_response(redirect("/loop-a", 302))
    server.expect_request("/to-ftp").respond_with_response(
        redirect("ftp://files.example.invalid/paper.pdf", 302))
    server.expect_request("/flaky").respond_with_handler(
        sequence(Response("down", status=500), Response("up")))
    server.expect_request("/busy").respond_with_handler(
        sequence(Response("wait", status=429, headers={"Retry-After": "1"}), Response("ok")))
    server.expect_request("/limited").respond_with_data(
        "wait an hour", status=429, headers={"Retry-After": "3600"})

    def slow(_: Request) -> Response:
        time.sleep(3)
        return Response("late")

    server.expect_request("/slow").respond_with_handler(slow)
    return server


def test_every_verdict_and_a_bounded_total_time(site: HTTPServer, closed_port: int) -> None:
    paths = ["/ok", "/missing", "/gone", "/head-refused", "/moved", "/temporary", "/loop-a",
             "/to-ftp", "/flaky", "/busy", "/limited", "/slow"]
    urls = [site.url_for(p) for p in paths] + [f"http://127.0.0.1:{closed_port}/x"]
    checker = LinkChecker(FAST, workers=6, per_host=6, interval=0)
    start = time.monotonic()
    results = checker.check_all(urls)
    elapsed = time.monotonic() - start
    by_path = {p: results[site.url_for(p)] for p in paths}
    verdicts = {p: (r.state, r.status) for p, r in by_path.items()}
    assert verdicts == {
        "/ok": ("ok", 200),
        "/missing": ("dead", 404),
        "/gone": ("dead", 410),
        "/head-refused": ("ok", 200),
        "/moved": ("moved", 200),
        "/temporary": ("ok", 200),
        "/loop-a": ("dead", 302),
        "/to-ftp": ("dead", 302),
        "/flaky": ("ok", 200),
        "/busy": ("ok", 200),
        "/limited": ("unverified", 429),
        "/slow": ("unverified", None),
    }
    assert by_path["/moved"].final_url == site.url_for("/ok")
    assert by_path["/moved"].message == f"moved permanently to {site.url_for('/ok')}"
    assert [h.status for h in by_path["/temporary"].chain] == [302, 200]
    assert by_path["/loop-a"].message == (
        f"redirect loop: {site.url_for('/loop-a')} → {site.url_for('/loop-b')} → "
        f"{site.url_for('/loop-a')}")
    assert by_path["/to-ftp"].message == (
        "redirects to a non-http URL: ftp://files.example.invalid/paper.pdf")
    assert by_path["/slow"].message == f"no answer from 127.0.0.1:{site.port} within 0.5 s"
    refused = results[f"http://127.0.0.1:{closed_port}/x"]
    assert refused.state == "unverified" and "cannot connect" in refused.message
    # HEAD was refused, so the page was fetched with GET; a 404 is confirmed by GET too.
    methods = [(req.method, req.path) for req, _ in site.log]
    assert ("GET", "/head-refused") in methods and ("GET", "/missing") in methods
    # The slow page costs 3 × 0.5 s, the busy one its 1 s Retry-After; nothing waits 3600 s.
    assert elapsed < 6, elapsed


def test_per_host_politeness(server: HTTPServer) -> None:
    in_flight, most, starts = 0, 0, []
    lock = threading.Lock()

    def counted(_: Request) -> Response:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
            starts.append(time.monotonic())
        time.sleep(0.05)
        with lock:
            in_flight -= 1
        return Response("ok")

    server.expect_request("/page").respond_with_handler(counted)
    urls = [server.url_for(f"/page?n={n}") for n in range(6)]
    results = LinkChecker(FAST, workers=6, per_host=2, interval=0.1).check_all(urls)
    assert {r.state for r in results.values()} == {"ok"}
    assert most <= 2
    # Starts are spaced 0.1 s apart by the client; the server sees them no earlier than that.
    assert starts[-1] - starts[0] >= 0.4, starts


def test_cache_answers_for_a_day_but_not_for_failures(server: HTTPServer, tmp_path: Path,
                                                      closed_port: int) -> None:
    server.expect_request("/ok").respond_with_data("fine")
    server.expect_request("/missing").respond_with_data("no", status=404)
    urls = [server.url_for("/ok"), server.url_for("/missing"),
            f"http://127.0.0.1:{closed_port}/"]
    path = tmp_path / ".aladin-cache" / "links.json"
    first = LinkChecker(FAST, interval=0, cache=LinkCache(path)).check_all(urls)
    asked = len(server.log)
    again = LinkChecker(FAST, interval=0, cache=LinkCache(path)).check_all(urls)
    assert len(server.log) == asked  # nothing was asked of the server a second time
    assert [r.state for r in again.values()] == [r.state for r in first.values()]
    assert [r.cached for r in again.values()] == [True, True, False]
    expired = LinkCache(path, ttl=dt.timedelta(0))
    assert expired.get(server.url_for("/ok"), now=dt.datetime.now(dt.UTC)
                       + dt.timedelta(seconds=1)) is None


def test_links_carry_their_file_line_and_field(repo: Path) -> None:
    catalog = load(repo / "catalog")
    refs = catalog_links(catalog, ["2019-cvpr-filter-pruning-geometric-median"])
    text = (repo / "catalog/papers/2019-cvpr-filter-pruning-geometric-median.yaml").read_text()
    lines = text.splitlines()

    def line_of(prefix: str) -> int:
        return next(n for n, line in enumerate(lines, 1) if line.lstrip("- ").startswith(prefix))

    assert [(r.url, r.path, r.line, r.field) for r in refs] == [
        ("https://arxiv.org/abs/1811.00250",
         "catalog/papers/2019-cvpr-filter-pruning-geometric-median.yaml",
         line_of("paper:"), "links.paper"),
        ("https://arxiv.org/abs/1811.00250",
         "catalog/papers/2019-cvpr-filter-pruning-geometric-median.yaml",
         line_of("arxiv:"), "links.arxiv"),
        ("https://github.com/he-y/filter-pruning-geometric-median",
         "catalog/papers/2019-cvpr-filter-pruning-geometric-median.yaml",
         line_of("url:"), "code[0].url"),
    ]
    everything = catalog_links(catalog)
    assert {r.paper for r in everything} == {p.id for p in catalog if p.links.best or p.code}
    assert all(r.url.startswith(("http://", "https://")) and r.line > 1 for r in everything)
