"""What ``aladin new`` learns from a paper identifier: title, authors, year, and a venue hint.

:func:`identify` turns the ``--arxiv``, ``--openreview`` and ``--url`` values into normalised ids
(an arxiv.org or openreview.net URL counts as the id it contains), :func:`lookup` asks arXiv
first and OpenReview second, and :func:`suggest_venue` finds a catalog venue named in free text
such as arXiv's "Accepted to CVPR 2019" — a suggestion offered to the user, never applied
silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import requests

from ..catalog import Venues
from . import arxiv, openreview


@dataclass(frozen=True)
class PaperIds:
    arxiv: str | None = None
    openreview: str | None = None

    def __bool__(self) -> bool:
        return bool(self.arxiv or self.openreview)


@dataclass(frozen=True)
class Metadata:
    source: str  # "arXiv 1811.00250" or "OpenReview BJxh2j0qYm"
    title: str
    authors: tuple[str, ...]
    year: int | None
    month: int | None
    venue_hint: str | None  # free text naming the venue, if the source gives any


def identify(arxiv_id: str | None = None, openreview_id: str | None = None,
             url: str | None = None) -> PaperIds:
    """Normalised ids from the flags; ``ValueError`` (one line) for a malformed one."""
    found_arxiv = arxiv.normalise_id(arxiv_id) if arxiv_id else None
    found_or = openreview.normalise_id(openreview_id) if openreview_id else None
    if url:
        found_arxiv = found_arxiv or arxiv.id_from_url(url)
        found_or = found_or or openreview.id_from_url(url)
    return PaperIds(found_arxiv, found_or)


def lookup(ids: PaperIds, *, session: requests.Session | None = None) -> Metadata:
    """Metadata from arXiv when there is an arXiv id, else from OpenReview.

    Raises :class:`~zoo.network.http.NetworkError` (or a subclass) with a one-line message.
    """
    if ids.arxiv:
        record = arxiv.fetch(ids.arxiv, session=session)
        hint = " ".join(filter(None, (record.journal_ref, record.comment))) or None
        return Metadata(f"arXiv {record.arxiv_id}", record.title, record.authors, record.year,
                        record.month, hint)
    if ids.openreview:
        found = openreview.fetch(ids.openreview, session=session)
        return Metadata(f"OpenReview {found.forum}", found.title, found.authors, found.year,
                        None, found.venue_hint)
    raise ValueError("no arXiv or OpenReview id to look up")


def suggest_venue(text: str | None, venues: Venues) -> str | None:
    """The id of the catalog venue whose id or alias appears as a word in ``text`` (the longest
    such name wins, so "CVPRW" beats "CVPR"); None when none does."""
    if not text:
        return None
    names = sorted(((name, v.id) for v in venues.venues for name in (v.id, *v.aliases)
                    if len(name) >= 3 and v.kind != "preprint"),
                   key=lambda pair: -len(pair[0]))
    for name, venue_id in names:
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z])", text):
            return venue_id
    return None
