"""``import_markdown``: an awesome list in, validated catalog entries out, and a report.

Order of decisions for each paper line: parse it (:mod:`.markdown`); skip it when the catalog
already holds the paper (same normalised title, arXiv id, OpenReview id or paper URL); place it
(:mod:`.mapping`); merge it into an earlier line of the same file that names the same paper (its
section becomes ``also_in``, new code links are added); resolve its venue through
``venues.yaml``. Entries are validated with the :class:`~zoo.catalog.Paper` model and the cross-file
rules of ``aladin check`` before anything is written, and each file is written atomically, so the
catalog never holds a half entry and still passes ``aladin check`` afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import Catalog, CatalogError, Paper, collect
from ..catalog.ids import normalise_title, paper_id, unique_id
from ..catalog.loader import Checker, paper_files, parse_model, url_key
from ..catalog.writer import dump_paper, write_atomic
from ..catalog.yamlsource import Document
from . import report as rp
from .links import arxiv_id, is_pdf, openreview_id
from .mapping import ImportMapping, Position, Resolver
from .markdown import Heading, Listing, Unparsable, scan

_MARKS = {"o": "oral", "s": "spotlight"}
_NO_LINES: Document = Document({}, {})


class ImporterError(Exception):
    """The import could not start (unreadable list); nothing was written."""


def import_markdown(
    source: Path,
    catalog_root: Path,
    *,
    mapping: ImportMapping | Mapping[str, Position] | None = None,
    added: dt.date | None = None,
    dry_run: bool = False,
) -> rp.ImportReport:
    """Import the awesome list ``source`` into the catalog at ``catalog_root`` (a ``catalog/`` dir).

    ``mapping`` is an :class:`ImportMapping` (see :func:`load_mapping`) or just heading text →
    ``(category, subcategory)``. ``added`` is the entries' ``added`` date (default: today). With
    ``dry_run`` the report is the same but nothing is written.

    Raises :class:`~zoo.catalog.CatalogError` when the catalog is invalid before the import,
    :class:`ImporterError` when ``source`` cannot be read and
    :class:`~zoo.importer.mapping.MappingError` when the mapping names unknown positions.
    """
    catalog, problems = collect(catalog_root)
    if catalog is None:
        raise CatalogError(problems)
    if mapping is None:
        mapping = ImportMapping()
    elif not isinstance(mapping, ImportMapping):
        mapping = ImportMapping(headings=dict(mapping))
    try:
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImporterError(f"{source}: cannot read the list: {exc}") from exc
    report = rp.ImportReport(source=str(source), dry_run=dry_run)
    importer = _Importer(catalog, Resolver(catalog.taxonomy, mapping), report)
    for item in scan(text):
        importer.feed(item)
    papers = importer.finish(added or dt.date.today(), _display_dir(catalog_root))
    if not dry_run:
        for paper in papers:
            write_atomic(catalog_root / "papers" / f"{paper.id}.yaml", dump_paper(paper))
    return report


def _display_dir(catalog_root: Path) -> str:
    return f"{catalog_root.name or 'catalog'}/papers"


@dataclass
class _Open:
    """A heading in force, with the paper lines directly under it (for the unmapped report)."""

    heading: Heading
    position: Position | None
    lines: list[int] = field(default_factory=list)
    placed: bool = False


@dataclass
class _Candidate:
    listing: Listing
    year: int
    venue: str
    presentation: str | None
    positions: list[Position]  # primary first
    code: list[tuple[str, str]]
    defaulted: list[Position]


class _Importer:
    def __init__(self, catalog: Catalog, resolver: Resolver, report: rp.ImportReport) -> None:
        self.catalog = catalog
        self.resolver = resolver
        self.report = report
        self.stack: list[_Open] = []
        self.known: dict[tuple[str, str], str] = {}  # identity key -> catalog id
        for paper in catalog:
            for key in _paper_keys(paper.title, paper.links.paper, paper.links.arxiv,
                                   paper.links.openreview):
                self.known.setdefault(key, paper.id)
        self.candidates: list[_Candidate] = []
        self.seen: dict[tuple[str, str], _Candidate] = {}
        self.unmapped_types: dict[str, rp.Unmapped] = {}
        self.venue_names = {
            name.casefold(): v.id for v in catalog.venue_table.venues for name in (v.id, *v.aliases)
        }
        self.preprint = next(
            (v.id for v in catalog.venue_table.venues if v.kind == "preprint"), None
        )

    # --- structure ---------------------------------------------------------------------------

    def feed(self, item: Heading | Listing | Unparsable) -> None:
        if isinstance(item, Heading):
            self._heading(item)
        elif isinstance(item, Listing):
            self._listing(item)
        elif item.certain or self._context()[0] is not None:
            self.report.problem(item.line, rp.UNPARSED, item.reason)

    def _heading(self, heading: Heading) -> None:
        self._close(heading.level)
        within = self._context()[0]
        position = None
        if heading.year is None:
            position = self.resolver.heading(heading.text, within[0] if within else None)
        self.stack.append(_Open(heading, position))

    def _close(self, level: int) -> None:
        while self.stack and self.stack[-1].heading.level >= level:
            done = self.stack.pop()
            if done.lines and done.position is None:
                self.report.unmapped.append(rp.Unmapped(
                    "heading", done.heading.shown, done.heading.line, tuple(done.lines),
                    done.placed,
                ))

    def _context(self) -> tuple[Position | None, _Open | None, int | None]:
        """Position in force, the innermost unmapped heading above it, and the heading year."""
        position, unmapped, year = None, None, None
        for open_ in reversed(self.stack):
            if open_.heading.year is not None:
                year = year or open_.heading.year
                continue
            if position is None and open_.position is None and unmapped is None:
                unmapped = open_
            position = position or open_.position
        return position, unmapped, year

    # --- papers ------------------------------------------------------------------------------

    def _listing(self, listing: Listing) -> None:
        position, unmapped, heading_year = self._context()
        keys = _paper_keys(listing.title, listing.url, *_ids(listing.url))
        known = next((self.known[k] for k in keys if k in self.known), None)
        if known:
            self.report.skipped.append(rp.Skipped(known, listing.line))
            return
        if unmapped is not None:
            unmapped.lines.append(listing.line)
            unmapped.placed = unmapped.placed or position is not None
        year = listing.year or heading_year
        if year is None:
            self.report.problem(listing.line, rp.UNPARSED, "no year: add a Year column, a year "
                                "in the venue cell or a '## 2019' heading above the table")
            return
        positions = self._positions(listing, position, unmapped)
        if not positions:
            return
        earlier = next((self.seen[k] for k in keys if k in self.seen), None)
        if earlier is not None:
            self._merge(earlier, listing, year, positions)
            return
        venue = self._venue(listing)
        if venue is None:
            return
        candidate = _Candidate(
            listing, year, venue[0], listing.presentation or venue[1],
            [p for p, _ in positions], _unique_code(listing.code),
            [p for p, by_default in positions if by_default],
        )
        self.candidates.append(candidate)
        for key in keys:
            self.seen.setdefault(key, candidate)

    def _positions(
        self, listing: Listing, heading_position: Position | None, unmapped: _Open | None
    ) -> list[tuple[Position, bool]]:
        """The line's taxonomy positions, each with whether the default subcategory filled it."""
        within = heading_position[0] if heading_position else None
        found: list[Position] = []
        for value in listing.types:
            position = self.resolver.type_value(value, within)
            if position is not None:
                found.append(position)
                continue
            record = self.unmapped_types.get(value.casefold())
            lines = (*record.paper_lines, listing.line) if record else (listing.line,)
            self.unmapped_types[value.casefold()] = rp.Unmapped(
                "type", value, lines[0], lines, heading_position is not None
            )
        if not found and heading_position is not None:
            found.append(heading_position)
        if not found:
            where = (f"under the unmapped heading '{unmapped.heading.shown}' (line "
                     f"{unmapped.heading.line})" if unmapped else "before any heading")
            self.report.problem(listing.line, rp.UNPLACED, f"'{listing.title}' is {where}; "
                                "map the heading to a category with --mapping")
            return []
        result: list[tuple[Position, bool]] = []
        for category, sub in dict.fromkeys(found):
            if sub is not None or not self.resolver.needs_subcategory(category):
                result.append(((category, sub), False))
            elif category in self.resolver.defaults:
                result.append(((category, self.resolver.defaults[category]), True))
            else:
                subs = ", ".join(self.resolver.subcategories[category])
                self.report.problem(
                    listing.line, rp.NEEDS_SUBCATEGORY,
                    f"'{category}' has subcategories ({subs}) and the list names none; map the "
                    f"heading to one, or set default_subcategory: {{{category}: …}} (--mapping)",
                )
        return result

    def _venue(self, listing: Listing) -> tuple[str, str | None] | None:
        """Venue id and the oral/spotlight mark of the line; None (reported) if unknown."""
        if listing.venue is None:
            if self.preprint is None:
                self.report.problem(listing.line, rp.UNKNOWN_VENUE, "a line without a venue "
                                    "is a preprint, but venues.yaml has no preprint venue")
            return None if self.preprint is None else (self.preprint, None)
        resolved = self.resolve_venue(listing.venue)
        if resolved is None:
            self.report.problem(listing.line, rp.UNKNOWN_VENUE, f"'{listing.venue}' is not in "
                                "venues.yaml; add it (or an alias) there and import again")
        return resolved

    def resolve_venue(self, written: str) -> tuple[str, str | None] | None:
        """``'NIPS'`` → ``('NeurIPS', None)``; ``'CVPRo'`` → ``('CVPR', 'oral')``."""
        name = " ".join(written.split())
        if name.casefold() in self.venue_names:
            return self.venue_names[name.casefold()], None
        mark = name[-1:]
        if mark in _MARKS and name[:-1].casefold() in self.venue_names:
            return self.venue_names[name[:-1].casefold()], _MARKS[mark]
        return None

    def _merge(
        self, earlier: _Candidate, listing: Listing, year: int,
        positions: list[tuple[Position, bool]],
    ) -> None:
        changes = []
        for position, by_default in positions:
            if position not in earlier.positions:
                earlier.positions.append(position)
                changes.append(f"also in {'/'.join(p for p in position if p)}")
                if by_default:
                    earlier.defaulted.append(position)
        urls = {url for _, url in earlier.code}
        for label, url in _unique_code(listing.code):
            if url not in urls:
                earlier.code.append((label, url))
                changes.append(f"code {url}")
        venue = self.resolve_venue(listing.venue) if listing.venue else (self.preprint, None)
        if year != earlier.year:
            changes.append(f"kept year {earlier.year} (this line says {year})")
        if venue and venue[0] != earlier.venue:
            changes.append(f"kept venue {earlier.venue} (this line says {venue[0]})")
        self.report.merged.append(
            rp.Merged("", listing.line, earlier.listing.line, tuple(changes))  # id set in finish
        )

    # --- entries -----------------------------------------------------------------------------

    def finish(self, added: dt.date, display_dir: str) -> list[Paper]:
        """Validated entries for the candidates; drops (and reports) any that would not pass."""
        self._close(0)
        self.report.unmapped.extend(self.unmapped_types.values())
        taken = {p.id for p in self.catalog} | {f.stem for f in paper_files(self.catalog.root)}
        built: list[tuple[_Candidate, Paper]] = []
        for candidate in self.candidates:
            listing = candidate.listing
            entry_id = unique_id(paper_id(candidate.year, candidate.venue, listing.title), taken)
            taken.add(entry_id)
            display = f"{display_dir}/{entry_id}.yaml"
            paper, problems = parse_model(Paper, Document(_entry(candidate, entry_id, added), {}),
                                          display)
            if paper is None:
                self._invalid(listing.line, problems)
            else:
                built.append((candidate, paper))
        built = self._check(built, display_dir)
        ids = {c.listing.line: p.id for c, p in built}
        merged, self.report.merged = self.report.merged, []
        for m in merged:
            if m.first_line in ids:
                self.report.merged.append(rp.Merged(ids[m.first_line], *astuple(m)[1:]))
            else:
                self.report.problem(m.line, rp.INVALID, f"same paper as line {m.first_line}, "
                                    "which was not imported")
        for candidate, paper in built:
            line = candidate.listing.line
            self.report.created.append(rp.Created(paper.id, line, f"{display_dir}/{paper.id}.yaml"))
            self.report.defaulted += [rp.Defaulted(paper.id, line, c, s or "")
                                      for c, s in candidate.defaulted]
        return [paper for _, paper in built]

    def _check(
        self, built: list[tuple[_Candidate, Paper]], display_dir: str
    ) -> list[tuple[_Candidate, Paper]]:
        """The cross-file rules of ``aladin check`` over the catalog plus the new entries."""
        checker = Checker(self.catalog.taxonomy, self.catalog.venue_table)
        entries = [(p, _NO_LINES, self.catalog.sources[p.id]) for p in self.catalog]
        for _, paper in built:
            display = f"{display_dir}/{paper.id}.yaml"
            checker.paper(paper, _NO_LINES, Path(display), display)
            entries.append((paper, _NO_LINES, display))
        checker.duplicates(entries)
        bad: dict[str, list] = {}
        for problem in checker.problems:
            bad.setdefault(problem.path, []).append(problem)
        kept = []
        for candidate, paper in built:
            problems = bad.get(f"{display_dir}/{paper.id}.yaml")
            if problems:
                self._invalid(candidate.listing.line, problems)
            else:
                kept.append((candidate, paper))
        return kept

    def _invalid(self, line: int, problems: list) -> None:
        for problem in problems:
            self.report.problem(line, rp.INVALID, f"{problem.field}: {problem.message}")


