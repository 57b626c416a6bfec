"""Reading an awesome list: headings, paper lines and table rows, each with its line number.

This module knows Markdown only; it does not know the catalog. It turns a file into a stream of
:class:`Heading`, :class:`Listing` (a paper as the list states it) and :class:`Unparsable` items,
which :mod:`zoo.importer.run` places in the taxonomy and turns into entries.

Two list forms are read:

* bullets in the seed's format, ``- 2019-CVPRo-[Title](link) [[Code](link)] [[Pytorch Code](link)]``
  (``o`` oral, ``s`` spotlight; ``- 2019-[Title](link)`` and ``- 2019.09-[Title](link)`` for
  preprints). Anything after the code links other than ``· …`` annotations (which the generated
  README adds) makes the line unparsable: a line is imported whole or reported, never half-read.
* tables whose header names a title column (``| Title | Venue | Type | Code |``, optionally
  ``Year``); the title cell holds ``[Title](link)``, the venue cell ``CVPR``, ``CVPR 2019`` or
  ``ICLR **(Spotlight)**``, the type cell values such as ```W`&`R```.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..publish.markdown import md_unescape

BOLD_LEVEL = 7  # a line that is only **bold text** acts as a heading below ######


@dataclass(frozen=True)
class Heading:
    line: int
    level: int  # 1-6 for '#'…'######', BOLD_LEVEL for a **bold** line
    text: str

    @property
    def year(self) -> int | None:
        """The year when the heading is only a year (``## 2019``); table rows may take it."""
        return int(self.text) if re.fullmatch(r"(?:19|20)\d\d", self.text.strip()) else None

    @property
    def shown(self) -> str:
        return f"**{self.text}**" if self.level == BOLD_LEVEL else f"{'#' * self.level} {self.text}"


@dataclass(frozen=True)
class Listing:
    """One paper as a list line states it, before venue and taxonomy lookups."""

    line: int
    title: str
    url: str | None
    year: int | None  # None: a table row without a year; the nearest year heading supplies it
    month: int | None
    venue: str | None  # as written, possibly with an oral/spotlight mark ('CVPRo'); None: preprint
    presentation: str | None  # from a table's '(Oral)'; bullets carry it in the venue mark
    code: tuple[tuple[str, str], ...] = ()  # (label, url)
    types: tuple[str, ...] = ()  # a table's Type cell values


@dataclass(frozen=True)
class Unparsable:
    line: int
    reason: str
    certain: bool  # True: the line is a paper line for sure (year label, papers table row)


Item = Heading | Listing | Unparsable


class MarkdownError(ValueError):
    """A line that cannot be read; the message says why."""


# --- links ---------------------------------------------------------------------------------------

def _closing(text: str, start: int, opening: str, closing: str) -> int:
    """Index of the bracket closing the one at ``text[start]``, obeying nesting and escapes."""
    depth, i = 0, start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    snippet = text[start : start + 40] + ("…" if len(text) > start + 40 else "")
    raise MarkdownError(f"unclosed '{opening}' in '{snippet}' (write a literal bracket as "
                        f"'\\{opening}')")


def read_link(text: str, start: int) -> tuple[str, str, int]:
    """The ``[label](url)`` at ``text[start]``: label, url and the index after the link.

    Brackets may nest in the label (``[Learning [Binary] Nets](…)``) and parentheses in the URL
    (``(https://en.wikipedia.org/wiki/Pruning_(botany))``)."""
    end = _closing(text, start, "[", "]")
    label = text[start + 1 : end]
    if not text.startswith("(", end + 1):
        raise MarkdownError(f"'[{label}]' is not followed by '(link)'")
    close = _closing(text, end + 1, "(", ")")
    target = text[end + 2 : close].strip()
    if target.startswith("<") and target.endswith(">"):
        target = target[1:-1].strip()
    elif re.fullmatch(r'\S+\s+(".*"|\'.*\')', target):  # [label](url "title")
        target = target.split()[0]
    if not target:
        raise MarkdownError(f"'[{label}]' has an empty link")
    if re.search(r"\s", target):
        raise MarkdownError(f"link of '[{label}]' contains spaces: '{target}'")
    return clean_text(label), target, close + 1


def clean_text(text: str) -> str:
    """Link text as a reader sees it: escapes undone, enclosing emphasis and spacing dropped."""
    text = " ".join(md_unescape(text).split())
    match = re.fullmatch(r"(\*\*|__|\*|_)(.+)\1", text)
    return match.group(2).strip() if match else text


def links_in(text: str) -> list[tuple[str, str]]:
    """Every ``[label](url)`` in ``text`` plus bare http(s) URLs, in order."""
    found, i = [], 0
    while i < len(text):
        if text[i] == "[":
            try:
                label, url, i = read_link(text, i)
            except MarkdownError:
                i += 1
                continue
            found.append((label, url))
            continue
        bare = re.match(r"https?://[^\s|<>]+", text[i:])
        if bare and (i == 0 or not text[i - 1].isalnum()):
            found.append(("Code", bare.group(0).rstrip(".,;")))
            i += bare.end()
            continue
        i += 1
    return found


# --- bullets -------------------------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")  # '- ', '* ', '+ ', '1. ', '1) '
_LABEL = re.compile(
    r"(?P<year>\d{4})(?:\.(?P<month>\d{1,2}))?\s*(?:-\s*(?P<venue>[^\[\]]*?)\s*)?-\s*(?=\[)"
)
# Without a link the venue must be one word, so a hyphen in the title cannot pass for a venue.
_PLAIN_LABEL = re.compile(
    r"(?P<year>\d{4})(?:\.(?P<month>\d{1,2}))?\s*-\s*(?P<venue>[A-Za-z][A-Za-z0-9]*)\s*-\s*"
    r"(?=[^\s\[])"
)
_LOOKS_LABELLED = re.compile(r"^\s*(?:(?:[-*+]|\d{1,3}[.)])\s+)?\d{4}(?:\.\d{1,2})?\s*-")


def _title_end(text: str, start: int) -> int:
    """End of a link-less title: the first unescaped '[' or a ' · ' annotation."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "[" or text.startswith("·", i):
            return i
        i += 1
    return len(text)


def parse_bullet(line_no: int, content: str) -> Listing:
    """The paper of one bullet's content (the text after ``- ``); :class:`MarkdownError` if not."""
    content = content.strip()
    label = _LABEL.match(content)
    url: str | None
    if label:
        title, url, i = read_link(content, label.end())
    elif label := _PLAIN_LABEL.match(content):  # a paper without a link, as the README shows it
        i = _title_end(content, label.end())
        title, url = clean_text(content[label.end() : i]), None
    else:
        raise MarkdownError("expected 'YEAR-VENUE-[Title](link)', e.g. "
                            "'2019-CVPRo-[Title](https://…)'; found no year label before '['")
    if not title:
        raise MarkdownError("empty title")
    code: list[tuple[str, str]] = []
    rest = content[i:]
    while rest := rest.lstrip():
        if rest.startswith("·"):  # annotations such as the README's '· [zoo: `fpgm`](…)'
            break
        if rest.startswith("[["):
            try:
                text, target, end = read_link(rest, 1)
                if not rest.startswith("]", end):
                    raise MarkdownError("missing ']' after a '[[label](link)' code link")
                end += 1
            except MarkdownError:
                text, target, end = read_link(rest, 0)
        elif rest.startswith("["):
            text, target, end = read_link(rest, 0)
        else:
            raise MarkdownError(f"unexpected text after the links: '{rest}'")
        code.append((text or "Code", target))
        rest = rest[end:]
    month = label.group("month")
    return Listing(
        line=line_no,
        title=title,
        url=url,
        year=int(label.group("year")),
        month=int(month) if month else None,
        venue=label.group("venue") or None,
        presentation=None,
        code=tuple(code),
    )


# --- tables --------------------------------------------------------------------------------------

_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_COLUMNS = {  # role -> header names (casefolded)
    "title": {"title", "paper", "papers", "name", "paper title"},
    "venue": {"venue", "conference", "conf", "publication", "published", "published in", "where"},
    "year": {"year", "date"},
    "type": {"type", "types", "category"},
    "code": {"code", "codes", "implementation", "github", "repo", "repository"},
}
_NO_VALUE = {"", "-", "–", "—", "n/a", "na", "none", "todo", "/"}


def split_row(line: str) -> list[str]:
    """Cells of a table row; ``\\|`` and ``|`` inside backticks do not split."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    cells, current, code = [], "", False
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and body[i + 1 : i + 2] == "|":
            current += "|"
            i += 2
            continue
        if char == "`":
            code = not code
        if char == "|" and not code:
            cells.append(current.strip())
            current = ""
        else:
            current += char
        i += 1
    cells.append(current.strip())
    return cells


def table_roles(header: list[str]) -> dict[str, int]:
    """Column index of each role the header names (first column wins)."""
    roles: dict[str, int] = {}
    for index, name in enumerate(header):
        key = clean_text(name).strip("`").casefold()
        for role, names in _COLUMNS.items():
            if key in names:
                roles.setdefault(role, index)
    return roles


def _venue_cell(text: str) -> tuple[str | None, int | None, str | None]:
    """Venue as written, year and presentation of a cell like ``ICLR 2020 **(Spotlight)**``."""
    text = md_unescape(text).replace("*", "").replace("`", "")
    presentation = None
    mark = re.search(r"\(?\b(oral|spotlight)\b\)?", text, re.IGNORECASE)
    if mark:
        presentation = mark.group(1).lower()
        text = text[: mark.start()] + text[mark.end() :]
    year = None
    found = re.search(r"(?:\b|(?<=[A-Za-z]))((?:19|20)\d\d)\b|'(\d\d)\b", text)
    if found:
        year = int(found.group(1)) if found.group(1) else 2000 + int(found.group(2))
        text = text[: found.start()] + text[found.end() :]
    venue = " ".join(text.replace(",", " ").split()).strip("-–— ")
    return (venue or None), year, presentation


def parse_row(line_no: int, cells: list[str], roles: dict[str, int]) -> Listing:
    """The paper of one table row; :class:`MarkdownError` when the row cannot be read."""

    def cell(role: str) -> str:
        index = roles.get(role)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    title_cell = cell("title")
    if emphasis := re.fullmatch(r"(\*\*|__|\*|_)(.+)\1", title_cell):
        title_cell = emphasis.group(2).strip()
    if not title_cell:
        raise MarkdownError("empty title cell")
    if title_cell.startswith("["):
        title, url, end = read_link(title_cell, 0)
        if extra := title_cell[end:].strip():
            raise MarkdownError(f"unexpected text after the title link: '{extra}'")
    else:
        title, url = clean_text(title_cell), None
    if not title:
        raise MarkdownError("empty title")
    venue, year, presentation = _venue_cell(cell("venue"))
    if cell("venue").strip().casefold() in _NO_VALUE:
        venue = None
    year_text = clean_text(cell("year"))
    if year_text and year_text.casefold() not in _NO_VALUE:
        match = re.fullmatch(r"((?:19|20)\d\d)(?:[.-](\d{1,2}))?", year_text)
        if not match:
            raise MarkdownError(f"year cell '{year_text}' is not a year")
        year = int(match.group(1))
    if venue is None:
        raise MarkdownError("no venue (write one, e.g. 'CVPR' or 'arXiv')")
    types = tuple(
        t for t in (p.strip(" `*") for p in re.split(r"[&,/+]", cell("type"))) if t
        and t.casefold() not in _NO_VALUE
    )
    code_cell = cell("code")
    code = tuple(links_in(code_cell)) if code_cell.casefold() not in _NO_VALUE else ()
    return Listing(line_no, title, url, year, None, venue, presentation, code, types)


# --- the file ------------------------------------------------------------------------------------

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?P<text>[^*_].*?)\1\s*:?\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def scan(text: str) -> Iterator[Item]:
    """Headings, listings and unparsable paper lines of a Markdown document, in order.

    Bullets that hold no link and no year label (a table of contents, prose) are not paper lines
    and are skipped; a bullet with a link but no year label is yielded as uncertain, so the caller
    reports it only inside a section that holds papers."""
    lines = visible_lines(text)
    index = 0
    while index < len(lines):
        line, number = lines[index], index + 1
        index += 1
        if not line.strip():
            continue
        if heading := _HEADING.match(line):
            yield Heading(number, len(heading.group(1)), clean_text(heading.group(2)))
            continue
        if bold := _BOLD_LINE.match(line):
            yield Heading(number, BOLD_LEVEL, clean_text(bold.group("text")))
            continue
        if line.lstrip().startswith("|"):
            if index < len(lines) and _SEPARATOR.match(lines[index]):
                rows, index = _table_rows(lines, index + 1)
                yield from _table(number, line, rows)
            else:
                yield Unparsable(number, "table row outside a table (no header and '|---|' "
                                 "separator above it)", certain="](" in line)
            continue
        bullet = _BULLET.match(line)
        labelled = bool(_LOOKS_LABELLED.match(line))
        if not bullet:
            if labelled and "[" in line:
                yield Unparsable(number, "a paper line must be a list item starting with '- '",
                                 certain=True)
            continue
        if not labelled and "](" not in line:
            continue  # e.g. the table of contents: '- 剪枝'
        try:
            yield parse_bullet(number, line[bullet.end() :])
        except MarkdownError as exc:
            yield Unparsable(number, str(exc), certain=labelled)


def visible_lines(text: str) -> list[str]:
    """The document's lines with code blocks and HTML comments blanked (numbering kept), so a
    commented-out or quoted paper line is not imported."""
    lines, fenced, comment = [], False, False
    for line in text.splitlines():
        if _FENCE.match(line) and not comment:
            fenced = not fenced
            lines.append("")
            continue
        if fenced:
            lines.append("")
            continue
        shown = ""
        while line:
            if comment:
                _, closed, line = line.partition("-->")
                comment = not closed
            else:
                before, opened, line = line.partition("<!--")
                shown += before
                comment = bool(opened)
        lines.append(shown)
    return lines


def _table_rows(lines: list[str], start: int) -> tuple[list[tuple[int, str]], int]:
    rows, index = [], start
    while index < len(lines) and lines[index].lstrip().startswith("|"):
        rows.append((index + 1, lines[index]))
        index += 1
    return rows, index


def _table(header_line: int, header: str, rows: list[tuple[int, str]]) -> Iterator[Item]:
    roles = table_roles(split_row(header))
    if "title" not in roles:
        if any("](" in row for _, row in rows):
            yield Unparsable(header_line, "table has links but no 'Title' column; its rows "
                             "were not read", certain=False)
        return
    for number, row in rows:
        cells = split_row(row)
        if not any(cells):
            continue
        try:
            yield parse_row(number, cells, roles)
        except MarkdownError as exc:
            yield Unparsable(number, str(exc), certain=True)
