"""arXiv and OpenReview look-ups against a local server speaking their real formats."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from zoo.catalog import load
from zoo.network import arxiv, openreview
from zoo.network.http import NetworkError, NotFound, RateLimited, make_session
from zoo.network.metadata import PaperIds, identify, lookup, suggest_venue

from .answers import ATOM, FAST, sequence
from .answers import data as feed


@pytest.mark.parametrize(("text", "expected"), [
    ("2712.00001", "2712.00001"),
    ("arXiv:2712.00001v3", "2712.00001"),
    ("https://arxiv.org/abs/2712.00001v2", "2712.00001"),
    ("http://export.arxiv.org/pdf/2712.00001.pdf", "2712.00001"),
    ("hep-th/9901001v1", "hep-th/9901001"),
])
def test_arxiv_ids_are_normalised(text: str, expected: str) -> None:
    assert arxiv.normalise_id(text) == expected


@pytest.mark.parametrize("text", ["abc", "2712.1", "https://example.org/abs/2712.00001", ""])
def test_malformed_arxiv_ids_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an arXiv id"):
        arxiv.normalise_id(text)


def test_arxiv_record_from_the_atom_feed(server: HTTPServer) -> None:
    server.expect_request("/api/query", query_string={"id_list": "2712.00001", "max_results": "1"}
                          ).respond_with_data(feed("arxiv_entry.xml"), content_type=ATOM)
    record = arxiv.fetch("arXiv:2712.00001v2", base_url=server.url_for("/api/query"))
    assert record.title == "Tiny: Pruning Small Things with Large Consequences"
    assert record.authors == ("Ada Lovelace", "Alan Turing")
    assert (record.year, record.month, record.published) == (2027, 12, dt.date(2027, 12, 1))
    assert record.abs_url == "https://arxiv.org/abs/2712.00001"
    assert record.pdf_url == "https://arxiv.org/pdf/2712.00001v2"
    assert record.comment == "8 pages; accepted to CVPR (oral)"


def test_unknown_and_rejected_ids(server: HTTPServer) -> None:
    server.expect_request("/api/query", query_string={"id_list": "2712.99999", "max_results": "1"}
                          ).respond_with_data(feed("arxiv_empty.xml"), content_type=ATOM)
    with pytest.raises(NotFound, match=r"^arXiv has no paper 2712\.99999$"):
        arxiv.fetch("2712.99999", base_url=server.url_for("/api/query"))
    with pytest.raises(arxiv.ArxivError, match=r"^arXiv: incorrect id format for 2712\.0001$"):
        arxiv.parse_feed(feed("arxiv_error.xml"), "2712.0001")
    with pytest.raises(arxiv.ArxivError, match="not an Atom feed"):
        arxiv.parse_feed("<html>maintenance</html", "2712.0001")


def test_arxiv_throttling_is_a_rate_limit(server: HTTPServer) -> None:
    server.expect_request("/text").respond_with_data("Rate exceeded.", content_type="text/plain")
    server.expect_request("/429").respond_with_data("", status=429,
                                                    headers={"Retry-After": "3600"})
    with make_session(FAST) as session:
        with pytest.raises(RateLimited, match="Rate exceeded"):
            arxiv.fetch("2712.00001", session=session, base_url=server.url_for("/text"))
        start = time.monotonic()
        with pytest.raises(RateLimited, match=r"^arXiv 2712\.00001: rate-limited .*3600 s$"):
            arxiv.fetch("2712.00001", session=session, base_url=server.url_for("/429"))
        assert time.monotonic() - start < 1


def test_a_server_error_then_the_feed(server: HTTPServer) -> None:
    handler = sequence(Response("oops", status=500),
                       Response(feed("arxiv_entry.xml"), content_type=ATOM))
    server.expect_request("/api/query").respond_with_handler(handler)
    with make_session(FAST) as session:
        record = arxiv.fetch("2712.00001", session=session, base_url=server.url_for("/api/query"))
    assert record.title.startswith("Tiny:") and len(handler.calls) == 2


def test_openreview_v2_then_v1(server: HTTPServer) -> None:
    v2, v1 = server.url_for("/v2"), server.url_for("/v1")
    server.expect_request("/v2/notes", query_string={"id": "TinyPrune01"}).respond_with_data(
        feed("openreview_v2.json"), content_type="application/json")
    server.expect_request("/v2/notes", query_string={"id": "OldTiny001"}).respond_with_json(
        {"notes": [], "count": 0})
    server.expect_request("/v1/notes", query_string={"id": "OldTiny001"}).respond_with_data(
        feed("openreview_v1.json"), content_type="application/json")
    new = openreview.fetch("https://openreview.net/forum?id=TinyPrune01", base_urls=(v2, v1))
    assert (new.title, new.authors, new.year, new.venue_hint) == (
        "Tiny: Pruning Small Things with Large Consequences", ("Ada Lovelace", "Alan Turing"),
        2027, "ICLR 2027")
    old = openreview.fetch("OldTiny001", base_urls=(v2, v1))
    assert (old.title, old.authors, old.year, old.venue_hint) == (
        "Old Tiny: An Earlier Fictional Paper", ("Grace Hopper",), 2019, "ICLR 2019")
    server.expect_request("/v1/notes").respond_with_json({"notes": [], "count": 0})
    server.expect_request("/v2/notes").respond_with_json({"notes": [], "count": 0})
    with pytest.raises(NotFound, match=r"^OpenReview has no forum Nowhere01$"):
        openreview.fetch("Nowhere01", base_urls=(v2, v1))


def test_identify_and_lookup(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    assert identify(url="https://arxiv.org/abs/2712.00001v1") == PaperIds("2712.00001", None)
    assert identify(url="https://openreview.net/pdf?id=TinyPrune01") == PaperIds(
        None, "TinyPrune01")
    assert not identify(url="https://example.org/paper")
    with pytest.raises(ValueError, match="not an OpenReview forum id"):
        identify(openreview_id="a b")
    server.expect_request("/api/query").respond_with_data(feed("arxiv_entry.xml"),
                                                          content_type=ATOM)
    monkeypatch.setenv(arxiv.API_ENV, server.url_for("/api/query"))
    meta = lookup(PaperIds("2712.00001", "TinyPrune01"))  # arXiv wins
    assert meta.source == "arXiv 2712.00001" and meta.venue_hint == (
        "8 pages; accepted to CVPR (oral)")


def test_venue_suggestions_use_the_catalog_venues() -> None:
    venues = load().venue_table
    assert suggest_venue("8 pages; accepted to CVPR (oral)", venues) == "CVPR"
    assert suggest_venue("Accepted at NIPS 2018", venues) == "NeurIPS"
    assert suggest_venue("CVPRW 2019, EVW workshop", venues) == "CVPRW"
    assert suggest_venue("ICLR2019", venues) == "ICLR"
    assert suggest_venue("12 pages, 5 figures", venues) is None
    assert suggest_venue(None, venues) is None


def test_bad_json_from_openreview_is_one_line(server: HTTPServer) -> None:
    server.expect_request("/v2/notes").respond_with_data("<html>", content_type="text/html")
    with pytest.raises(NetworkError, match=r"^OpenReview TinyPrune01: the answer is not JSON$"):
        openreview.fetch("TinyPrune01", base_urls=(server.url_for("/v2"),))
