"""A paper's metadata from the OpenReview API, by forum id.

Venues since 2023 live in API v2 (``api2.openreview.net``), where every content field is wrapped
as ``{"value": …}``; older ones (ICLR 2019, say) only in API v1 (``api.openreview.net``), where
fields are plain. ``GET {api}/notes?id=<forum>`` answers ``{"notes": [...]}`` in both. The year
and venue come from ``venueid`` (``ICLR.cc/2019/Conference``) or, in v1, the submission's
``invitation``, falling back to the publication date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from .http import NetworkError, NotFound, check_status, make_session, request

API_URLS = ("https://api2.openreview.net", "https://api.openreview.net")  # v2 first, then v1
API_ENV = "ALADIN_OPENREVIEW_API"  # one base URL, or two separated by a space
_ID = re.compile(r"^[A-Za-z0-9_-]{6,}$")
_VENUE = re.compile(r"^(?P<venue>[A-Za-z][A-Za-z0-9]*)\.cc/(?P<year>\d{4})/")


@dataclass(frozen=True)
class OpenReviewRecord:
    forum: str
    title: str
    authors: tuple[str, ...]
    year: int | None
    venue_hint: str | None  # "ICLR 2019" or the venue text OpenReview shows
    forum_url: str


def normalise_id(text: str) -> str:
    """The forum id of ``BJxh2j0qYm`` or ``https://openreview.net/forum?id=BJxh2j0qYm``."""
    text = text.strip()
    found = id_from_url(text) if "://" in text else text
    if not found or not _ID.match(found):
        raise ValueError(f"not an OpenReview forum id: {text!r} (expected e.g. BJxh2j0qYm)")
    return found


def id_from_url(url: str) -> str | None:
    """The forum id of an openreview.net ``/forum?id=`` or ``/pdf?id=`` URL, else None."""
    parts = urlsplit(url.strip())
    if parts.netloc.removeprefix("www.") != "openreview.net" or parts.path not in (
            "/forum", "/pdf"):
        return None
    ids = parse_qs(parts.query).get("id")
    return ids[0] if ids else None


def _value(content: dict, key: str) -> Any:
    field = content.get(key)
    return field.get("value") if isinstance(field, dict) else field


def parse_notes(data: Any, forum: str) -> OpenReviewRecord:
    """The record of ``forum`` in a ``/notes`` answer (v1 or v2 shape)."""
    notes = data.get("notes") if isinstance(data, dict) else None
    if not notes:
        raise NotFound(f"OpenReview has no forum {forum}")
    note = next((n for n in notes if n.get("id") == forum), notes[0])
    content = note.get("content") or {}
    title = " ".join(str(_value(content, "title") or "").split())
    if not title:
        raise NetworkError(f"OpenReview: forum {forum} has no title")
    authors = tuple(str(a).strip() for a in _value(content, "authors") or () if str(a).strip())
    year, venue = None, None
    for source in (_value(content, "venueid"), note.get("invitation"),
                   *(note.get("invitations") or ())):
        if isinstance(source, str) and (match := _VENUE.match(source)):
            year, venue = int(match["year"]), f"{match['venue']} {match['year']}"
            break
    venue = venue or _value(content, "venue") or None
    stamp = note.get("pdate") or note.get("cdate") or note.get("tcdate")
    if year is None and isinstance(stamp, int | float):
        with contextlib.suppress(OverflowError, OSError, ValueError):  # an absurd timestamp
            year = dt.datetime.fromtimestamp(stamp / 1000, dt.UTC).year
    return OpenReviewRecord(forum, title, authors, year, venue,
                            f"https://openreview.net/forum?id={forum}")


def fetch(forum: str, *, session: requests.Session | None = None,
          base_urls: tuple[str, ...] | None = None) -> OpenReviewRecord:
    """The record of an OpenReview forum, asking API v2 first and then v1."""
    forum = normalise_id(forum)
    bases = base_urls or tuple(os.environ.get(API_ENV, "").split()) or API_URLS
    own = session is None
    session = session or make_session()
    try:
        missing: NotFound | None = None
        for base in bases:
            response = request(session, "GET", f"{base.rstrip('/')}/notes", params={"id": forum})
            if response.status_code in (400, 403, 404):  # unknown to this API version
                missing = NotFound(f"OpenReview has no forum {forum}")
                continue
            check_status(response, f"OpenReview {forum}")
            try:
                return parse_notes(response.json(), forum)
            except NotFound as exc:
                missing = exc
            except ValueError:
                raise NetworkError(f"OpenReview {forum}: the answer is not JSON") from None
        raise missing or NotFound(f"OpenReview has no forum {forum}")
    finally:
        if own:
            session.close()
