"""What an import did, line by line: exactly one outcome for every line that carries a link or
looks like an entry. The CLI prints :meth:`ImportReport.summary` or :meth:`ImportReport.as_json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CREATED, MERGED, DUPLICATE = "created", "merged", "duplicate"
CONFLICT, REJECTED, NOT_A_PAPER = "conflict", "rejected", "not-a-paper"
OUTCOMES = (CREATED, MERGED, DUPLICATE, CONFLICT, REJECTED, NOT_A_PAPER)
_HEADINGS = {CREATED: "Created", MERGED: "Merged into an entry",
             DUPLICATE: "Already in the catalog",
             CONFLICT: "Conflicts (fix the list or the catalog, then import again)",
             REJECTED: "Rejected (each says how to fix it)", NOT_A_PAPER: "Not a paper"}


@dataclass
class Outcome:
    line: int
    outcome: str
    id: str | None = None
    reason: str = ""
    title: str | None = None  # the paper's title as the line gives it, when it was read

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "outcome": self.outcome, "id": self.id, "reason": self.reason,
                "title": self.title}


@dataclass
class ImportReport:
    source: str
    dry_run: bool = False
    lines: dict[int, Outcome] = field(default_factory=dict)

    titles: dict[int, str] = field(default_factory=dict, repr=False)  # line -> title read

    def record(self, line: int, outcome: str, entry_id: str | None = None,
               reason: str = "") -> Outcome:
        """Give ``line`` its outcome; a line has exactly one (a second one is a bug)."""
        if line in self.lines:
            raise AssertionError(f"line {line} already has outcome {self.lines[line].outcome}")
        self.lines[line] = found = Outcome(line, outcome, entry_id, reason, self.titles.get(line))
        return found

    def of(self, outcome: str) -> list[Outcome]:
        return [o for _, o in sorted(self.lines.items()) if o.outcome == outcome]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for outcome in self.lines.values():
            counts[outcome.outcome] += 1
        return counts

    @property
    def entries(self) -> int:
        """Lines read as entries: every line with an outcome other than not-a-paper."""
        return sum(1 for o in self.lines.values() if o.outcome != NOT_A_PAPER)

    @property
    def created_ids(self) -> list[str]:
        return [o.id for o in self.of(CREATED) if o.id]

    @property
    def failed(self) -> bool:
        """Exit 1: something rejected or in conflict, or the list yielded no entry at all."""
        counts = self.counts
        return bool(counts[REJECTED] or counts[CONFLICT] or not self.entries)

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "dry_run": self.dry_run, "entries": self.entries,
                "counts": self.counts,
                "lines": [o.as_dict() for _, o in sorted(self.lines.items())]}

    def summary(self) -> str:
        """The outcomes grouped (created, merged, …), each ``file:line: …``, then the totals."""
        at, out = self.source, []
        for outcome in OUTCOMES:
            group = self.of(outcome)
            if not group:
                continue
            out.append(f"{_HEADINGS[outcome]} ({len(group)}):")
            for o in group:
                detail = ": ".join(x for x in (o.id or "", o.reason) if x)
                out.append(f"  {at}:{o.line}: {outcome}" + (f": {detail}" if detail else ""))
        counts = self.counts
        totals = ", ".join(f"{counts[o]} {o}" for o in OUTCOMES)
        tail = " (dry run: nothing written)" if self.dry_run else ""
        if not self.entries:
            out.append(f"{at}: no line was read as an entry: is this an awesome list of papers? "
                       "Supported formats are listed in CONTRIBUTING.md")
        out.append(f"{at}: {self.entries} lines read as entries: {totals}{tail}")
        return "\n".join(out)
