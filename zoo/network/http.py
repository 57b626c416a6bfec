"""HTTP sessions with the manners every remote call here needs, and errors worded for people.

A session from :func:`make_session` retries connection failures, read timeouts and the answers
that mean "try again" (429, 500, 502, 503, 504) with exponential back-off, honours a server's
``Retry-After`` — but gives up at once when asked to wait longer than
:attr:`HttpSettings.max_retry_after`, because a check that hangs for an hour is worse than one
that says "rate-limited" — applies a default timeout to every request and sends a user agent.

Per-read timeouts cannot stop a server that drips one byte every few seconds, so every request
also has a total deadline (:attr:`HttpSettings.deadline`, retries and waits included): a timer
shuts the request's sockets down when it runs out, and the request fails with
:class:`DeadlineExceeded` ("timeout: …"). Sessions made with the same :class:`HostPauses` (a link
checker's threads) honour each other's ``Retry-After``: nobody asks a host that asked for a pause
before it ends.

:func:`describe` turns a ``requests`` exception into one line such as ``no answer from
export.arxiv.org within 15 s``; :func:`check_status` raises :class:`NotFound`,
:class:`RateLimited` or :class:`NetworkError` for an unusable answer.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    InvalidHeader,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.util.retry import Retry

from .. import __version__

USER_AGENT = (f"aladin-zoo/{__version__} "
              "(+https://github.com/aladin-zoo/Aladin-Light-Weight-Model-Zoo)")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class NetworkError(Exception):
    """A remote call failed: offline, timed out, refused, or an unusable answer. ``str()`` is one
    line fit to show a user."""


class NotFound(NetworkError):
    """The server answered that the thing asked for does not exist (404, 410, empty result)."""


class RateLimited(NetworkError):
    """The server asked us to slow down for longer than we are willing to wait."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class HttpSettings:
    """Knobs of a session. The defaults suit the real services; tests shrink them."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    retries: int = 3  # attempts after the first: timeouts, 429 and 5xx answers
    connect_retries: int = 1  # a refused connection or failed DNS look-up rarely heals in seconds
    backoff: float = 0.5  # seconds; doubles per consecutive failure (urllib3's formula)
    max_backoff: float = 10.0
    max_retry_after: float = 30.0  # a longer Retry-After is reported, not waited for
    deadline: float = 30.0  # seconds for a whole request, retries and waits included
    user_agent: str = USER_AGENT
    pool_size: int = 10

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


class DeadlineExceeded(requests.exceptions.Timeout):
    """A request did not complete within :attr:`HttpSettings.deadline` (a server dripping bytes
    beats every per-read timeout; this one counts from the start)."""


class HostPaused(requests.RequestException):
    """The host asked everyone to wait (``Retry-After``) past this request's deadline."""


class _Expired(Exception):
    """Raised inside urllib3 to stop a request; deliberately not an ``OSError``, which urllib3
    would retry. :meth:`_Session.request` turns it into one of the two exceptions above."""


class HostPauses:
    """``Retry-After`` shared by the sessions given it (all of a link checker's threads): once
    a host asks for a pause, none of them sends it anything before the pause ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def hold(self, host: str, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            self._until[host] = max(until, self._until.get(host, until))

    def remaining(self, host: str) -> float:
        with self._lock:
            return self._until.get(host, 0.0) - time.monotonic()


class _Deadline:
    """One request's clock: a timer that, when it runs out, shuts down the sockets the request
    is using, which wakes a ``recv`` blocked on a dripping server at once."""

    def __init__(self, seconds: float, pauses: HostPauses) -> None:
        self.seconds = seconds
        self.pauses = pauses
        self.end = time.monotonic() + seconds
        self.expired = threading.Event()
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        _local.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()
        _local.deadline = None

    def _expire(self) -> None:
        self.expired.set()
        with self._lock:
            for connection in self._connections:
                if connection.sock is not None:
                    with contextlib.suppress(OSError):
                        connection.sock.shutdown(socket.SHUT_RDWR)

    def sleep(self, seconds: float) -> None:
        """Sleep, but never past the deadline."""
        if self.expired.wait(max(0.0, min(seconds, self.end - time.monotonic()))):
            raise _Expired()

    def watch(self, connection: Any) -> None:
        """Cut ``connection`` too when the time runs out."""
        if self.expired.is_set():
            raise _Expired()
        with self._lock:
            self._connections.append(connection)

    def enter(self, connection: Any) -> None:
        """Called as ``connection`` sends a request: wait out the host's pause, then watch."""
        pause = self.pauses.remaining(f"{connection.host}:{connection.port}")
        if pause > self.end - time.monotonic():
            raise _Expired(pause)
        if pause > 0:
            self.sleep(pause)
        self.watch(connection)


