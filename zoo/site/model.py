"""What the website shows, computed once per build from the catalog and the zoo registry.

Every grouping a page needs (sections of the taxonomy, venues, years, related papers) is built in
one pass over the papers here, so rendering 10,000 pages stays linear. GitHub facts about code
repositories (stars, archived, last push) come from ``aladin enrich``'s generated file, read once
per build. Paths follow one scheme,
kept in this module only: ``papers/<id>.md``, ``categories/<cat>/index.md``,
``categories/<cat>/<sub>.md``, ``venues/<venue>.md``, ``years/<year>.md``, ``api/<method>.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlsplit

from ..catalog import Catalog, Paper, reading_order
from ..catalog.models import Category, Subcategory, Venue
from ..network.enrichment import RepoInfo, load_enrichment
from ..registry import MethodRecord

RELATED_COUNT = 5  # neighbours in reading order shown under "Related papers"


def is_http_url(url: str | None) -> bool:
    """True for absolute http(s) URLs: the only links the site ever emits for catalog data."""
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def paper_uri(paper_id: str) -> str:
    return f"papers/{paper_id}.md"


def category_uri(category: str, sub: str | None = None) -> str:
    return f"categories/{category}/{sub}.md" if sub else f"categories/{category}/index.md"


def venue_uri(venue_id: str) -> str:
    return f"venues/{venue_id.lower()}.md"


def year_uri(year: int) -> str:
    return f"years/{year}.md"


def method_uri(name: str) -> str:
    return f"api/{name}.md"


@dataclass(frozen=True)
class Section:
    """A taxonomy position and its papers in reading order."""

    category: Category
    sub: Subcategory | None
    papers: tuple[Paper, ...]

    @property
    def uri(self) -> str:
        return category_uri(self.category.id, self.sub.id if self.sub else None)

    @property
    def node(self) -> Category | Subcategory:
        return self.sub or self.category


@dataclass(frozen=True)
class SiteModel:
    """The catalog joined with the zoo registry, grouped the ways the pages list papers."""

    catalog: Catalog
    methods_by_paper: Mapping[str, Sequence[MethodRecord]]
    repo_url: str = ""
    branch: str = "main"
    # GitHub data by code URL; None reads the catalog's enrichment file (absent file: none).
    repos: Mapping[str, RepoInfo] | None = None
    _groups: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.repos is None:
            # Read here, not lazily: a malformed file fails the build before any page is drawn.
            object.__setattr__(self, "repos", load_enrichment(self.catalog.root))
        # Only implementations of papers this catalog holds (a synthetic catalog has few or none).
        known = {k: tuple(v) for k, v in self.methods_by_paper.items() if k in self.catalog}
        object.__setattr__(self, "methods_by_paper", known)
        groups: dict[tuple[str, str | None], list[Paper]] = defaultdict(list)
        for paper in self.catalog.papers:
            seen: set[tuple[str, str | None]] = set()
            for place in paper.placements:
                for key in ((place.category, None), (place.category, place.subcategory)):
                    if key not in seen:
                        seen.add(key)
                        groups[key].append(paper)
        for papers in groups.values():
            papers.sort(key=reading_order)
        object.__setattr__(self, "_groups", dict(groups))

    # --- taxonomy ------------------------------------------------------------------------------

    def section(self, category: str, sub: str | None = None) -> Section:
        cat = self.catalog.category(category)
        node = self.catalog.subcategory(category, sub) if sub else None
        return Section(cat, node, tuple(self._groups.get((category, sub), ())))

    @cached_property
    def sections(self) -> list[Section]:
        """Every category followed by its subcategories, in taxonomy order."""
        out = []
        for cat in self.catalog.categories:
            out.append(self.section(cat.id))
            out += [self.section(cat.id, sub.id) for sub in cat.subcategories]
        return out

    def names(self, paper: Paper) -> list[tuple[Category, Subcategory | None]]:
        """The taxonomy nodes of every placement of ``paper``."""
        return [
            (
                self.catalog.category(p.category),
                self.catalog.subcategory(p.category, p.subcategory) if p.subcategory else None,
            )
            for p in paper.placements
        ]

    def related(self, paper: Paper, count: int = RELATED_COUNT) -> list[Paper]:
        """Papers of the same (primary) subcategory nearest to ``paper`` in reading order."""
        group = self._groups.get((paper.category, paper.subcategory), [])
        index = self._position[paper.id]
        lo = max(0, min(index - count // 2, len(group) - count - 1))
        return [p for p in group[lo : lo + count + 1] if p.id != paper.id][:count]

    @cached_property
    def _position(self) -> dict[str, int]:
        return {
            p.id: i
            for (cat, sub), group in self._groups.items()
            for i, p in enumerate(group)
            if (cat, sub) == (p.category, p.subcategory)
        }

    # --- venues and years ----------------------------------------------------------------------

    @cached_property
    def by_venue(self) -> list[tuple[Venue, list[Paper]]]:
        """Venues in the order of venues.yaml that have at least one paper."""
        index: dict[str, list[Paper]] = defaultdict(list)
        for paper in self.catalog.papers:
            index[paper.venue].append(paper)
        return [
            (v, sorted(index[v.id], key=reading_order))
            for v in self.catalog.venue_table.venues
            if index.get(v.id)
        ]

    @cached_property
    def by_year(self) -> list[tuple[int, list[Paper]]]:
        """Years with papers, newest first."""
        index: dict[int, list[Paper]] = defaultdict(list)
        for paper in self.catalog.papers:
            index[paper.year].append(paper)
        return [(y, sorted(index[y], key=reading_order)) for y in sorted(index, reverse=True)]

    # --- the zoo -------------------------------------------------------------------------------

    def methods(self, paper: Paper) -> Sequence[MethodRecord]:
        return self.methods_by_paper.get(paper.id, ())

    @cached_property
    def all_methods(self) -> list[MethodRecord]:
        return sorted(
            (m for group in self.methods_by_paper.values() for m in group),
            key=lambda m: (m.category, m.subcategory or "", m.name),
        )

    # --- GitHub data of code repositories ------------------------------------------------------

    def repo(self, url: str) -> RepoInfo | None:
        """What ``aladin enrich`` recorded for the code URL ``url`` (as written in the entry)."""
        return self.repos.get(url)

    def top_repo(self, paper: Paper) -> RepoInfo | None:
        """The most-starred enriched repository of ``paper``: the one the explorer sorts by."""
        infos = [self.repos[c.url] for c in paper.code if c.url in self.repos]
        return max(infos, key=lambda info: info.stars, default=None)

    @staticmethod
    def repo_flag(info: RepoInfo) -> str:
        """``archived``, ``stale`` (no push for two years) or ``""``: a CSS modifier and a word."""
        return "archived" if info.archived else "stale" if info.stale else ""

    # --- links into the repository -------------------------------------------------------------

    def repo_link(self, kind: str, path: str, line: int | None = None) -> str | None:
        """``blob`` or ``edit`` URL of a repository file; None without an http(s) repo_url."""
        if not is_http_url(self.repo_url):
            return None
        anchor = f"#L{line}" if line else ""
        return f"{self.repo_url.rstrip('/')}/{kind}/{self.branch}/{path}{anchor}"

    def entry_path(self, paper: Paper) -> str:
        """The entry file as a repository path (``catalog/papers/<id>.yaml``)."""
        source = self.catalog.sources.get(paper.id, "")
        return source if source.startswith("catalog/") else f"catalog/papers/{paper.id}.yaml"

    # --- counts for the home page --------------------------------------------------------------

    @cached_property
    def with_code(self) -> int:
        return sum(1 for p in self.catalog.papers if p.code)
