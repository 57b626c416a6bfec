"""Link-first bullets: ``- [[arXiv](url)] Title [[code](url)] [__`bnn`__] ![stars](badge)``.

The first link's label is the venue (``[[NeurIPS](url)]`` or ``[[NeurIPS]](url)``), possibly with
a year or annotations (``CVPR 2023 Oral``); the year comes from it or from the heading above
(``### 2022``). The title is the text up to the next link or tag.
"""

from __future__ import annotations

from .. import marks
from ..inline import pairs
from .base import Line, Listing, Malformed, after, typed, year_of

NAME = "link-first bullet"
_NOT_VENUES = {"paper", "pdf", "link", "project"}  # '[[paper](url)] Title': no venue named


def parse(line: Line) -> Listing | None:
    text = line.text
    first = line.links[0] if line.links else None
    if first is None or first.image or first.start > 1 or not text.startswith("[["):
        return None
    end = first.end
    if first.start == 1:  # '[[venue](url)]': step over the closing bracket
        if not text.startswith("]", end):
            return None
        end += 1
    partner = pairs(text)
    starts = {k.start for k in line.links}
    while True:  # step over '[72:fire:]', '[721⭐]' and the like before the title
        lead = len(text) - len(text[end:].lstrip())
        if lead < len(text) and text[lead] == "[" and lead in partner and lead not in starts:
            end = partner[lead] + 1
        else:
            break
    stop = len(text)
    for index in range(end, len(text)):
        if text[index] == "[" or text.startswith("![", index):  # a link, tag or badge
            stop = index
            break
    title = text[end:stop].strip().strip("*_ ").rstrip(".").strip()
    if not title:
        return None  # '[[code](url)]' alone, or a link-only line: another format's or not a paper
    if len(title.split()) < 2 and not any(c.isupper() for c in title[1:]):
        raise Malformed(f"title '{title}' is one lowercase word: not a paper title")
    venue_label = first.label
    year = year_of(venue_label)
    rest, prose = after(line, stop)
    listing = Listing(line.number, title, first.url, year or line.heading_year, None,
                      links=typed(rest), format=NAME)
    listing.annotate(venue_label + " " + prose)

    venue = marks.read(venue_label).text
    venue = " ".join(w for w in venue.split() if not w.isdigit())
    listing.venue = None if venue.casefold() in _NOT_VENUES else (venue or None)
    if listing.year is None:
        raise Malformed("no year: neither the venue label nor a heading above gives one")
    return listing
