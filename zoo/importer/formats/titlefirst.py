"""Title-first bullets: the title, then authors, venue and year, then links.

* ``- [Title](url), Authors, Year`` (venue not stated) and ``- [Title](url) - Authors, Venue Year``
* ``- "Title", Venue, Year. [[paper](url)]``
* ``- Title <br> Venue Year [[Paper]](url) [[Code]](url)`` and ``- **Title** [[Paper](url)]``
"""

from __future__ import annotations

import re

from .. import marks
from ..inline import links
from ..links import is_code_host
from .base import YEAR, Line, Listing, Malformed, NotAPaper, after, typed, year_of

NAME = "title-first bullet"
_QUOTED = re.compile(r'^["“]([^"”]{3,400})["”]')
_BR = re.compile(r"<br\s{0,3}/?>", re.IGNORECASE)
_PAPER_WORDS = ("paper", "pdf", "arxiv", "openreview", "link")


def parse(line: Line) -> Listing | None:
    text = _BR.sub(" | ", line.text)  # same length is not needed: links are re-found below
    if text != line.text:

        line = Line(line.number, text, tuple(links(text)), line.heading_year)
    first = line.links[0] if line.links else None
    if first is not None and first.start == 0 and not first.image:
        if first.label.startswith("!["):
            raise NotAPaper("a badge")
        if first.url.startswith("#"):
            raise NotAPaper("a table-of-contents entry")
        if is_code_host(first.url):
            raise NotAPaper("a link to a code repository or another list, not to a paper")
        title, url, start = first.label, first.url, first.end
        rest, prose = after(line, start)
        return _finish(line, title, url, rest, prose, authors_first=True)
    if quoted := _QUOTED.match(line.text):
        title = quoted.group(1).strip().rstrip(",")
        rest, prose = after(line, quoted.end())
    else:
        stop = first.start if first is not None else len(line.text)
        title = line.text[:stop].split(" | ", 1)[0].strip().strip("*_").strip()
        if not title or first is None:
            return None
        rest, prose = after(line, len(line.text[:stop].split(" | ", 1)[0]))
    paper = next((k for k in rest if not k.image and any(w in k.label.casefold()
                                                          for w in _PAPER_WORDS)), None)
    if paper is None:
        return None
    return _finish(line, title, paper.url, [k for k in rest if k is not paper], prose,
                   authors_first=False)


def _finish(line: Line, title: str, url: str, rest: list, prose: str, *,
            authors_first: bool) -> Listing:
    title = title.strip().rstrip(".,")
    if not title:
        raise Malformed("empty title")
    listing = Listing(line.number, title, url, None, None, links=typed(rest), format=NAME)
    listing.annotate(prose)

    no_venue = authors_first and prose.lstrip().startswith(",")  # '[Title](url), Authors, Year'
    prose = marks.read(prose).text.replace(" | ", ", ").strip(" ,.-–—")
    segments = [s.strip() for s in re.split(r",|\s-\s|\|", prose) if s.strip()]
    year = year_of(segments[-1]) if segments else None
    venue = None
    if segments:
        last = YEAR.sub(" ", segments[-1]).replace("'", " ").strip(" .")
        authors = segments
        if no_venue:
            authors = [*segments[:-1], last] if last else segments[:-1]
        elif authors_first:  # '[Title](url) - Authors, Venue Year'
            venue = last if year is not None and len(segments) > 1 else None
            authors = segments[:-1] if year is not None else segments
        else:  # '"Title", Venue, Year' and 'Title <br> Venue Year': no authors
            venue = last or (segments[-2] if len(segments) > 1 and year else None)
            authors = []
        names = (n.strip() for a in authors for n in re.split(r"\sand\s|&", a))
        listing.authors = tuple(n for n in names if n and len(n) < 60 and not YEAR.search(n)
                                and n.casefold().rstrip(".") != "et al")
    listing.venue = venue or None
    listing.year = year or line.heading_year
    if listing.year is None:
        raise Malformed("no year: write ', 2019' after the authors or put the line under a year "
                        "heading")
    return listing
