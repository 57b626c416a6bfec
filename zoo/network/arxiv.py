"""A paper's metadata from the arXiv API (an Atom feed), read with ``xml.etree``.

``GET {api}?id_list=1811.00250`` answers with a feed of one ``<entry>``: ``<title>`` and
``<summary>`` hard-wrapped, one ``<author><name>`` per author, ``<published>`` (the first
version's date), ``<link>``\\ s to the abstract page and the PDF, and ``arxiv:`` extension elements
(``comment``, ``journal_ref``, ``doi``). arXiv reports a malformed id as HTTP 200 with a single
entry titled ``Error`` whose id points into ``/api/errors``, an unknown id as an empty feed, and
throttling as a plain-text body; each becomes its own exception here.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import requests

from .http import NetworkError, NotFound, RateLimited, check_status, make_session, request

API_URL = "https://export.arxiv.org/api/query"
API_ENV = "ALADIN_ARXIV_API"  # tests and mirrors point this elsewhere
_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z-]+(?:\.[A-Z]{2})?/\d{7}"
_ID = re.compile(rf"^(?:arxiv:)?(?P<id>{_NEW_ID}|{_OLD_ID})(?:v\d+)?(?:\.pdf)?$", re.I)
_URL = re.compile(rf"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(?P<id>{_NEW_ID}|{_OLD_ID})"
                  r"(?:v\d+)?(?:\.pdf)?/?(?:[?#].*)?$", re.I)


class ArxivError(NetworkError):
    """arXiv answered, but not with the paper asked for."""


@dataclass(frozen=True)
class ArxivRecord:
    arxiv_id: str  # without version
    title: str
    authors: tuple[str, ...]
    published: dt.date  # first version
    abs_url: str
    pdf_url: str | None
    comment: str | None  # often names the venue: "Accepted to CVPR 2019 (Oral)"
    journal_ref: str | None
    doi: str | None

    @property
    def year(self) -> int:
        return self.published.year

    @property
    def month(self) -> int:
        return self.published.month


def normalise_id(text: str) -> str:
    """The bare id of ``arXiv:1811.00250v2``, ``1811.00250``, ``https://arxiv.org/abs/…``;
    ``ValueError`` when ``text`` is none of these."""
    text = text.strip()
    match = _URL.match(text) or _ID.match(text)
    if not match:
        raise ValueError(f"not an arXiv id: {text!r} (expected e.g. 1811.00250)")
    found = match["id"]
    return found if "/" in found else found.lower()


def id_from_url(url: str) -> str | None:
    """The id of an arxiv.org abstract or PDF URL, else None."""
    match = _URL.match(url.strip())
    return normalise_id(match["id"]) if match else None


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return " ".join(element.text.split()) or None


def parse_feed(xml_text: str, arxiv_id: str) -> ArxivRecord:
    """The record for ``arxiv_id`` in an API answer; :class:`ArxivError` / :class:`NotFound`."""
    if "Rate exceeded" in xml_text[:200]:
        raise RateLimited("arXiv: rate-limited (\"Rate exceeded\"); try again in a minute")
    try:
        feed = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise ArxivError(f"arXiv: the answer is not an Atom feed ({exc})") from None
    entries = feed.findall("atom:entry", _NS)
    for entry in entries:
        entry_id = _text(entry.find("atom:id", _NS)) or ""
        if "/api/errors" in entry_id:
            reason = _text(entry.find("atom:summary", _NS)) or "error"
            raise ArxivError(f"arXiv: {reason}")
    matching = [e for e in entries if _entry_id(e) == arxiv_id]
    if not matching:
        raise NotFound(f"arXiv has no paper {arxiv_id}")
    return _record(matching[0], arxiv_id)


def _entry_id(entry: ET.Element) -> str | None:
    return id_from_url(_text(entry.find("atom:id", _NS)) or "")


def _record(entry: ET.Element, arxiv_id: str) -> ArxivRecord:
    title = _text(entry.find("atom:title", _NS))
    published = _text(entry.find("atom:published", _NS))
    if not title or not published:
        raise ArxivError(f"arXiv: the entry for {arxiv_id} has no title or date")
    authors = tuple(
        name for a in entry.findall("atom:author", _NS)
        if (name := _text(a.find("atom:name", _NS)))
    )
    try:
        first_version = dt.date.fromisoformat(published[:10])
    except ValueError:
        raise ArxivError(f"arXiv: the entry for {arxiv_id} has a malformed date "
                         f"{published[:40]!r}") from None
    links = entry.findall("atom:link", _NS)
    pdf = next((link.get("href") for link in links if link.get("title") == "pdf"), None)
    return ArxivRecord(
        arxiv_id=arxiv_id,
        title=title,
        authors=authors,
        published=first_version,
        abs_url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=pdf,
        comment=_text(entry.find("arxiv:comment", _NS)),
        journal_ref=_text(entry.find("arxiv:journal_ref", _NS)),
        doi=_text(entry.find("arxiv:doi", _NS)),
    )


def fetch(arxiv_id: str, *, session: requests.Session | None = None,
          base_url: str | None = None) -> ArxivRecord:
    """The arXiv record of ``arxiv_id`` (any form :func:`normalise_id` accepts).

    Raises ``ValueError`` for a malformed id (before any request), :class:`NotFound` for an
    unknown one, :class:`RateLimited` and :class:`NetworkError` for the rest — all one line.
    """
    arxiv_id = normalise_id(arxiv_id)
    url = base_url or os.environ.get(API_ENV) or API_URL
    own = session is None
    session = session or make_session()
    try:
        response = request(session, "GET", url, params={"id_list": arxiv_id, "max_results": 1})
        check_status(response, f"arXiv {arxiv_id}")
        return parse_feed(response.text, arxiv_id)
    finally:
        if own:
            session.close()
