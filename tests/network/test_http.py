"""Sessions from zoo.network.http against a real local server: retries, Retry-After, timeouts."""

from __future__ import annotations

import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from zoo.network.http import (
    USER_AGENT,
    NetworkError,
    NotFound,
    RateLimited,
    check_status,
    make_session,
    request,
)

from .answers import FAST, sequence


def test_server_error_then_success_is_retried(server: HTTPServer) -> None:
    handler = sequence(Response("down", status=500), Response("up"))
    server.expect_request("/flaky").respond_with_handler(handler)
    with make_session(FAST) as session:
        response = request(session, "GET", server.url_for("/flaky"))
    assert response.status_code == 200 and response.text == "up"
    assert len(handler.calls) == 2
    assert handler.calls[0].headers["User-Agent"] == USER_AGENT


def test_persistent_server_error_gives_up_after_the_retries(server: HTTPServer) -> None:
    handler = sequence(Response("down", status=503))
    server.expect_request("/down").respond_with_handler(handler)
    with make_session(FAST) as session:
        response = request(session, "GET", server.url_for("/down"))
    assert response.status_code == 503 and len(handler.calls) == 1 + FAST.retries
    with pytest.raises(NetworkError, match=r"^down: 127\.0\.0\.1:\d+ answered HTTP 503$"):
        check_status(response, "down")


def test_retry_after_is_honoured(server: HTTPServer) -> None:
    handler = sequence(Response("slow down", status=429, headers={"Retry-After": "1"}),
                       Response("ok"))
    server.expect_request("/busy").respond_with_handler(handler)
    start = time.monotonic()
    with make_session(FAST) as session:
        response = request(session, "GET", server.url_for("/busy"))
    elapsed = time.monotonic() - start
    assert response.status_code == 200 and len(handler.calls) == 2
    assert 0.9 <= elapsed < 3


def test_a_retry_after_beyond_the_bound_is_reported_not_waited_for(server: HTTPServer) -> None:
    handler = sequence(Response("come back in an hour", status=429,
                                headers={"Retry-After": "3600"}))
    server.expect_request("/limited").respond_with_handler(handler)
    start = time.monotonic()
    with make_session(FAST) as session:
        response = request(session, "GET", server.url_for("/limited"))
    assert time.monotonic() - start < 1
    assert response.status_code == 429 and len(handler.calls) == 1
    with pytest.raises(RateLimited, match=r"rate-limited .* \(HTTP 429\); try again in 3600 s"
                       ) as caught:
        check_status(response, "limited")
    assert caught.value.retry_after == 3600


def test_a_slow_answer_times_out_within_a_bound(server: HTTPServer) -> None:
    def slow(_: Request) -> Response:
        time.sleep(3)
        return Response("late")

    server.expect_request("/slow").respond_with_handler(slow)
    start = time.monotonic()
    with make_session(FAST) as session, pytest.raises(NetworkError) as caught:
        request(session, "GET", server.url_for("/slow"))
    elapsed = time.monotonic() - start
    # Three attempts of 0.5 s plus back-off; never the server's 3 s.
    assert FAST.read_timeout * (1 + FAST.retries) <= elapsed < 2.5
    assert str(caught.value) == f"no answer from 127.0.0.1:{server.port} within 0.5 s"


def test_connection_failures_read_as_one_line(closed_port: int) -> None:
    with make_session(FAST) as session:
        with pytest.raises(NetworkError, match=rf"^cannot connect to 127\.0\.0\.1:{closed_port} "
                           r"\(offline\?\)$"):
            request(session, "GET", f"http://127.0.0.1:{closed_port}/")
        with pytest.raises(NetworkError, match=r"^cannot resolve no-such-host\.invalid"):
            request(session, "GET", "http://no-such-host.invalid/")


def test_check_status_names_not_found(server: HTTPServer) -> None:
    server.expect_request("/gone").respond_with_data("gone", status=410)
    with make_session(FAST) as session:
        response = request(session, "GET", server.url_for("/gone"))
    with pytest.raises(NotFound, match=r"^thing: not found \(HTTP 410\)$"):
        check_status(response, "thing")
