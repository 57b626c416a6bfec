"""Table rows: ``| [Title](link) | ICLR **(Best)** | `W` | [PyTorch(Author)](url) |``.

The header names the columns (:func:`roles`); the venue cell may carry a year and annotations,
the Year column or the heading above (``### 2021``) gives the year.
"""

from __future__ import annotations

import re

from .. import marks
from ..inline import clean, links
from .base import Line, Listing, Malformed, typed, year_of

NAME = "table row"
_COLUMNS = {  # role -> header names (casefolded)
    "title": {"title", "paper", "papers", "name", "paper title"},
    "venue": {"venue", "conference", "conf", "publication", "published", "published in", "where"},
    "year": {"year", "date"},
    "type": {"type", "types", "category"},
    "code": {"code", "codes", "implementation", "github", "repo", "repository"},
}
NO_VALUE = {"", "-", "–", "—", "n/a", "na", "none", "todo", "/"}


def is_separator(line: str) -> bool:
    """``|:---|---:|``: only pipes, dashes, colons and spaces (a set test, no regex)."""
    return "-" in line and "|" in line and set(line.strip()) <= set("|:- \t")


def split_row(line: str) -> list[str]:
    """Cells of a table row; ``\\|`` and ``|`` inside backticks do not split."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    cells, current, code = [], [], False
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and body[i + 1 : i + 2] == "|":
            current.append("|")
            i += 2
            continue
        if char == "`":
            code = not code
        if char == "|" and not code:
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        i += 1
    cells.append("".join(current).strip())
    return cells


def roles(header: list[str]) -> dict[str, int]:
    """Column index of each role the header names (first column wins)."""
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = clean(name).strip("`").casefold()
        for role, names in _COLUMNS.items():
            if key in names:
                found.setdefault(role, index)
    return found


def parse(line: Line, columns: dict[str, int]) -> Listing:
    """The paper of one row; :class:`Malformed` when it cannot be read."""
    cells = split_row(line.text)

    def cell(role: str) -> str:
        index = columns.get(role)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    title_cell = clean(cell("title"))
    if not title_cell:
        raise Malformed("empty title cell")
    found = links(title_cell)
    title_link = found[0] if found and found[0].start == 0 and not found[0].image else None
    title, url = (title_link.label, title_link.url) if title_link else (title_cell, None)
    if not title:
        raise Malformed("empty title")
    venue_notes = marks.read(cell("venue"), lab_notes=False)
    year = year_of(venue_notes.text)
    venue = " ".join(w for w in venue_notes.text.replace(",", " ").split()
                     if not re.fullmatch(r"'?\d{2,4}", w))
    year_text = clean(cell("year"))
    if year_text and year_text.casefold() not in NO_VALUE:
        year = year_of(year_text)
        if year is None:
            raise Malformed(f"year cell '{year_text}' is not a year")
    if cell("venue").strip().casefold() in NO_VALUE:
        venue = ""
    types = tuple(t for t in (p.strip(" `*") for p in re.split(r"[&,/+]", cell("type")))
                  if t and t.casefold() not in NO_VALUE)
    code_cell = cell("code")
    extra = links(code_cell) if code_cell.casefold() not in NO_VALUE else []
    if title_link:
        extra += [k for k in found[1:] if not k.image]
    listing = Listing(line.number, title, url, year or line.heading_year, venue or None,
                      presentation=venue_notes.presentation, award=venue_notes.award,
                      workshop=venue_notes.workshop, links=typed(extra), types=types, format=NAME)
    if code_cell and not extra and code_cell.casefold() not in NO_VALUE:
        listing.annotate(code_cell)  # 'Code Deleted' and the like: noted, not a link
    if listing.year is None:
        raise Malformed("no year: add a Year column, a year in the venue cell or a '## 2019' "
                        "heading above the table")
    return listing