_local = threading.local()


def _current() -> _Deadline | None:
    return getattr(_local, "deadline", None)


class _Watched:
    """Mixin for urllib3 connections: every request (and a TLS handshake, which HTTPS pools
    do before the request) runs under the current thread's :class:`_Deadline`."""

    def connect(self) -> None:
        if deadline := _current():
            deadline.watch(self)
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        if deadline := _current():
            deadline.enter(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _Adapter(HTTPAdapter):
    """requests' adapter with connections a :class:`_Deadline` can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class BoundedRetry(Retry):
    """urllib3 ``Retry`` that declines to retry when ``Retry-After`` exceeds ``give_up_after``.

    urllib3's own ``retry_after_max`` clamps the wait and retries anyway, which only earns another
    429; giving up returns the 429 to the caller, who reports it.
    """

    def __init__(self, *args: Any, give_up_after: float = 30.0,
                 pauses: HostPauses | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.give_up_after = give_up_after
        self.pauses = pauses or HostPauses()

    def new(self, **kwargs: Any) -> BoundedRetry:
        kwargs.setdefault("give_up_after", self.give_up_after)
        kwargs.setdefault("pauses", self.pauses)
        return super().new(**kwargs)

    def get_retry_after(self, response: Any) -> float | None:
        try:
            return super().get_retry_after(response)
        except InvalidHeader:  # a garbled header is treated as absent, never as a crash
            return None

    def increment(self, method: str | None = None, url: str | None = None,
                  response: Any = None, error: Exception | None = None,
                  _pool: Any = None, _stacktrace: Any = None) -> BoundedRetry:
        if response is not None and self.respect_retry_after_header:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.give_up_after:
                # With raise_on_status=False urllib3 hands the response itself back.
                raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {wait:.0f} s"))
            if wait is not None and _pool is not None:
                # A pause we wait out holds back every session sharing ``pauses``; one we
                # refuse to wait for is reported for this request alone.
                self.pauses.hold(f"{_pool.host}:{_pool.port}", wait)
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep(self, response: Any = None) -> None:
        # A Retry-After is waited out by the next attempt (the host's shared pause); the
        # back-off never sleeps past the request's deadline.
        if response is not None and self.respect_retry_after_header and (
                self.get_retry_after(response) is not None):
            return
        backoff = self.get_backoff_time()
        deadline = _current()
        if deadline is not None:
            deadline.sleep(backoff)
        elif backoff > 0:
            time.sleep(backoff)


class _Session(requests.Session):
    """A session whose requests get the default timeout unless they pass their own."""

    def __init__(self, timeout: tuple[float, float], deadline: float,
                 pauses: HostPauses) -> None:
        super().__init__()
        self.timeout = timeout
        self.deadline = deadline
        self.pauses = pauses

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        """The request, all of it (retries, waits and, unless streamed, the body) within
        ``deadline`` seconds, else :class:`DeadlineExceeded` or :class:`HostPaused`."""
        kwargs.setdefault("timeout", self.timeout)
        if _current() is not None:  # a redirect or hook inside a request already watched
            return super().request(method, url, *args, **kwargs)
        with _Deadline(self.deadline, self.pauses) as deadline:
            try:
                return super().request(method, url, *args, **kwargs)
            except _Expired as exc:
                prepared = requests.Request(str(method), str(url)).prepare()
                if exc.args:
                    raise HostPaused(f"{host_of(str(url))} asked to wait {exc.args[0]:.0f} s",
                                     request=prepared) from None
                raise DeadlineExceeded(request=prepared) from None
            except Exception as exc:
                if deadline.expired.is_set():  # the cut socket surfaced as some other error
                    raise DeadlineExceeded(request=getattr(exc, "request", None)) from exc
                raise


def make_retry(settings: HttpSettings, pauses: HostPauses | None = None) -> BoundedRetry:
    return BoundedRetry(
        total=settings.retries,
        connect=min(settings.connect_retries, settings.retries),
        read=settings.retries,
        status=settings.retries,
        other=0,
        redirect=0,  # redirects are followed (and recorded) by the caller, not urllib3
        allowed_methods=frozenset({"GET", "HEAD"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=settings.backoff,
        backoff_max=settings.max_backoff,
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer is returned, so callers can word it
        raise_on_redirect=False,
        give_up_after=settings.max_retry_after,
        pauses=pauses,
    )


def make_session(settings: HttpSettings | None = None,
                 pauses: HostPauses | None = None) -> requests.Session:
    """A ``requests`` session with retries, back-off, default timeouts, a deadline per request
    and our user agent; sessions given the same ``pauses`` honour each other's Retry-After."""
    settings = settings or HttpSettings()
    pauses = pauses or HostPauses()
    session = _Session(settings.timeout, settings.deadline, pauses)
    adapter = _Adapter(max_retries=make_retry(settings, pauses),
                       pool_connections=settings.pool_size, pool_maxsize=settings.pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = settings.user_agent
    return session


def host_of(url: str) -> str:
    return urlsplit(url).netloc or url


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost reason inside requests' and urllib3's wrappers."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "reason", None)
        if inner is None and exc.args and isinstance(exc.args[0], BaseException):
            inner = exc.args[0]
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return exc


def describe(exc: requests.RequestException, timeout: tuple[float, float] | None = None,
             deadline: float | None = None) -> str:
    """One line saying what went wrong with a request, naming the host."""
    url = exc.request.url if exc.request is not None and exc.request.url else ""
    host = host_of(str(url)) if url else "the server"
    cause = _root_cause(exc)
    if isinstance(exc, DeadlineExceeded):
        limit = f" within {deadline:g} s" if deadline else ""
        return f"timeout: no complete answer from {host}{limit}"
    if isinstance(exc, HostPaused):
        return f"rate-limited: {exc}"
    if isinstance(exc, requests.ConnectTimeout):
        return f"timed out connecting to {host}"
    if isinstance(exc, requests.ReadTimeout) or isinstance(cause, ReadTimeoutError):
        limit = f" within {timeout[1]:g} s" if timeout else ""
        return f"no answer from {host}{limit}"
    if isinstance(cause, NameResolutionError):
        return f"cannot resolve {host} (offline?)"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error talking to {host}"
    if isinstance(cause, NewConnectionError) or isinstance(exc, requests.ConnectionError):
        return f"cannot connect to {host} (offline?)"
    if isinstance(exc, requests.TooManyRedirects):
        return f"too many redirects from {host}"
    return f"request to {host} failed: {type(cause).__name__}"


def request(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
    """``session.request`` with failures raised as :class:`NetworkError` in one line."""
    try:
        return session.request(method, url, **kwargs)
    except requests.RequestException as exc:
        raise NetworkError(describe(exc, getattr(session, "timeout", None),
                                    getattr(session, "deadline", None))) from exc


def retry_after(response: requests.Response) -> float | None:
    """The ``Retry-After`` of an answer in seconds, if it gives a usable one."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return Retry().parse_retry_after(value)
    except InvalidHeader:
        return None


def check_status(response: requests.Response, what: str) -> requests.Response:
    """``response`` if it is a success; otherwise the matching :class:`NetworkError`."""
    status = response.status_code
    if status < 400:
        return response
    if status == 429 or (status == 503 and "Retry-After" in response.headers):
        wait = retry_after(response)
        later = f"; try again in {wait:.0f} s" if wait else "; try again later"
        raise RateLimited(f"{what}: rate-limited by {host_of(response.url)} (HTTP {status})"
                          f"{later}", wait)
    if status in (404, 410):
        raise NotFound(f"{what}: not found (HTTP {status})")
    raise NetworkError(f"{what}: {host_of(response.url)} answered HTTP {status}")
