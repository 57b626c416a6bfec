"""Stars, last push, archived flag and licence of the catalog's GitHub repositories (REST API).

``GET {api}/repos/{owner}/{name}`` with ``GITHUB_TOKEN`` as a bearer token when it is set (60
requests an hour without one, 5,000 with). The API base comes from ``GITHUB_API_URL`` — which
GitHub Actions sets — or defaults to ``https://api.github.com``. Results are stored by
:mod:`zoo.network.enrichment`; :func:`load_enrichment` is re-exported here for convenience.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from .enrichment import RepoInfo, load_enrichment
from .http import NetworkError, NotFound, RateLimited, check_status, make_session, request

__all__ = ["API_URL", "EnrichResult", "RepoInfo", "enrich", "fetch_repo", "load_enrichment",
           "repo_slug"]

API_URL = "https://api.github.com"
API_ENV = "GITHUB_API_URL"
TOKEN_ENV = "GITHUB_TOKEN"
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_NOT_OWNERS = frozenset({"orgs", "topics", "features", "marketplace", "sponsors", "settings",
                         "apps", "collections", "search", "about"})


def repo_slug(url: str) -> tuple[str, str] | None:
    """``(owner, name)`` of a github.com repository URL (``.git``, ``/tree/…`` allowed)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or parts.netloc.lower().removeprefix(
            "www.") != "github.com":
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return None
    owner, name = segments[0], segments[1].removesuffix(".git")
    if owner.lower() in _NOT_OWNERS or not _OWNER.match(owner) or not _NAME.match(name):
        return None
    return owner, name


def _date(stamp: str | None) -> dt.date | None:
    return dt.date.fromisoformat(stamp[:10]) if stamp else None


def _rate_limited(response: requests.Response) -> RateLimited | None:
    """GitHub's rate-limit answer (403 or 429), worded with the reset time and the fix."""
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    secondary = "secondary rate limit" in response.text.lower()
    if headers.get("X-RateLimit-Remaining") != "0" and not secondary and (
            "Retry-After" not in headers):
        return None
    when = ""
    if reset := headers.get("X-RateLimit-Reset", "").strip():
        try:
            moment = dt.datetime.fromtimestamp(int(reset), dt.UTC)
            when = f"; it resets at {moment:%H:%M} UTC"
        except (ValueError, OverflowError, OSError):  # not a time this machine can show
            pass
    elif wait := headers.get("Retry-After", "").strip():
        when = f"; retry in {wait} s"
    fix = ("" if os.environ.get(TOKEN_ENV)
           else "; set GITHUB_TOKEN to raise the limit from 60 to 5,000 requests an hour")
    limit = headers.get("X-RateLimit-Limit")
    what = "secondary rate limit" if secondary else "rate limit" + (
        f" ({limit} requests an hour)" if limit else "")
    return RateLimited(f"GitHub API {what} reached{when}{fix}")


def fetch_repo(owner: str, name: str, *, session: requests.Session,
               base_url: str | None = None, today: dt.date | None = None) -> RepoInfo:
    """What the API says about ``owner/name``; :class:`NotFound` for a deleted or private one,
    :class:`RateLimited` with the reset time, :class:`NetworkError` otherwise."""
    base = (base_url or os.environ.get(API_ENV) or API_URL).rstrip("/")
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token := os.environ.get(TOKEN_ENV, "").strip():
        headers["Authorization"] = f"Bearer {token}"
    response = request(session, "GET", f"{base}/repos/{owner}/{name}", headers=headers)
    if limited := _rate_limited(response):
        raise limited
    if response.status_code == 401:
        raise NetworkError("GitHub rejected GITHUB_TOKEN (HTTP 401 Bad credentials)")
    if response.status_code in (404, 451):
        raise NotFound(f"github.com/{owner}/{name}: repository not found (deleted or private)")
    check_status(response, f"github.com/{owner}/{name}")
    try:
        data = response.json()
        licence = data.get("license") or {}
        spdx = licence.get("spdx_id")
        return RepoInfo(
            full_name=str(data["full_name"]),
            stars=int(data["stargazers_count"]),
            pushed=_date(data.get("pushed_at")),
            archived=bool(data.get("archived", False)),
            license=(spdx if spdx and spdx != "NOASSERTION" else licence.get("name")) or None,
            fetched=today or dt.date.today(),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise NetworkError(f"github.com/{owner}/{name}: unexpected API answer ({exc})") from None


@dataclass
class EnrichResult:
    """The outcome of one run: fresh data for every repository that answered."""

    repos: dict[str, RepoInfo] = field(default_factory=dict)  # code URL -> info
    gone: dict[str, str] = field(default_factory=dict)  # code URL -> "not found" message
    failed: dict[str, str] = field(default_factory=dict)  # code URL -> network error message
    skipped: list[str] = field(default_factory=list)  # code URLs not on GitHub
    stopped: RateLimited | None = None  # set when the run stopped early
    unfetched: list[str] = field(default_factory=list)  # URLs not asked because it stopped


def enrich(urls: Iterable[str], *, session: requests.Session | None = None,
           base_url: str | None = None, today: dt.date | None = None,
           progress: Callable[[int, int], None] | None = None) -> EnrichResult:
    """Fetch every GitHub repository among ``urls`` (once per repository, one request at a time,
    as GitHub asks of API clients). A rate limit stops the run and is recorded in ``stopped``."""
    result = EnrichResult()
    by_repo: dict[tuple[str, str], list[str]] = {}
    for url in dict.fromkeys(urls):
        slug = repo_slug(url)
        if slug is None:
            result.skipped.append(url)
        else:
            by_repo.setdefault((slug[0].lower(), slug[1].lower()), []).append(url)
    own = session is None
    session = session or make_session()
    try:
        for done, (key, repo_urls) in enumerate(by_repo.items()):
            if progress:
                progress(done, len(by_repo))
            if result.stopped:
                result.unfetched += repo_urls
                continue
            owner, name = repo_slug(repo_urls[0]) or key
            try:
                info = fetch_repo(owner, name, session=session, base_url=base_url, today=today)
            except RateLimited as exc:
                result.stopped = exc
                result.unfetched += repo_urls
                continue
            except NotFound as exc:
                result.gone.update(dict.fromkeys(repo_urls, str(exc)))
                continue
            except NetworkError as exc:
                result.failed.update(dict.fromkeys(repo_urls, str(exc)))
                continue
            result.repos.update(dict.fromkeys(repo_urls, info))
        if progress:
            progress(len(by_repo), len(by_repo))
    finally:
        if own:
            session.close()
    return result


def merged(old: Mapping[str, RepoInfo], result: EnrichResult,
           catalog_urls: Iterable[str]) -> dict[str, RepoInfo]:
    """The data to store: fresh answers, plus the old data of repositories this run could not
    ask about (rate limit, network error), limited to code URLs still in the catalog."""
    unanswered = set(result.unfetched) | set(result.failed)
    keep = set(catalog_urls) & unanswered
    data = {url: info for url, info in old.items() if url in keep}
    data.update(result.repos)
    return data
