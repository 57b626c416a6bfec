"""Reading one YAML file into plain data while remembering the line of every key.

PyYAML's C parser emits events with marks; building the data from them ourselves (instead of
``yaml.safe_load``) lets us keep line numbers, refuse anchors/aliases and duplicate keys, and
leave every scalar as the text the author wrote (``arxiv: 1811.00250`` must not become a float
that drops its trailing zero). Pydantic then converts the text to each field's type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .problems import Problem

MAX_BYTES = 256 * 1024  # an entry is a few hundred bytes; anything this big is a mistake
MAX_DEPTH = 32  # an entry nests three levels; deeper is a mistake (and recursion has limits)
Path_ = tuple[str | int, ...]
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Document:
    """The data of one file and the 1-based line of each key or list item in it."""

    data: Any
    lines: dict[Path_, int]

    def line_of(self, path: Path_) -> int:
        """Line of ``path``, or of its nearest ancestor that exists (for missing keys)."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


class _Builder:
    def __init__(self, events: Iterator[yaml.Event], display: str) -> None:
        self.events = events
        self.display = display
        self.lines: dict[Path_, int] = {}
        self.problems: list[Problem] = []

    def problem(self, event: yaml.Event, field: str, message: str) -> None:
        self.problems.append(Problem(self.display, event.start_mark.line + 1, field, message))

    def value(self, event: yaml.Event, path: Path_) -> Any:
        field = dotted(path) or "-"
        if isinstance(event, yaml.AliasEvent):
            self.problem(event, field, f"YAML aliases are not allowed (*{event.anchor}); "
                         "write the value out")
            return None
        if event.anchor:
            self.problem(event, field, f"YAML anchors are not allowed (&{event.anchor}); "
                         "write the value out")
        if len(path) >= MAX_DEPTH and not isinstance(event, yaml.ScalarEvent):
            self.problem(event, dotted(path[:1]), f"nested more than {MAX_DEPTH} levels deep")
            self.skip()
            return None
        if isinstance(event, yaml.ScalarEvent):
            plain = event.implicit[0] and event.style is None
            return None if plain and event.value in _NULLS else event.value
        if isinstance(event, yaml.SequenceStartEvent):
            items = []
            while not isinstance(event := next(self.events), yaml.SequenceEndEvent):
                self.lines[(*path, len(items))] = event.start_mark.line + 1
                items.append(self.value(event, (*path, len(items))))
            return items
        mapping: dict[str, Any] = {}  # a MappingStartEvent
        while not isinstance(key := next(self.events), yaml.MappingEndEvent):
            name = self.value(key, path)
            if not isinstance(key, yaml.ScalarEvent) or name is None:
                self.problem(key, field, "keys must be plain names")
                self.value(next(self.events), path)
                continue
            if name in mapping:
                self.problem(key, dotted((*path, name)), "duplicate key")
            self.lines[(*path, name)] = key.start_mark.line + 1
            mapping[name] = self.value(next(self.events), (*path, name))
        return mapping


    def skip(self) -> None:
        """Consume the rest of the collection just started, without recursing into it."""
        depth = 1
        while depth:
            event = next(self.events)
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1


def dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text




def yaml_error(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """PyYAML's multi-line report as ``(1-based line, one-line reason)``."""
    mark = exc.problem_mark or exc.context_mark
    return (mark.line + 1 if mark else 1), (exc.problem or exc.context or "invalid YAML")


def read_text(path: Path, display: str) -> tuple[str | None, list[Problem]]:
    """The file's text, or the problems that stop it from being read as YAML at all."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        return None, [Problem(display, 1, "-", f"file is too large ({size:,} bytes; "
                              f"an entry must stay under {MAX_BYTES:,})")]
    raw = path.read_bytes()
    if b"\0" in raw:
        return None, [Problem(display, 1, "-", "binary file, expected YAML text")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(display, line, "-", f"not UTF-8 text (byte 0x{raw[exc.start]:02x})")]
    problems = [
        Problem(display, n, "-", "tab character; indent YAML with spaces")
        for n, line in enumerate(text.splitlines(), 1)
        if "\t" in line
    ]
    return (None if problems else text), problems


def read_document(path: Path, display: str) -> tuple[Document | None, list[Problem]]:
    """Parse ``path`` (shown to users as ``display``) into a :class:`Document` of a mapping."""
    text, problems = read_text(path, display)
    if text is None:
        return None, problems
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        return None, [Problem(display, 1, "-", "empty file, expected a mapping of fields")]
    builder = _Builder(yaml.parse(text, Loader=_Parser), display)
    try:
        next(builder.events)  # StreamStart
        start = next(builder.events)  # DocumentStart
        first = next(builder.events)
        data = builder.value(first, ())
        next(builder.events)  # DocumentEnd
        if not isinstance(extra := next(builder.events), yaml.StreamEndEvent):
            builder.problem(extra, "-", "several YAML documents in one file, expected one")
    except yaml.MarkedYAMLError as exc:
        line, reason = yaml_error(exc)
        return None, [Problem(display, line, "-", f"invalid YAML: {reason}")]
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        builder.problem(start, "-", f"expected a mapping of fields, found {kind}")
        return None, builder.problems
    return Document(data, builder.lines), builder.problems
