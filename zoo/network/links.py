"""Checking every URL in the catalog: concurrently, politely, and with the answer's full story.

* **Where** — :func:`catalog_links` lists each URL with the entry file, line and field it comes
  from (the YAML line numbers of :func:`zoo.catalog.yamlsource.read_document`); the arXiv and
  OpenReview ids count as the pages they name, since that is what the README links to.
* **How** — a bounded thread pool; at most ``per_host`` requests at a time to one host, started
  at least ``interval`` seconds apart; ``HEAD`` first, and anything but success is asked again
  with ``GET`` (405 and 501 mean HEAD is refused, and some servers answer HEAD with 403 or 404
  while serving GET), so a link is only called dead on a GET's word. Retries, back-off and
  ``Retry-After`` come from :mod:`zoo.network.http`.
* **Redirects** are followed here, not by ``requests``, so every hop is recorded; a URL seen
  twice stops the chain as a loop, a target that is not http(s) is flagged, and more than
  ``max_redirects`` hops is an error.
* **Verdicts** — ``ok``; ``moved`` (a permanent redirect, 301/308, to a working page: update the
  link); ``dead`` (404, 410 and other client errors, loops, non-http targets); ``unverified``
  (timeouts, refused connections, 5xx, 401/403, rate limits — worth a look, not proof).
* **Cache** — verdicts other than ``unverified`` are kept for a day in a JSON file
  (``.aladin-cache/links.json`` for the CLI) so a re-run only asks about what changed.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin, urlsplit

import requests

from ..catalog import Catalog, Paper
from ..catalog.yamlsource import dotted, read_document
from .http import HostPauses, HttpSettings, describe, host_of, make_session

State = Literal["ok", "moved", "dead", "unverified"]
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})
_UNVERIFIABLE = frozenset({401, 403, 407, 408, 429})  # refusals, not proof the page is gone


@dataclass(frozen=True)
class LinkRef:
    """One place a URL is written: the entry file, line and field."""

    url: str
    path: str  # as users see it, e.g. catalog/papers/2019-iclr-snip.yaml
    line: int
    field: str  # e.g. links.paper, code[0].url
    paper: str


@dataclass(frozen=True)
class Hop:
    url: str
    status: int


@dataclass(frozen=True)
class LinkResult:
    url: str
    state: State
    status: int | None  # the last HTTP status, None when no answer came
    message: str
    chain: tuple[Hop, ...] = ()  # every request made, in order (redirects included)
    checked: str = ""  # ISO timestamp of the check
    cached: bool = False

    @property
    def final_url(self) -> str | None:
        return self.chain[-1].url if self.chain else None

    def to_json(self) -> dict:
        data = asdict(self)
        data["chain"] = [asdict(h) for h in self.chain]
        data["final_url"] = self.final_url
        return data

    @classmethod
    def from_json(cls, data: dict) -> LinkResult:
        return cls(url=data["url"], state=data["state"], status=data.get("status"),
                   message=data.get("message", ""),
                   chain=tuple(Hop(h["url"], h["status"]) for h in data.get("chain", ())),
                   checked=data.get("checked", ""))


# --- where the links are --------------------------------------------------------------------

def _entry_links(paper: Paper) -> Iterator[tuple[str, tuple]]:
    links = paper.links
    for key, url in (("paper", links.paper), ("arxiv", links.arxiv_url),
                     ("openreview", links.openreview_url), ("pdf", links.pdf)):
        if url:
            yield url, ("links", key)
    for i, repo in enumerate(paper.code):
        yield repo.url, ("code", i, "url")


def catalog_links(catalog: Catalog, papers: Iterable[str] | None = None) -> list[LinkRef]:
    """Every URL of the catalog (or of the ``papers`` ids) with its file, line and field."""
    base = catalog.root.resolve().parent
    wanted = set(papers) if papers is not None else None
    refs = []
    for paper in catalog:
        if wanted is not None and paper.id not in wanted:
            continue
        display = catalog.sources[paper.id]
        doc, _ = read_document(base / display, display)
        for url, loc in _entry_links(paper):
            line = doc.line_of(loc) if doc else 1
            refs.append(LinkRef(url, display, line, dotted(loc), paper.id))
    return refs


# --- politeness -----------------------------------------------------------------------------

class HostGate:
    """At most ``per_host`` requests in flight to one host, started ``interval`` s apart."""

    def __init__(self, per_host: int = 2, interval: float = 0.5) -> None:
        self.per_host, self.interval = per_host, interval
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._next: dict[str, float] = {}

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.Semaphore(self.per_host))
        with semaphore:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next.get(host, now))
                self._next[host] = start + self.interval
            if start > now:
                time.sleep(start - now)
            yield


# --- the cache ------------------------------------------------------------------------------

class LinkCache:
    """Verdicts younger than ``ttl``, in one JSON file; a missing or broken file is empty."""

    VERSION = 1

    def __init__(self, path: Path, ttl: dt.timedelta = dt.timedelta(days=1)) -> None:
        self.path, self.ttl = path, ttl
        self._lock = threading.Lock()
        self._data: dict[str, dict] = {}
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("version") == self.VERSION:
                self._data = dict(raw.get("links", {}))
        except (OSError, ValueError, AttributeError):
            pass  # the cache is disposable: start afresh

    def get(self, url: str, now: dt.datetime | None = None) -> LinkResult | None:
        entry = self._data.get(url)
        if not entry:
            return None
        if (now or _now()) - _parse_time(entry.get("checked")) > self.ttl:
            return None
        try:
            result = LinkResult.from_json(entry)
        except (KeyError, ValueError, TypeError):
            return None
        return replace(result, cached=True)

    def put(self, result: LinkResult) -> None:
        if result.state == "unverified":
            return  # a timeout today says nothing about tomorrow
        with self._lock:
            self._data[result.url] = {k: v for k, v in result.to_json().items()
                                      if k not in ("cached", "final_url")}

    def save(self, now: dt.datetime | None = None) -> None:
        from ..catalog.writer import write_atomic

        limit = (now or _now()) - self.ttl
        fresh = {url: entry for url, entry in sorted(self._data.items())
                 if _parse_time(entry.get("checked")) >= limit}
        write_atomic(self.path, json.dumps({"version": self.VERSION, "links": fresh}, indent=1)
                     + "\n")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _parse_time(text: object) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        moment = dt.datetime.min
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# --- checking -------------------------------------------------------------------------------

@dataclass
class LinkChecker:
    """Checks URLs: one ``requests`` session per worker thread, one :class:`HostGate` for all."""

    settings: HttpSettings = field(default_factory=HttpSettings)
    workers: int = 8
    per_host: int = 2
    interval: float = 0.5
    max_redirects: int = 10
    cache: LinkCache | None = None

    def __post_init__(self) -> None:
        self.gate = HostGate(self.per_host, self.interval)
        self.pauses = HostPauses()  # one host's Retry-After holds back every worker
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = make_session(self.settings, self.pauses)
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def check(self, url: str) -> LinkResult:
        """The verdict on one URL (from the cache when it holds a fresh one)."""
        if self.cache and (hit := self.cache.get(url)):
            return hit
        result = self._follow(url, "HEAD")
        if result.state not in ("ok", "moved") and result.status is not None and (
                result.status != 429):
            result = self._follow(url, "GET")
        if self.cache:
            self.cache.put(result)
        return result

    def _follow(self, url: str, method: str) -> LinkResult:
        chain: list[Hop] = []
        seen = {url}
        current = url
        checked = _now().isoformat()

        def verdict(state: State, status: int | None, message: str) -> LinkResult:
            return LinkResult(url, state, status, message, tuple(chain), checked)

        for _ in range(self.max_redirects + 1):
            try:
                with self.gate.slot(host_of(current)):
                    response = self._session().request(method, current, allow_redirects=False,
                                                       stream=True)
            except requests.RequestException as exc:
                return verdict("unverified", None, describe(exc, self.settings.timeout,
                                                            self.settings.deadline))
            with response:
                status, location = response.status_code, response.headers.get("Location")
            chain.append(Hop(current, status))
            if status not in REDIRECTS:
                return self._classify(verdict, status, chain)
            if not location:
                return verdict("unverified", status, f"HTTP {status} redirect without a target")
            target = urljoin(current, location.strip())
            if urlsplit(target).scheme not in ("http", "https"):
                return verdict("dead", status, f"redirects to a non-http URL: {target}")
            if target in seen:
                loop = " → ".join([h.url for h in chain] + [target])
                return verdict("dead", status, f"redirect loop: {loop}")
            seen.add(target)
            current = target
        return verdict("dead", chain[-1].status, f"more than {self.max_redirects} redirects")

    @staticmethod
    def _classify(verdict: Callable[..., LinkResult], status: int,
                  chain: Sequence[Hop]) -> LinkResult:
        if 200 <= status < 300:
            if any(h.status in PERMANENT for h in chain[:-1]):
                return verdict("moved", status, f"moved permanently to {chain[-1].url}")
            return verdict("ok", status, "ok")
        if status == 404:
            return verdict("dead", status, "not found (HTTP 404)")
        if status == 410:
            return verdict("dead", status, "gone (HTTP 410)")
        if status == 429:
            return verdict("unverified", status, "rate-limited (HTTP 429)")
        if status in _UNVERIFIABLE:
            return verdict("unverified", status, f"access refused (HTTP {status})")
        if 400 <= status < 500:
            return verdict("dead", status, f"client error (HTTP {status})")
        return verdict("unverified", status, f"server error (HTTP {status})")

    def check_all(self, urls: Iterable[str],
                  progress: Callable[[int, int, LinkResult], None] | None = None,
                  ) -> dict[str, LinkResult]:
        """Verdicts for every distinct URL (in the order given), ``workers`` at a time.

        URLs are queued round-robin across hosts so that the pool works on many hosts at once
        instead of queueing behind one host's politeness delay.
        """
        unique = list(dict.fromkeys(urls))
        order = _interleave_by_host(unique)
        results: dict[str, LinkResult] = {}
        try:
            with ThreadPoolExecutor(max_workers=max(1, self.workers),
                                    thread_name_prefix="check-links") as pool:
                futures = {pool.submit(self.check, url): url for url in order}
                for done, future in enumerate(as_completed(futures), 1):
                    result = future.result()
                    results[futures[future]] = result
                    if progress:
                        progress(done, len(order), result)
        finally:
            self.close()
        if self.cache:
            self.cache.save()
        return {url: results[url] for url in unique}


def _interleave_by_host(urls: Iterable[str]) -> list[str]:
    queues: dict[str, list[str]] = {}
    for url in urls:
        queues.setdefault(host_of(url), []).append(url)
    order: list[str] = []
    while queues:
        for host in list(queues):
            order.append(queues[host].pop(0))
            if not queues[host]:
                del queues[host]
    return order
