"""HTTP sessions with the manners every remote call here needs, and errors worded for people.

A session from :func:`make_session` retries connection failures, read timeouts and the answers
that mean "try again" (429, 500, 502, 503, 504) with exponential back-off, honours a server's
``Retry-After`` — but gives up at once when asked to wait longer than
:attr:`HttpSettings.max_retry_after`, because a check that hangs for an hour is worse than one
that says "rate-limited" — applies a default timeout to every request and sends a user agent.

:func:`describe` turns a ``requests`` exception into one line such as ``no answer from
export.arxiv.org within 15 s``; :func:`check_status` raises :class:`NotFound`,
:class:`RateLimited` or :class:`NetworkError` for an unusable answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
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
    user_agent: str = USER_AGENT
    pool_size: int = 10

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


class BoundedRetry(Retry):
    """urllib3 ``Retry`` that declines to retry when ``Retry-After`` exceeds ``give_up_after``.

    urllib3's own ``retry_after_max`` clamps the wait and retries anyway, which only earns another
    429; giving up returns the 429 to the caller, who reports it.
    """

    def __init__(self, *args: Any, give_up_after: float = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.give_up_after = give_up_after

    def new(self, **kwargs: Any) -> BoundedRetry:
        kwargs.setdefault("give_up_after", self.give_up_after)
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
        return super().increment(method, url, response, error, _pool, _stacktrace)


class _Session(requests.Session):
    """A session whose requests get the default timeout unless they pass their own."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def make_retry(settings: HttpSettings) -> BoundedRetry:
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
    )


def make_session(settings: HttpSettings | None = None) -> requests.Session:
    """A ``requests`` session with retries, back-off, default timeouts and our user agent."""
    settings = settings or HttpSettings()
    session = _Session(settings.timeout)
    adapter = HTTPAdapter(max_retries=make_retry(settings), pool_connections=settings.pool_size,
                          pool_maxsize=settings.pool_size)
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


def describe(exc: requests.RequestException, timeout: tuple[float, float] | None = None) -> str:
    """One line saying what went wrong with a request, naming the host."""
    url = exc.request.url if exc.request is not None and exc.request.url else ""
    host = host_of(str(url)) if url else "the server"
    cause = _root_cause(exc)
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
        raise NetworkError(describe(exc, getattr(session, "timeout", None))) from exc


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
