"""Identifiers hidden in paper links: arXiv ids, OpenReview ids, PDF links.

>>> arxiv_id("https://arxiv.org/pdf/1805.10726v2.pdf")
'1805.10726'
>>> openreview_id("https://openreview.net/forum?id=BJxh2j0qYm")
'BJxh2j0qYm'
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from ..catalog.models import ARXIV_PATTERN, OPENREVIEW_PATTERN

_ARXIV_HOSTS = {"arxiv.org", "export.arxiv.org"}
_ARXIV_PATH = re.compile(
    r"^/(?:abs|pdf|html)/(?P<id>" + ARXIV_PATTERN.strip("^$") + r")(?:v\d+)?(?:\.pdf)?/?$"
)


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower().removeprefix("www.")


def arxiv_id(url: str) -> str | None:
    """The arXiv id (no version) of an arxiv.org abs/pdf/html link, else None."""
    if _host(url) not in _ARXIV_HOSTS:
        return None
    match = _ARXIV_PATH.match(urlsplit(url).path)
    return match.group("id") if match else None


def openreview_id(url: str) -> str | None:
    """The forum id of an openreview.net forum/pdf link, else None."""
    parts = urlsplit(url)
    if _host(url) != "openreview.net" or parts.path.rstrip("/") not in {"/forum", "/pdf"}:
        return None
    ids = parse_qs(parts.query).get("id", [])
    return ids[0] if ids and re.match(OPENREVIEW_PATTERN, ids[0]) else None


def is_pdf(url: str) -> bool:
    """Whether the link opens a PDF rather than a page about the paper."""
    parts = urlsplit(url)
    path = parts.path.lower()
    return path.endswith(".pdf") or (
        _host(url) in _ARXIV_HOSTS | {"openreview.net"} and path.startswith("/pdf")
    )
