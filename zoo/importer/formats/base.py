"""What every format parser takes and gives: a :class:`Line` in, a :class:`Listing` out.

A parser returns ``None`` when the line is not in its format (the next parser is tried), raises
:class:`Malformed` when the line is in its format but cannot be read (the line is ``rejected``
with that reason) and :class:`NotAPaper` for lines that are plainly something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import marks
from ..inline import Link, without
from ..links import Typed, type_link

YEAR = re.compile(r"(?<![\d.])((?:19|20)\d\d)(?![\d])")
_PAPER_LABEL = re.compile(r"^\d{4}(?:\.\d{1,2})?\s{0,2}-")  # '2018-NIPSw-…': another paper


class Malformed(ValueError):
    """The line is in this parser's format but cannot be read; the message says how to fix it."""


class NotAPaper(ValueError):
    """The line is a contents entry, a badge, a link to code or another list: not a paper."""


@dataclass(frozen=True)
class Line:
    number: int
    text: str  # a bullet's content after '- ' / '1. ', or a whole row
    links: tuple[Link, ...]
    heading_year: int | None = None


@dataclass
class Listing:
    """One paper as a list line states it, before venue and taxonomy lookups."""

    line: int
    title: str
    url: str | None
    year: int | None
    venue: str | None  # as written ('CVPRo', 'NIPS'); None: the line names none
    month: int | None = None
    presentation: str | None = None
    award: str | None = None
    workshop: bool = False
    notes: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    links: list[Typed] = field(default_factory=list)  # typed links beside the paper link
    types: tuple[str, ...] = ()  # a table's Type cell values
    format: str = ""
    preprint: bool = False  # the list marks it a preprint ('2019.09-[Title]'): venue arXiv

    def annotate(self, text: str) -> None:
        """Fold oral/spotlight/best/workshop marks and lab notes of ``text`` into the listing."""
        found = marks.read(text)
        self.presentation = self.presentation or found.presentation
        self.award = self.award or found.award
        self.workshop = self.workshop or found.workshop
        self.notes = (*self.notes, *found.notes)


def typed(links: list[Link]) -> list[Typed]:
    """The links beside a paper, typed; images (badges) left out, links to other papers dropped."""
    result = []
    for link in links:
        if link.image or link.label.startswith("!["):
            continue
        if _PAPER_LABEL.match(link.label):
            result.append(Typed("dropped", link.url, link.label, reason="a link to another paper"))
        else:
            result.append(type_link(link.label, link.url))
    return result


def after(line: Line, start: int) -> tuple[list[Link], str]:
    """The links from ``start`` on and the prose left between them."""
    rest = [link for link in line.links if link.start >= start]
    shift = [Link(k.label, k.url, k.start - start, k.end - start, k.image) for k in rest]
    return rest, without(line.text[start:], shift)


def year_of(text: str) -> int | None:
    """The last four-digit year in ``text``."""
    found = YEAR.findall(text)
    return int(found[-1]) if found else None
