"""Reading an awesome list: every line that could hold a paper, with its line number.

This module knows Markdown only; it does not know the catalog. :func:`scan` turns a file into
:class:`Heading`, :class:`Entry` (a bullet or table row to give to the format parsers of
:mod:`.formats`) and :class:`Aside` (a line with a link that is not a list entry: prose, a
heading, a line inside a code block) items, so that every line with a link gets an outcome.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .formats import Line, table
from .inline import clean, definitions, links

BOLD_LEVEL = 7  # a line that is only **bold text** acts as a heading below ######
MAX_LINE = 20_000  # characters; longer lines are rejected unread (no list line comes close)

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*)$")
_BULLET = re.compile(r"^[ \t]{0,40}(?:[-*+]|\d{1,4}[.)])[ \t]+")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_LABELLED = re.compile(r"^[ \t]{0,40}\d{4}(?:\.\d{1,2})?[ \t]{0,3}-")


@dataclass(frozen=True)
class Heading:
    line: int
    level: int  # 1-6 for '#'…'######', BOLD_LEVEL for a **bold** line
    text: str

    @property
    def year(self) -> int | None:
        """The year when the heading is only a year (``## 2019``, ``### 2023 Venues``)."""
        match = re.fullmatch(r"((?:19|20)\d\d)(?: venues?)?", self.text.strip(), re.IGNORECASE)
        return int(match.group(1)) if match else None

    @property
    def shown(self) -> str:
        return f"**{self.text}**" if self.level == BOLD_LEVEL else f"{'#' * self.level} {self.text}"


@dataclass(frozen=True)
class Entry:
    """A bullet (``columns`` None) or a table row (``columns``: the header's roles)."""

    line: Line
    columns: dict[str, int] | None = None
    too_long: bool = False


@dataclass(frozen=True)
class Aside:
    """A line with a link that is no list entry; ``reason`` says what it is."""

    line: int
    reason: str
    rejected: bool = False  # looks like a paper line but is not a list item


Item = Heading | Entry | Aside


def _heading_text(raw: str) -> str:
    return clean(re.sub(r"[ \t]#+[ \t]*$", "", raw.strip()))


def _bold_line(line: str) -> str | None:
    text = line.strip().rstrip(":：").strip()
    for mark in ("**", "__"):
        inner = text[len(mark) : -len(mark)] if len(text) > 4 and text.startswith(mark) and \
            text.endswith(mark) else None
        if inner and mark not in inner and "](" not in inner:
            return inner.strip()
    return None


def scan(text: str) -> Iterator[Item]:
    """Headings, entries and asides of a Markdown document, in line order."""
    raw_lines = text.splitlines()
    refs = definitions(raw_lines)
    lines, hidden = visible_lines(raw_lines)
    year: int | None = None
    levels: list[tuple[int, int | None]] = []  # (level, year) of the headings in force
    index = 0
    while index < len(lines):
        line, number = lines[index], index + 1
        index += 1
        if hidden[index - 1]:
            if "](" in raw_lines[index - 1] or "http" in raw_lines[index - 1]:
                yield Aside(number, "inside a code block or HTML comment")
            continue
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            yield Entry(Line(number, line[:200], ()), too_long=True)
            continue
        heading = _HEADING.match(line)
        bold = None if heading else _bold_line(line)
        if heading or bold:
            item = (Heading(number, len(heading.group(1)), _heading_text(heading.group(2)))
                    if heading else Heading(number, BOLD_LEVEL, clean(bold or "")))
            while levels and levels[-1][0] >= item.level:
                levels.pop()
            levels.append((item.level, item.year))
            year = next((y for _, y in reversed(levels) if y is not None), None)
            if heading and links(line, refs):
                yield Aside(number, "a heading, not a list entry")
            yield item
            continue
        bullet = _BULLET.match(line)
        if bullet:
            content = line[bullet.end() :]
            yield Entry(Line(number, content, tuple(links(content, refs)), year))
            continue
        found = tuple(links(line, refs))
        if line.lstrip().startswith("|"):
            if index < len(lines) and table.is_separator(lines[index]):
                columns = table.roles(table.split_row(line))
                if found:
                    yield Aside(number, "a table's header row")
                index += 1
                while index < len(lines) and lines[index].lstrip().startswith("|"):
                    row = lines[index]
                    index += 1
                    row_links = tuple(links(row, refs))
                    if len(row) > MAX_LINE:
                        yield Entry(Line(index, row[:200], ()), too_long=True)
                    elif "title" in columns:
                        yield Entry(Line(index, row, row_links, year), columns)
                    elif row_links:
                        yield Aside(index, "a row of a table without a 'Title' column")
                continue
            if found:
                yield Entry(Line(number, line, found, year), {})
            continue
        if found and _LABELLED.match(line):
            yield Aside(number, "a paper line must be a list item starting with '- '", True)
        elif found:
            yield Aside(number, "prose, not a list entry")


def visible_lines(lines: list[str]) -> tuple[list[str], list[bool]]:
    """The lines with code blocks and HTML comments blanked (numbering kept), and which were
    hidden, so a commented-out or quoted paper line is not imported."""
    shown_lines, hidden, fenced, comment = [], [], False, False
    for line in lines:
        if _FENCE.match(line) and not comment:
            fenced = not fenced
            shown_lines.append("")
            hidden.append(True)
            continue
        if fenced:
            shown_lines.append("")
            hidden.append(True)
            continue
        shown, had_text = "", bool(line.strip())
        while line:
            if comment:
                _, closed, line = line.partition("-->")
                comment = not closed
            else:
                before, opened, line = line.partition("<!--")
                shown += before
                comment = bool(opened)
        shown_lines.append(shown)
        hidden.append(had_text and not shown.strip())
    return shown_lines, hidden
