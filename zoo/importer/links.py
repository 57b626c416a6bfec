"""Identifiers hidden in paper links: arXiv ids, OpenReview ids, PDF links.

>>> arxiv_id("https://arxiv.org/pdf/1805.10726v2.pdf")
'1805.10726'
>>> openreview_id("https://openreview.net/forum?id=BJxh2j0qYm")
'BJxh2j0qYm'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from ..catalog.models import ARXIV_PATTERN, OPENREVIEW_PATTERN

_ARXIV_HOSTS = {"arxiv.org", "export.arxiv.org"}
_ARXIV_PATH = re.compile(
    r"^/(?:abs|pdf|html)/(?P<id>" + ARXIV_PATTERN.strip("^$") + r")(?:v\d+)?(?:\.pdf)?/?$"
)


@lru_cache(maxsize=65536)
def _host(url: str) -> str:
    return urlsplit(url).netloc.lower().removeprefix("www.")


@lru_cache(maxsize=65536)
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


# --- what a link next to a paper is ---------------------------------------------------------------

CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "gitee.com", "huggingface.co",
              "codeberg.org", "sourceforge.net")
_PLACEHOLDER = re.compile(r"^(?:code\s+)?(?:deleted|removed|coming\s+soon|soon|todo|tbd|n/?a|none)"
                          r"\b", re.IGNORECASE)
# label word -> resource kind (first match wins); checked on the casefolded label
_KINDS = (
    ("slides", ("slide", "ppt", "deck")),
    ("video", ("video", "youtube", "bilibili")),
    ("poster", ("poster",)),
    ("talk", ("talk", "presentation", "oral")),
    ("discussion", ("reddit", "discussion", "zhihu", "hacker news", "知乎")),
    ("blog", ("blog", "medium", "post", "note", "解读")),
    ("supplement", ("supp", "appendix")),
    ("dataset", ("dataset", "data")),
    ("project", ("project", "homepage", "home page", "website", "page", "demo")),
    ("other-version", ("version", "journal", "extension", "tpami", "ijcv", "arxiv", "paper",
                       "pdf", "openreview", "book", "proceedings", "camera")),
)
_URL_KINDS = (("youtube.com", "video"), ("youtu.be", "video"), ("reddit.com", "discussion"),
              ("zhihu.com", "discussion"), ("slideshare.net", "slides"), ("medium.com", "blog"),
              ("github.io", "project"), ("openreview.net", "other-version"),
              ("arxiv.org", "other-version"))
_OFFICIAL = re.compile(r"\bofficial\b|\(\s*authors?\s*\)|\bauthors?['’]s?\b", re.IGNORECASE)
_UNOFFICIAL = re.compile(r"\bunofficial\b|\b3rd\b|\bthird[- ]party\b|\bnon-official\b",
                         re.IGNORECASE)


@dataclass(frozen=True)
class Typed:
    """A link next to a paper, typed: ``code`` (with official), a resource ``kind``, or dropped."""

    kind: str  # "code", a Resource kind, or "dropped"
    url: str
    label: str
    official: bool | None = None
    reason: str = ""  # why it was dropped


def is_code_host(url: str) -> bool:
    host = _host(url)
    return any(host == h or host.endswith("." + h) for h in CODE_HOSTS) and not host.endswith(
        "github.io") and "/papers/" not in urlsplit(url).path


def official(label: str) -> bool | None:
    """True when the list says the code is the authors', False for third-party, else None."""
    if _UNOFFICIAL.search(label):
        return False
    return True if _OFFICIAL.search(label) else None


def type_link(label: str, url: str) -> Typed:
    """Code only for repositories on code hosts; every other link gets a resource kind."""
    text = label.casefold().strip()
    if _PLACEHOLDER.match(text) or not url.startswith(("http://", "https://")) or (
        urlsplit(url).netloc == ""
    ):
        return Typed("dropped", url, label, reason=f"placeholder or not a web link: '{label}'")
    not_code = ("slide", "video", "poster", "blog", "note")
    if is_code_host(url) and not any(w in text for w in not_code):
        return Typed("code", url, label or "Code", official(label))
    for kind, words in _KINDS:
        if any(word in text for word in words):
            return Typed(kind, url, label)
    host = _host(url)
    for suffix, kind in _URL_KINDS:
        if host == suffix or host.endswith("." + suffix):
            return Typed(kind, url, label)
    return Typed("other", url, label)


# Proceedings sites whose links name their venue: a fact of the link, used only when the line
# itself names no venue (``[Title](https://papers.nips.cc/…), Authors, 2017``).
_PROCEEDINGS = (
    (re.compile(r"^(?:papers\.nips\.cc|proceedings\.neurips\.cc|papers\.neurips\.cc)$"), None,
     "NeurIPS"),
    (re.compile(r"^openaccess\.thecvf\.com$"),
     re.compile(r"/content(?:_|/)(CVPR|ICCV|ECCV|WACV)(?:_?\d{4})", re.IGNORECASE), None),
    (re.compile(r"^(?:ojs\.)?aaai\.org$"), re.compile(r"/AAAI"), "AAAI"),
    (re.compile(r"^bmvc\d{4}\.[a-z.-]+$|^bmva-archive\.org\.uk$"), None, "BMVC"),
    (re.compile(r"^jmlr\.org$"), re.compile(r"^/papers/"), "JMLR"),
)


def venue_from_url(url: str | None) -> str | None:
    """The venue a proceedings link names (NeurIPS, CVF, AAAI, BMVC, JMLR), else None."""
    if not url:
        return None
    host, path = _host(url), urlsplit(url).path
    for host_pattern, path_pattern, venue in _PROCEEDINGS:
        if host_pattern.match(host):
            found = path_pattern.search(path) if path_pattern else None
            if path_pattern is None or found:
                return venue or found.group(1).upper()
    return None
