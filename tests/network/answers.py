"""What the fake services answer: recorded formats of arXiv, OpenReview and GitHub (files in
data/, fictional papers and repositories), handlers for the local server, and fast settings."""

from __future__ import annotations

import json
from pathlib import Path

from werkzeug import Request, Response

from zoo.network.http import HttpSettings

DATA = Path(__file__).resolve().parent / "data"
ATOM = "application/atom+xml; charset=utf-8"
REPO_JSON = json.loads((DATA / "github_repo.json").read_text(encoding="utf-8"))

# Short limits so that timeouts, retries and back-off cost tenths of a second.
FAST = HttpSettings(connect_timeout=1.0, read_timeout=0.5, retries=2, backoff=0.05,
                    max_backoff=0.2, max_retry_after=2.0)


def data(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def sequence(*responses: Response):
    """A handler answering with ``responses`` in turn, then repeating the last; counts calls."""
    calls: list[Request] = []

    def handler(req: Request) -> Response:
        calls.append(req)
        return responses[min(len(calls), len(responses)) - 1]

    handler.calls = calls  # type: ignore[attr-defined]
    return handler


def github_repo(req: Request) -> Response:
    """The API's answer for any /repos/<owner>/<name>: the sample, renamed, stars from the name."""
    owner, name = req.path.split("/")[-2:]
    body = {**REPO_JSON, "name": name, "full_name": f"{owner}/{name}",
            "html_url": f"https://github.com/{owner}/{name}", "stargazers_count": 100 * len(name)}
    return Response(json.dumps(body), content_type="application/json")


def github_rate_limited(_: Request) -> Response:
    """GitHub's answer once the hourly quota is spent."""
    return Response(json.dumps({"message": "API rate limit exceeded for 127.0.0.1."}), status=403,
                    content_type="application/json",
                    headers={"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0",
                             "X-RateLimit-Reset": "1795000000"})
