"""What an import did, line by line: the CLI prints :meth:`ImportReport.summary`."""

from __future__ import annotations

from dataclasses import dataclass, field

# Kinds of LineProblem: each means the line's paper (or its extra section) was not imported.
UNPARSED = "cannot parse"
UNKNOWN_VENUE = "unknown venue"
NEEDS_SUBCATEGORY = "needs a subcategory"
UNPLACED = "no category"
INVALID = "invalid entry"


@dataclass(frozen=True, order=True)
class LineProblem:
    line: int
    kind: str
    message: str
    source: str = field(compare=False)

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class Created:
    id: str
    line: int
    path: str  # where the entry was (or, in a dry run, would be) written


@dataclass(frozen=True)
class Merged:
    """A later line naming a paper already taken from an earlier line of the same file."""

    id: str
    line: int
    first_line: int
    changes: tuple[str, ...]  # e.g. "also in architecture/nas", "code https://…"


@dataclass(frozen=True)
class Skipped:
    """A line whose paper the catalog already holds."""

    id: str
    line: int


@dataclass(frozen=True)
class Defaulted:
    """An entry placed in the configured default subcategory of a section without one."""

    id: str
    line: int
    category: str
    subcategory: str


@dataclass(frozen=True)
class Unmapped:
    """A heading (or a table Type value) that names no taxonomy position but holds papers."""

    kind: str  # "heading" or "type"
    text: str
    line: int  # of the heading; of the first row for a type value
    paper_lines: tuple[int, ...]
    placed: bool  # True: the papers went to an enclosing section's position instead


@dataclass
class ImportReport:
    source: str
    dry_run: bool = False
    created: list[Created] = field(default_factory=list)
    merged: list[Merged] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    defaulted: list[Defaulted] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)

    @property
    def created_ids(self) -> list[str]:
        return [c.id for c in self.created]

    def of_kind(self, kind: str) -> list[LineProblem]:
        return sorted(p for p in self.problems if p.kind == kind)

    @property
    def unparsed(self) -> list[LineProblem]:
        return self.of_kind(UNPARSED)

    @property
    def unknown_venues(self) -> list[LineProblem]:
        return self.of_kind(UNKNOWN_VENUE)

    @property
    def needs_subcategory(self) -> list[LineProblem]:
        return self.of_kind(NEEDS_SUBCATEGORY)

    @property
    def failed(self) -> bool:
        """True when some line was not imported for a reason other than being a known paper."""
        return bool(self.problems)

    def problem(self, line: int, kind: str, message: str) -> None:
        self.problems.append(LineProblem(line, kind, message, self.source))

    def summary(self) -> str:
        """Every outcome as ``file:line: …`` in line order, then one line of totals."""
        at = self.source
        verb = "would create" if self.dry_run else "created"
        rows: list[tuple[int, str]] = [(c.line, f"{at}:{c.line}: {verb} {c.path}")
                                       for c in self.created]
        rows += [(m.line, f"{at}:{m.line}: merged into {m.id} (first listed on line "
                  f"{m.first_line})" + (f": {'; '.join(m.changes)}" if m.changes else ""))
                 for m in self.merged]
        rows += [(s.line, f"{at}:{s.line}: skipped: already in the catalog as {s.id}")
                 for s in self.skipped]
        rows += [(d.line, f"{at}:{d.line}: {d.id}: subcategory '{d.subcategory}' is the "
                  f"configured default for '{d.category}' (the list gives none); review it")
                 for d in self.defaulted]
        rows += [(u.line, f"{at}:{u.line}: unmapped {u.kind} '{u.text}' holding "
                  f"{_count(len(u.paper_lines), 'paper line')}: "
                  + ("placed in the enclosing section" if u.placed else "not imported")
                  + "; map it in a --mapping file") for u in self.unmapped]
        rows += [(p.line, str(p)) for p in self.problems]
        rows.sort(key=lambda row: row[0])
        totals = [
            f"{len(self.created)} {'to create' if self.dry_run else 'created'}",
            f"{len(self.merged)} merged",
            f"{len(self.skipped)} already in the catalog",
        ]
        if self.defaulted:
            totals.append(f"{len(self.defaulted)} given a default subcategory")
        totals.append(_count(len(self.problems), "line") + " not imported")
        tail = " (dry run: nothing written)" if self.dry_run else ""
        return "\n".join([*(text for _, text in rows), f"{at}: " + ", ".join(totals) + tail])


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"