def _ids(url: str | None) -> tuple[str | None, str | None]:
    return (arxiv_id(url), openreview_id(url)) if url else (None, None)


def _paper_keys(
    title: str, url: str | None, arxiv: str | None, openreview: str | None
) -> list[tuple[str, str]]:
    """What makes two mentions the same paper (as ``aladin check``'s duplicate rule sees it)."""
    keys = [("title", normalise_title(title))]
    keys += [("arxiv", arxiv)] if arxiv else []
    keys += [("openreview", openreview)] if openreview else []
    keys += [("url", url_key(url))] if url else []
    return keys


def _unique_code(code: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    return list({url: (label, url) for label, url in reversed(code)}.values())[::-1]


def _entry(candidate: _Candidate, entry_id: str, added: dt.date) -> dict[str, Any]:
    """The entry's data, in the model's field names; empty values left out."""
    listing = candidate.listing
    (category, sub), *also = candidate.positions
    links: dict[str, str] = {}
    if listing.url:
        arxiv, openreview = _ids(listing.url)
        links = {"paper": listing.url, "arxiv": arxiv, "openreview": openreview,
                 "pdf": listing.url if is_pdf(listing.url) else None}
    note = None
    if candidate.defaulted:
        places = ", ".join(f"'{s}' for '{c}'" for c, s in candidate.defaulted)
        note = (f"Imported from a list section that names no subcategory; {places} is the "
                "import's configured default, not a verified classification.")
    data = {
        "id": entry_id,
        "title": listing.title,
        "year": candidate.year,
        "month": listing.month,
        "venue": candidate.venue,
        "presentation": candidate.presentation,
        "category": category,
        "subcategory": sub,
        "also_in": [{"category": c, "subcategory": s} for c, s in also],
        "links": {k: v for k, v in links.items() if v},
        "code": [{"url": url, "label": label} for label, url in candidate.code],
        "note": note,
        "added": added,
    }
    return {k: v for k, v in data.items() if v not in (None, [], {})}
