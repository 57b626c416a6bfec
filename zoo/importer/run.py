"""``import_markdown``: an awesome list in, catalog entries out, and one outcome per line.

The loop (:class:`_Importer`) gives every line that carries a link or looks like an entry exactly
one outcome, in this order of decisions:

1. the section it is under may say ``not-a-paper`` or ``reject: reason`` (the mapping file);
2. a format parser (:mod:`.formats`) reads it, or says why not (``rejected``, ``not-a-paper``);
3. the catalog may already hold the paper (:mod:`zoo.catalog.identity`): ``duplicate``, or
   ``merged`` when the line adds a missing field — a list never overwrites an entry's facts;
   the same link on a different title is a ``conflict``, never a merge;
4. its venue is resolved through ``venues.yaml`` (unknown: ``rejected`` naming it);
5. it is placed in the taxonomy (heading, table Type, or keyword classifier: ``review``);
6. an earlier line of the same list may name the same paper: ``merged`` (a preprint and its
   published version become one entry with the published venue and year, arXiv id kept);
   otherwise ``created``.

Entries are validated with the :class:`~zoo.catalog.Paper` model and the cross-file rules of
``aladin check`` before anything is written; each file is written atomically, so a killed import
leaves whole entries only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import Catalog, CatalogError, Paper, collect
from ..catalog.identity import Index, Mention, doi
from ..catalog.ids import paper_id
from ..catalog.keywords import KeywordRules, classify, load_keywords, review_note
from ..catalog.loader import Checker, paper_files, parse_model
from ..catalog.writer import dump_paper, write_atomic
from ..catalog.yamlsource import Document
from . import report as rp
from .formats import BULLET_FORMATS, Listing, Malformed, NotAPaper, table
from .links import Typed, arxiv_id, is_pdf, openreview_id, venue_from_url
from .mapping import CLASSIFY, NOT_A_PAPER, REJECT, ImportMapping, Position, Resolver, Section
from .markdown import MAX_LINE, Aside, Entry, Heading, scan

_MARKS = {"o": "oral", "s": "spotlight", "b": "best", "w": "workshop"}
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
    provenance: tuple[str, str] | None = None,
) -> rp.ImportReport:
    """Import the awesome list ``source`` into the catalog at ``catalog_root`` (a ``catalog/`` dir).

    ``mapping`` is an :class:`ImportMapping` (see :func:`load_mapping`) or just heading text →
    ``(category, subcategory)``. ``provenance`` is ``(owner/repo, commit)`` of the list (default:
    the mapping's ``list`` and ``commit``); created entries record it with their line in
    ``sources``. With ``dry_run`` the report is the same but nothing is written.

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
    if provenance is None and mapping.list and mapping.commit:
        provenance = (mapping.list, mapping.commit)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImporterError(f"{source}: cannot read the list: {exc}") from exc
    report = rp.ImportReport(source=str(source), dry_run=dry_run)
    importer = _Importer(catalog, Resolver(catalog.taxonomy, mapping), report, provenance)
    for item in scan(text):
        importer.feed(item)
    writes, removals = importer.finish(added or dt.date.today(), _display_dir(catalog_root))
    if not dry_run:
        papers_dir = catalog_root / "papers"
        for paper in writes:
            write_atomic(papers_dir / f"{paper.id}.yaml", dump_paper(paper))
        for old in removals:  # a preprint entry renamed to its published id, written above
            (papers_dir / f"{old}.yaml").unlink(missing_ok=True)
    return report


def _display_dir(catalog_root: Path) -> str:
    return f"{catalog_root.name or 'catalog'}/papers"


@dataclass
class _Candidate:
    """A paper to create (``existing`` None) or a catalog entry to extend."""

    data: dict[str, Any]  # the entry in the model's field names (no id yet for new ones)
    line: int
    existing: Paper | None = None
    changes: list[str] = field(default_factory=list)
    merged_lines: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    entry_id: str | None = None


class _IdAllocator:
    """Ids by the catalog rule with ``-2``, ``-3``… on collision, in constant time per id (a
    counter per base, not a scan), so 10,000 titles sharing their first words stay linear."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.next: dict[str, int] = {}

    def __call__(self, base: str) -> str:
        candidate, n = base, self.next.get(base, 1)
        if n > 1:
            candidate = f"{base}-{n}"
        while candidate in self.taken:
            n += 1
            candidate = f"{base}-{n}"
        self.next[base] = n + 1
        self.taken.add(candidate)
        return candidate


class _Importer:
    def __init__(self, catalog: Catalog, resolver: Resolver, report: rp.ImportReport,
                 provenance: tuple[str, str] | None) -> None:
        self.catalog = catalog
        self.resolver = resolver
        self.report = report
        self.provenance = provenance
        self.stack: list[tuple[Heading, Section | None]] = []
        self.known: Index[_Candidate] = Index()  # the catalog's entries
        self.extended: dict[str, _Candidate] = {}
        for paper in catalog:
            self.known.add(_mention(paper.title, paper.links.paper, paper.links.arxiv,
                                    paper.links.openreview),
                           _Candidate(_data_of(paper), 0, existing=paper),
                           [paper.links.paper] if paper.links.paper else [])
        self.rules: KeywordRules | None = None
        self.seen: Index[_Candidate] = Index()  # papers created by this import
        self.created: list[_Candidate] = []
        self.venue_names = {
            name.casefold(): v.id for v in catalog.venue_table.venues for name in (v.id, *v.aliases)
        }
        self.kinds = {v.id: v.kind for v in catalog.venue_table.venues}
        self.preprint = next(
            (v.id for v in catalog.venue_table.venues if v.kind == "preprint"), None
        )

    # --- structure ---------------------------------------------------------------------------

    def feed(self, item: Heading | Entry | Aside) -> None:
        if isinstance(item, Heading):
            while self.stack and self.stack[-1][0].level >= item.level:
                self.stack.pop()
            within = self._section()
            category = within.position[0] if within and within.position else None
            section = None if item.year is not None else self.resolver.section(item.text, category)
            self.stack.append((item, section))
        elif isinstance(item, Aside):
            self.report.record(item.line, rp.REJECTED if item.rejected else rp.NOT_A_PAPER,
                               reason=item.reason)
        else:
            self._entry(item)

    def _section(self) -> Section | None:
        return next((s for _, s in reversed(self.stack) if s is not None), None)

    def _heading(self) -> str:
        named = [h for h, _ in self.stack if h.year is None]
        return f"'{named[-1].shown}' (line {named[-1].line})" if named else "no heading"

    # --- one line ----------------------------------------------------------------------------

    def _entry(self, entry: Entry) -> None:
        number = entry.line.number
        if entry.too_long:
            self.report.record(number, rp.REJECTED, reason=f"line longer than {MAX_LINE:,} "
                               "characters; not read (split it or fix the list)")
            return
        if entry.columns == {}:
            self.report.record(number, rp.REJECTED, reason="table row outside a table (no header "
                               "and '|---|' separator above it)")
            return
        section = self._section()
        if section is not None and section.kind == NOT_A_PAPER:
            if entry.line.links:
                self.report.record(number, rp.NOT_A_PAPER, reason=f"under {self._heading()}, "
                                   "mapped not-a-paper")
            return
        try:
            listing = self._parse(entry)
        except Malformed as exc:
            self.report.record(number, rp.REJECTED, reason=str(exc))
            return
        except NotAPaper as exc:
            self.report.record(number, rp.NOT_A_PAPER, reason=str(exc))
            return
        if listing is None:
            return
        if section is not None and section.kind == REJECT:
            self.report.record(number, rp.REJECTED, reason=f"{section.reason} (under "
                               f"{self._heading()}, mapped 'reject')")
            return
        self._listing(listing, section)

    def _parse(self, entry: Entry) -> Listing | None:
        line = entry.line
        if entry.columns is not None:
            return table.parse(line, entry.columns)
        for fmt in BULLET_FORMATS:
            listing = fmt.parse(line)
            if listing is not None:
                return listing
        if not line.links:
            return None  # a bullet without a link: contents, prose
        if all(k.url.startswith("#") for k in line.links):
            raise NotAPaper("a table-of-contents entry")
        if all(k.image for k in line.links):
            raise NotAPaper("a badge")
        raise Malformed("not in a list format the importer reads (see CONTRIBUTING.md, "
                        "'Importing a list'): expected e.g. '- 2019-CVPR-[Title](link)', "
                        "'- [[CVPR](link)] Title' or '- [Title](link), Authors, 2019'")

    def _listing(self, listing: Listing, section: Section | None) -> None:
        number = listing.line
        self.report.titles[number] = listing.title
        mention = _mention(listing.title, listing.url, _arxiv_of(listing))
        known = self.known.find(mention)
        clash = None if known or self.seen.find(mention) else (
            self.known.clash(mention, listing.url) or self.seen.clash(mention, listing.url))
        if clash:
            what, title, other = clash
            where = other.existing.id if other.existing else f"line {other.line}"
            self.report.record(number, rp.CONFLICT, reason=f"same {what} as {where} ('{title}') "
                               f"but a different title: two papers cannot share one {what}; fix "
                               "the link in the list")
            return
        venue = self._venue(listing, report=known is None)
        if known is not None:
            self._extend(known, listing, venue)
            return
        if venue is None:
            return
        positions = self._positions(listing, section)
        if positions is None:
            return
        earlier = self.seen.find(mention)
        if earlier is not None:
            self._merge(earlier, listing, venue, positions)
            return
        candidate = _Candidate(self._data(listing, venue, positions), number)
        self.created.append(candidate)
        self.seen.add(mention, candidate, [listing.url] if listing.url else [])

    # --- venue and place ---------------------------------------------------------------------

    def _venue(self, listing: Listing, *, report: bool = True) -> dict[str, Any] | None:
        """Venue id, presentation, award and workshop note of the line; None (reported when
        ``report``) if unknown."""
        marks = {"presentation": listing.presentation, "award": listing.award}
        workshop = listing.workshop
        written = " ".join((listing.venue or "").split())
        if not written and (from_link := venue_from_url(listing.url)):
            written = from_link
            marks["note"] = "Venue read from the proceedings link; the list names none."
        if not written:
            if (listing.preprint or _arxiv_of(listing)) and self.preprint:
                return {"venue": self.preprint, **marks}
            if report:
                self.report.record(listing.line, rp.REJECTED, reason="no venue: the list names "
                                   "none for this paper; add it to the line (e.g. ', NeurIPS "
                                   "2019')")
            return None
        venue = self._lookup(written)
        if venue is None and len(written) > 2 and written[-1] in _MARKS:
            base = self.venue_names.get(written[:-1].casefold())
            mark = _MARKS[written[-1]]
            if base is not None:
                venue = base
                if mark in ("oral", "spotlight"):
                    marks["presentation"] = marks["presentation"] or mark
                elif mark == "best":
                    marks["award"] = marks["award"] or "Best Paper"
                else:
                    workshop = True
        if venue is None and "-" in written:  # '2017-CVPR-ResNeXt-[…]': a name after the venue
            venue = self.venue_names.get(written.split("-")[0].strip().casefold())
        if venue is None and listing.month and self.preprint:  # '2016.07-IHT-[…]': a preprint
            venue = self.preprint
        if venue is None and workshop:
            first = written.split()[0]
            venue = self.venue_names.get(f"{first}W".casefold())
            workshop = venue is None
        if venue is None:
            if report:
                self.report.record(listing.line, rp.REJECTED, reason=f"venue '{written}' is not "
                                   "in catalog/venues.yaml; add it (id, name, kind) or an alias "
                                   "there and import again")
            return None
        if workshop and self.kinds.get(venue) != "workshop":
            workshop_venue = self.venue_names.get(f"{venue}W".casefold())
            if workshop_venue:
                venue = workshop_venue
            else:
                marks["note"] = f"The list marks it as a workshop paper ({written})."

        if self.kinds.get(venue) == "preprint":
            marks = {"presentation": None, "award": None}
        return {"venue": venue, **marks}

    def _lookup(self, written: str) -> str | None:
        """The venue id of a name or alias, with or without a final abbreviation dot."""
        name = written.casefold()
        return next((self.venue_names[n] for n in (name, name.rstrip("."), f"{name}.")
                     if n in self.venue_names), None)

    def _positions(self, listing: Listing, section: Section | None) -> list[dict] | None:
        """Placements (category, subcategory[, default/review]) or None (reported)."""
        within = section.position[0] if section and section.position else None
        typed = [(v, self.resolver.type_value(v, within)) for v in listing.types]
        unmapped = [value for value, found in typed if found is None]
        sections = [found for _, found in typed if found is not None] or (
            [section] if section is not None else [])
        found: list[Position] = []
        review = None
        for place in sections:
            if place.kind == REJECT:
                self.report.record(listing.line, rp.REJECTED, reason=place.reason)
                return None
            if place.kind != CLASSIFY:
                found += [place.position] if place.position else []
                continue
            match = classify(listing.title, self._rules())
            if match is not None and match.reject:
                self.report.record(listing.line, rp.REJECTED, reason=f"{match.reject} "
                                   f"(keyword '{match.keyword}', catalog/keywords.yaml)")
                return None
            if match is None:
                if place.position is None:
                    self.report.record(listing.line, rp.REJECTED, reason=f"under "
                                       f"{self._heading()}, mapped 'classify', and no keyword "
                                       "rule matches the title; map the line's section or add a "
                                       "rule to catalog/keywords.yaml")
                    return None
                found.append(place.position)
                continue
            position = (match.category, match.subcategory)
            found.append(position)
            if position != place.position:
                review = review or review_note(match.keyword)
        if not found:
            extra = f" (table Type {', '.join(unmapped)} unmapped)" if unmapped else ""
            self.report.record(listing.line, rp.REJECTED, reason=f"no category: the line is "
                               f"under {self._heading()}{extra}; map it in the --mapping file")
            return None
        result = []
        for category, sub in dict.fromkeys(found):
            if sub is None and self.resolver.needs_subcategory(category):
                if category not in self.resolver.defaults:
                    subs = ", ".join(self.resolver.subcategories[category])
                    self.report.record(listing.line, rp.REJECTED, reason=f"'{category}' has "
                                       f"subcategories ({subs}) and the list names none; map the "
                                       f"heading to one, or set default_subcategory: {{{category}:"
                                       " …}} in the --mapping file")
                    return None
                result.append({"category": category,
                               "subcategory": self.resolver.defaults[category], "default": True})
            else:
                result.append({"category": category, "subcategory": sub})
        if review:
            result[0]["review"] = review
        return result

    # --- entries -----------------------------------------------------------------------------

    def _rules(self) -> KeywordRules:
        """The keyword rules of catalog/keywords.yaml, read on first use."""
        if self.rules is None:
            self.rules = load_keywords(self.catalog.root, self.catalog.taxonomy)
        return self.rules

    def _source(self, line: int) -> list[dict[str, Any]]:
        if self.provenance is None:
            return []
        return [{"list": self.provenance[0], "commit": self.provenance[1], "line": line}]

    def _data(self, listing: Listing, venue: dict[str, Any], positions: list[dict]) -> dict:
        (first, *also) = positions
        links = _links_of(listing)
        notes = [venue["note"]] if venue.get("note") else []
        notes += [f"The list notes: {n}." for n in listing.notes]
        defaulted = [p for p in positions if p.get("default")]
        if defaulted:
            places = ", ".join(f"'{p['subcategory']}' for '{p['category']}'" for p in defaulted)
            notes.append(f"Imported from a list section that names no subcategory; {places} is "
                         "the import's configured default, not a verified classification.")
        data = {
            "title": listing.title,
            "authors": list(listing.authors),
            "year": listing.year,
            "month": listing.month if self.kinds.get(venue["venue"]) == "preprint" else None,
            "venue": venue["venue"],
            "presentation": venue.get("presentation"),
            "award": venue.get("award"),
            "category": first["category"],
            "subcategory": first["subcategory"],
            "also_in": [{"category": p["category"], "subcategory": p["subcategory"]}
                        for p in also],
            "links": links,
            "code": _code(listing.links),
            "resources": _resources(listing.links, links),
            "note": " ".join(notes) or None,
            "review": first.get("review") or (
                "subcategory is the import's default for the section" if defaulted else None),
            "sources": self._source(listing.line),
        }
        return data

    def _merge(self, earlier: _Candidate, listing: Listing, venue: dict[str, Any],
               positions: list[dict]) -> None:
        """A later line of this list names a paper an earlier line already gave."""
        data = earlier.data
        reasons = []
        new_is_published = self.kinds.get(venue["venue"]) != "preprint"
        old_is_preprint = self.kinds.get(data["venue"]) == "preprint"
        if new_is_published and old_is_preprint:
            reasons.append(f"published version: {venue['venue']} {listing.year} replaces "
                           f"{data['venue']} {data['year']}")
            data.update(venue=venue["venue"], year=listing.year, month=None,
                        presentation=venue.get("presentation"), award=venue.get("award"))
            new_links = _links_of(listing)
            if new_links.get("paper"):
                data["links"] = {**data["links"], "paper": new_links["paper"],
                                 "pdf": new_links.get("pdf")}
        elif new_is_published and (venue["venue"], listing.year) != (data["venue"], data["year"]):
            self.report.record(listing.line, rp.CONFLICT, reason=f"same paper as line "
                               f"{earlier.line} ('{data['title']}'), which says {data['venue']} "
                               f"{data['year']}; this line says {venue['venue']} {listing.year}")
            return
        for place in positions:
            pair = {"category": place["category"], "subcategory": place["subcategory"]}
            primary = {"category": data["category"], "subcategory": data["subcategory"]}
            if pair != primary and pair not in data["also_in"]:
                data["also_in"].append(pair)
                reasons.append(f"also in {'/'.join(v for v in pair.values() if v)}")
        reasons += _add_links(data, listing)
        if not data["authors"] and listing.authors:
            data["authors"] = list(listing.authors)
            reasons.append("authors")
        data["sources"] = data["sources"] + self._source(listing.line)
        earlier.merged_lines.append((listing.line, "; ".join(reasons) or "same paper"))

    def _extend(self, known: _Candidate, listing: Listing, venue: dict[str, Any] | None) -> None:
        """The catalog holds the paper: add only what it lacks, never overwrite a fact."""
        paper = known.existing
        assert paper is not None
        data = known.data
        reasons = []
        if venue is not None and (venue["venue"], listing.year) != (data["venue"], data["year"]):
            if (paper.sources and self.kinds.get(data["venue"]) == "preprint"
                    and self.kinds.get(venue["venue"]) != "preprint"):
                reasons.append(f"published version: {venue['venue']} {listing.year} replaces "
                               f"{data['venue']} {data['year']}")
                data.update(venue=venue["venue"], year=listing.year, month=None,
                            presentation=venue.get("presentation"), award=venue.get("award"))
            else:
                known.changes.append(f"kept {data['venue']} {data['year']} (line {listing.line} "
                                     f"says {venue['venue']} {listing.year})")
        reasons += _add_links(data, listing)
        if not data.get("authors") and listing.authors:
            data["authors"] = list(listing.authors)
            reasons.append("authors")
        if reasons:  # the line's provenance is recorded only where it added something
            new_source = self._source(listing.line)
            # only entries an import created carry sources: a hand-written entry never looks
            # imported, so its venue and year can never be 'upgraded' by a later list
            if paper.sources and new_source and new_source[0] not in data["sources"]:
                data["sources"] = [*data["sources"], *new_source]
            known.merged_lines.append((listing.line, "; ".join(reasons)))
            self.extended[paper.id] = known
        else:
            kept = f"; {known.changes[-1]}" if known.changes else ""
            self.report.record(listing.line, rp.DUPLICATE, paper.id, "already in the catalog"
                               + kept)

    def finish(self, added: dt.date, display_dir: str) -> tuple[list[Paper], list[str]]:
        """Validated entries to write, and ids of entries renamed away; reports every line."""
        taken = {p.id for p in self.catalog} | {f.stem for f in paper_files(self.catalog.root)}
        new_id = _IdAllocator(taken)
        built: list[tuple[_Candidate, Paper]] = []
        removals: list[str] = []
        for candidate in [*self.created, *self.extended.values()]:
            data = dict(candidate.data)
            old = candidate.existing
            if old is None or (data["venue"], data["year"]) != (old.venue, old.year):
                candidate.entry_id = new_id(paper_id(data["year"], data["venue"], data["title"]))
                if old is not None:
                    removals.append(old.id)
            else:
                candidate.entry_id = old.id
            data = {"id": candidate.entry_id, **data, "added": old.added if old else added}
            data = {k: v for k, v in data.items() if v not in (None, [], {})}
            display = f"{display_dir}/{candidate.entry_id}.yaml"
            paper, problems = parse_model(Paper, Document(data, {}), display)
            if paper is None:
                self._invalid(candidate, problems)
            else:
                built.append((candidate, paper))
        built = self._check(built, display_dir)
        kept_ids = {c.existing.id for c, _ in built if c.existing}
        removals = [r for r in removals if r in kept_ids]
        for candidate, paper in built:
            if candidate.existing is None:
                self.report.record(candidate.line, rp.CREATED, paper.id,
                                   f"{paper.category}/{paper.subcategory or '-'}"
                                   + (f"; {paper.review}" if paper.review else ""))
            for line, reason in candidate.merged_lines:
                self.report.record(line, rp.MERGED, paper.id, reason)
        return [p for _, p in built], removals

    def _check(
        self, built: list[tuple[_Candidate, Paper]], display_dir: str
    ) -> list[tuple[_Candidate, Paper]]:
        """The cross-file rules of ``aladin check`` over the catalog plus the new entries."""
        checker = Checker(self.catalog.taxonomy, self.catalog.venue_table)
        replaced = {c.existing.id for c, _ in built if c.existing}
        entries = [(p, _NO_LINES, self.catalog.sources[p.id]) for p in self.catalog
                   if p.id not in replaced]
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
                self._invalid(candidate, problems)
            else:
                kept.append((candidate, paper))
        return kept

    def _invalid(self, candidate: _Candidate, problems: list) -> None:
        reason = "; ".join(f"{p.field}: {p.message}" for p in problems)
        if candidate.existing is None:
            self.report.record(candidate.line, rp.REJECTED, reason=f"invalid entry: {reason}")
        for line, _ in candidate.merged_lines:
            self.report.record(line, rp.REJECTED, reason=f"the merged entry is invalid: {reason}")


# --- helpers -------------------------------------------------------------------------------------

def _mention(title: str, url: str | None, arxiv: str | None,
             openreview: str | None = None) -> Mention:
    return Mention(title, arxiv or (arxiv_id(url) if url else None), doi(url),
                   openreview or (openreview_id(url) if url else None))


def _arxiv_of(listing: Listing) -> str | None:
    """The paper's arXiv id: from its link, else from an arXiv link labelled as the paper."""
    if listing.url and (found := arxiv_id(listing.url)):
        return found
    return next((arxiv_id(k.url) for k in listing.links if k.kind == "other-version"
                 and arxiv_id(k.url) and k.label.strip().casefold() in {"arxiv", "paper", "pdf"}),
                None)


def _links_of(listing: Listing) -> dict[str, str]:
    links: dict[str, str] = {}
    if listing.url:
        links = {"paper": listing.url, "openreview": openreview_id(listing.url),
                 "pdf": listing.url if is_pdf(listing.url) else None}
    if arxiv := _arxiv_of(listing):
        links["arxiv"] = arxiv
    return {k: v for k, v in links.items() if v}


def _code(links: list[Typed]) -> list[dict[str, Any]]:
    seen, result = set(), []
    for link in links:
        if link.kind == "code" and link.url not in seen:
            seen.add(link.url)
            result.append({"url": link.url, "label": link.label or "Code",
                           "official": link.official})
    return result


def _resources(links: list[Typed], paper_links: dict[str, str]) -> list[dict[str, Any]]:
    seen = set(paper_links.values())
    result = []
    for link in links:
        if link.kind in ("code", "dropped") or link.url in seen:
            continue
        own = arxiv_id(link.url)
        if link.kind == "other-version" and own and own == paper_links.get("arxiv"):
            continue  # the paper's own arXiv page, kept as links.arxiv
        seen.add(link.url)
        result.append({"url": link.url, "kind": link.kind, "label": link.label or None})
    return result


def _add_links(data: dict[str, Any], listing: Listing) -> list[str]:
    """Add the line's arXiv id, code and resources the entry lacks; return what was added."""
    added = []
    links = dict(data.get("links") or {})
    arxiv = _arxiv_of(listing)
    if arxiv and not links.get("arxiv"):
        links["arxiv"] = arxiv
        added.append(f"arXiv {arxiv}")
    data["links"] = links
    code_urls = {c["url"] for c in data.get("code", [])}
    new_code = [c for c in _code(listing.links) if c["url"] not in code_urls]
    if new_code:
        data["code"] = [*data.get("code", []), *new_code]
        added += [f"code {c['url']}" for c in new_code]
    seen = {r["url"] for r in data.get("resources", [])} | code_urls
    new_resources = [r for r in _resources(listing.links, links) if r["url"] not in seen]
    if new_resources:
        data["resources"] = [*data.get("resources", []), *new_resources]
        added += [f"{r['kind']} {r['url']}" for r in new_resources]
    return added


def _data_of(paper: Paper) -> dict[str, Any]:
    data = paper.model_dump(mode="python", exclude_defaults=True)
    data.pop("id", None)
    data.pop("added", None)
    for key in ("authors", "also_in", "code", "resources", "sources"):
        data.setdefault(key, [])
    data.setdefault("links", {})
    for key in ("month", "presentation", "award", "note", "review", "subcategory"):
        data.setdefault(key, None)
    data["venue"], data["year"] = paper.venue, paper.year
    return data


