"""Hostile servers on 127.0.0.1 (issue 14): a server dripping its answer a byte at a time,
Retry-After from one request holding back the others, an API answering 404 for everything,
malformed dates and reset times, and check-links' own arguments."""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from zoo.network import arxiv
from zoo.network.github import fetch_repo
from zoo.network.http import NetworkError, RateLimited, make_session, request
from zoo.network.links import LinkChecker

from .answers import ATOM, FAST, data, github_repo, sequence
from .test_cli_network import add_local_paper

Run = Callable[..., tuple[int, str, str]]
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


# The start of a TLS server hello, for a client that is still shaking hands.
TLS_HELLO = b"\x16\x03\x03\x40\x00" + bytes(60)


@pytest.fixture
def drip(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server that sends a valid answer one byte every 0.1 s (6.1 s in all): each read
    succeeds within any read timeout, so only a total deadline stops the wait. Parametrised
    indirectly with other bytes to drip."""
    answer = getattr(request, "param", ANSWER)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            for byte in answer:
                if stop.wait(0.1):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:  # the client hung up: what a deadline does
                    return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()


# --- item 7: a total deadline per request ---------------------------------------------------

def test_a_dripping_server_is_cut_at_the_deadline_and_is_a_timeout(drip: str) -> None:
    settings = replace(FAST, deadline=1.0)
    start = time.monotonic()
    result = LinkChecker(settings).check(f"{drip}/paper")
    link_time = time.monotonic() - start
    assert result.state == "unverified" and result.status is None
    assert result.message == "timeout: no complete answer from " + drip[7:] + " within 1 s"
    start = time.monotonic()
    with pytest.raises(NetworkError, match=r"^timeout: no complete answer .* within 1 s$"):
        arxiv.fetch("2712.00001", base_url=f"{drip}/api/query", session=make_session(settings))
    fetch_time = time.monotonic() - start
    assert link_time < 2.5 and fetch_time < 2.5, (link_time, fetch_time)


@pytest.mark.parametrize("drip", [TLS_HELLO], indirect=True)
def test_a_tls_handshake_dripping_is_cut_at_the_deadline_too(drip: str) -> None:
    start = time.monotonic()
    with make_session(replace(FAST, deadline=1.0)) as session, pytest.raises(
            NetworkError, match=r"^timeout: no complete answer .* within 1 s$"):
        request(session, "GET", drip.replace("http:", "https:") + "/paper")
    assert time.monotonic() - start < 2.5


def test_check_links_timeout_is_the_whole_time_a_link_may_take(
    small_catalog: Path, tmp_path: Path, aladin: Run, drip: str, server: HTTPServer
) -> None:
    repo = tmp_path  # the small catalog: the clock should time the links, not loading 1,287 files
    shutil.copytree(small_catalog, repo / "catalog")
    paper = add_local_paper(repo, server)
    path = repo / "catalog/papers" / f"{paper}.yaml"
    path.write_text(path.read_text().replace(server.url_for("/"), f"{drip}/"))
    start = time.monotonic()
    status, out, err = aladin("--root", repo, "check-links", "--no-cache", "--timeout", "1",
                              paper)
    # 3 links of 1 s each; without a total deadline each one waits the whole drip (6 s)
    assert time.monotonic() - start < 5
    assert status == 1 and out == ""
    assert err.strip().startswith("aladin: could not verify any of the 3 links (first: timeout:")


def test_retry_after_holds_back_every_request_to_that_host(server: HTTPServer) -> None:
    arrived: dict[str, float] = {}

    def record(name: str, handler: Callable[[Request], Response]) -> Callable:
        def respond(req: Request) -> Response:
            arrived.setdefault(f"{name}{len([k for k in arrived if k.startswith(name)])}",
                               time.monotonic())
            return handler(req)
        return respond

    server.expect_request("/busy").respond_with_handler(record("busy", sequence(
        Response("wait", status=429, headers={"Retry-After": "1"}), Response("ok"))))
    server.expect_request("/other").respond_with_handler(record("other", lambda _: Response()))
    checker = LinkChecker(FAST, workers=2, per_host=2, interval=0)
    first = threading.Thread(target=checker.check, args=(server.url_for("/busy"),))
    first.start()
    while "busy0" not in arrived:
        time.sleep(0.01)
    time.sleep(0.2)  # the 429 is in; now another worker asks the same host
    assert checker.check(server.url_for("/other")).state == "ok"
    first.join()
    # the other page was asked only after the pause the host asked for, like the retry
    assert arrived["other0"] - arrived["busy0"] >= 0.95
    assert arrived["busy1"] - arrived["busy0"] >= 0.95


# --- item 3: enrich that learns nothing keeps the old data -----------------------------------

def test_enrich_answered_404_for_everything_keeps_the_file_and_fails(
        repo: Path, aladin: Run, server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_API_URL", server.url_for("/"))
    server.expect_request(re.compile(r"^/repos/")).respond_with_handler(github_repo)
    assert aladin("--root", repo, "enrich")[0] == 0
    path = repo / "catalog/enrichment/github.json"
    before = path.read_bytes()
    status, _, err = aladin("--root", repo, "enrich")  # the same answers: nothing to write
    assert status == 0 and "github.json unchanged" in err and "wrote" not in err
    server.clear()
    server.expect_request(re.compile(r"^/wrong/")).respond_with_json(
        {"message": "Not Found"}, status=404)
    monkeypatch.setenv("GITHUB_API_URL", server.url_for("/wrong/api"))  # every answer a 404
    status, out, err = aladin("--root", repo, "enrich")
    assert status == 1 and out == ""
    assert re.fullmatch(r"aladin: no repository could be fetched \(first: github\.com/\S+: "
                        r"repository not found \(deleted or private\)\); "
                        r"catalog/enrichment/github\.json left as it was\n", err), err
    assert path.read_bytes() == before


# --- item 9: one line instead of a traceback ------------------------------------------------

def test_a_malformed_arxiv_date_is_one_error(server: HTTPServer) -> None:
    feed = data("arxiv_entry.xml").replace("2027-12-01T17:59:59Z", "2027-13-45T99:99:99Z")
    server.expect_request("/api/query").respond_with_data(feed, content_type=ATOM)
    with pytest.raises(arxiv.ArxivError, match=r"^arXiv: the entry for 2712\.00001 has a "
                       r"malformed date '2027-13-45T99:99:99Z'$"):
        arxiv.fetch("2712.00001", base_url=server.url_for("/api/query"))


def test_a_huge_rate_limit_reset_is_still_a_rate_limit(server: HTTPServer) -> None:
    server.expect_request("/repos/ada/tiny").respond_with_data(
        json.dumps({"message": "API rate limit exceeded"}), status=403,
        headers={"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0",
                 "X-RateLimit-Reset": "9" * 40})
    with make_session(FAST) as session, pytest.raises(
            RateLimited, match=r"^GitHub API rate limit \(60 requests an hour\) reached"):
        fetch_repo("ada", "tiny", session=session, base_url=server.url_for("/"))


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_check_links_refuses_a_timeout_that_is_no_duration(
        repo: Path, aladin: Run, value: str) -> None:
    status, out, err = aladin("--root", repo, "check-links", f"--timeout={value}")
    assert status == 2 and out == "" and "Traceback" not in err
    assert err.strip().endswith(f"argument --timeout: expected a number of seconds above 0, "
                                f"got {value!r}")


def test_check_links_json_is_printed_even_when_nothing_was_verified(
        repo: Path, aladin: Run, server: HTTPServer, closed_port: int) -> None:
    paper = add_local_paper(repo, server)
    path = repo / "catalog/papers" / f"{paper}.yaml"
    path.write_text(path.read_text().replace(f":{server.port}/", f":{closed_port}/"))
    status, out, err = aladin("--root", repo, "check-links", "--json", "--no-cache", paper)
    assert status == 1
    report = json.loads(out)
    assert report["summary"]["unverified"] == report["summary"]["links"] == 3
    assert {r["state"] for r in report["links"]} == {"unverified"}
    assert err.strip().startswith("aladin: could not verify any of the 3 links")

