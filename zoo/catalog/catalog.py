"""The validated catalog: immutable papers plus the taxonomy and venues, with the queries that
every publication (README, website, exports) shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .models import Category, Paper, Subcategory, Taxonomy, Venue, Venues


def reading_order(paper: Paper) -> tuple:
    """The documented order of papers within a section: newest year first, then by title."""
    return (-paper.year, -(paper.month or 0), paper.title.casefold(), paper.id)


@dataclass(frozen=True)
class Catalog:
    root: Path
    taxonomy: Taxonomy
    venue_table: Venues
    papers: tuple[Paper, ...]
    sources: dict[str, str] = field(repr=False)  # paper id -> file, as shown to users
    _by_id: dict[str, Paper] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {p.id: p for p in self.papers})

    def __len__(self) -> int:
        return len(self.papers)

    def __iter__(self):
        return iter(self.papers)

    def __contains__(self, paper_id: object) -> bool:
        return paper_id in self._by_id

    def paper(self, paper_id: str) -> Paper:
        return self._by_id[paper_id]

    @property
    def categories(self) -> list[Category]:
        return self.taxonomy.categories

    def category(self, category_id: str) -> Category:
        return next(c for c in self.categories if c.id == category_id)

    def subcategory(self, category_id: str, sub_id: str) -> Subcategory:
        return next(s for s in self.category(category_id).subcategories if s.id == sub_id)

    def venue(self, venue_id: str) -> Venue:
        return next(v for v in self.venue_table.venues if v.id == venue_id)

    def section(self, category_id: str, sub_id: str | None = None) -> list[Paper]:
        """Papers listed under a category (any subcategory when ``sub_id`` is None)."""
        return sorted(
            (
                p
                for p in self.papers
                if any(
                    pl.category == category_id and sub_id in (None, pl.subcategory)
                    for pl in p.placements
                )
            ),
            key=reading_order,
        )

    def label(self, paper: Paper) -> str:
        """The awesome-list label: ``2019-CVPRo`` (o = oral, s = spotlight); ``2019.09`` for a
        preprint, which has no venue to show."""
        venue = self.venue(paper.venue)
        if venue.kind == "preprint":
            return f"{paper.year}.{paper.month:02d}" if paper.month else str(paper.year)
        mark = {"oral": "o", "spotlight": "s"}.get(paper.presentation or "", "")
        return f"{paper.year}-{venue.id}{mark}"

    def newest(self, count: int = 10) -> list[Paper]:
        """Most recently added papers, newest first."""
        return sorted(self.papers, key=lambda p: (p.added, p.id), reverse=True)[:count]
