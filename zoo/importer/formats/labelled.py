"""Label bullets, the seed's format: ``- 2019-CVPRo-[Title](link) [[Code](link)]``.

``2019.09-[Title](link)`` is a preprint (year.month); the venue may have several words
(``2018-IEEE Signal Processing Magazine-[…]``) and a mark (``o`` oral, ``s`` spotlight,
``b`` best paper, ``w`` workshop). Text after the links is read for annotations; links to other
papers inside it (``(Similar topic: [2018-NIPSw-…](…))``) are dropped, not taken as code.
"""

from __future__ import annotations

import re

from .base import Line, Listing, Malformed, after, typed

NAME = "label bullet"
_LABEL = re.compile(r"(?P<year>\d{4})(?:\.(?P<month>\d{1,2}))?[ \t]{0,3}-")
# Without a link the venue must be one word, so a hyphen in the title cannot pass for a venue.
_PLAIN_VENUE = re.compile(r"[ \t]{0,3}(?P<venue>[A-Za-z][A-Za-z0-9]{0,30})[ \t]{0,3}-[ \t]{0,3}")


def parse(line: Line) -> Listing | None:
    text = line.text
    label = _LABEL.match(text)
    if not label:
        return None
    month = int(label.group("month")) if label.group("month") else None
    if month is not None and not 1 <= month <= 12:
        raise Malformed(f"'{label.group(0)}' has no month {month}")
    title_link = next((k for k in line.links if k.start >= label.end() and not k.image
                       and text[k.start] == "["), None)
    if title_link is None:
        return _without_link(line, label, month)
    between = text[label.end() : title_link.start].strip()
    venue = None
    if between and not between.endswith("-") and _PLAIN_VENUE.match(text, label.end()):
        return _without_link(line, label, month)  # '2021-AAAI-Title [[Code](url)]'
    if between:
        if not between.endswith("-"):
            raise Malformed(f"expected 'YEAR-VENUE-[Title](link)', found '{between[:40]}' before "
                            "the title link")
        venue = between[:-1].strip() or None
    if not title_link.label:
        raise Malformed("empty title")
    rest, prose = after(line, title_link.end)
    listing = Listing(line.number, title_link.label, title_link.url or None,
                      int(label.group("year")), venue, month=month, links=typed(rest), format=NAME,
                      preprint=venue is None)
    listing.annotate(prose.split("·", 1)[0])  # '· [zoo: …]' is the generated README's own note
    return listing


def _without_link(line: Line, label: re.Match, month: int | None) -> Listing:
    """A paper without a link, as the generated README shows it: ``2019-CVPR-Title``."""
    plain = _PLAIN_VENUE.match(line.text, label.end())
    start = plain.end() if plain else label.end()
    title = line.text[start:].split("·", 1)[0].split("[", 1)[0].strip()
    if not title or not plain:
        raise Malformed("expected 'YEAR-VENUE-[Title](link)', e.g. '2019-CVPRo-[Title](https://…)'"
                        "; found no title link after the year label")
    rest, _ = after(line, start)
    return Listing(line.number, title, None, int(label.group("year")), plain.group("venue"),
                   month=month, links=typed(rest), format=NAME)
