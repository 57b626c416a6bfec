"""Loading and validating a catalog directory: every file, every problem, in one pass."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from .catalog import Catalog
from .ids import normalise_title
from .models import Paper, Taxonomy, Venues
from .problems import CatalogError, Problem
from .writer import is_partial
from .yamlsource import Document, dotted, read_document

M = TypeVar("M", bound=BaseModel)

# Friendlier words for pattern mismatches than pydantic's regex dump, keyed by the field name.
_PATTERN_HINTS = {
    "id": "must be lowercase 'year-venue-name', e.g. 2019-cvpr-filter-pruning-geometric-median",
    "arxiv": "not a well-formed arXiv id (expected e.g. 1811.00250, without 'arXiv:' or version)",
    "openreview": "not a well-formed OpenReview id (expected e.g. BJxh2j0qYm)",
    "list": "must be a GitHub repository written 'owner/repo', e.g. he-y/Awesome-Pruning",
    "commit": "must be a commit hash: 7 to 40 lowercase hexadecimal digits",
}
_SLUG_HINT = "must be lowercase words joined by '-', e.g. mixed-precision"


def _message(error: dict, model: type[BaseModel]) -> str:
    kind, loc = error["type"], error["loc"]
    name = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(name, _SLUG_HINT)
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"unknown field; {hint}allowed: {', '.join(allowed)}"
    if kind == "missing":
        return "required field is missing"
    message = error["msg"]
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _allowed_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names allowed at ``loc`` (walks nested models; list indices are skipped)."""
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        nested = [a for a in getattr(annotation, "__args__", (annotation,)) if _is_model(a)]
        nested += [
            inner
            for a in getattr(annotation, "__args__", ())
            for inner in getattr(a, "__args__", ())
            if _is_model(inner)
        ]
        if not nested:
            break
        model = nested[0]
    return list(model.model_fields)


def _is_model(obj: object) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def parse_model(
    model: type[M], doc: Document, display: str
) -> tuple[M | None, list[Problem]]:
    """Validate a document against ``model``; problems carry the line of the offending key."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, [
            Problem(display, doc.line_of(e["loc"]), dotted(e["loc"]) or "-", _message(e, model))
            for e in exc.errors()
        ]


def _read(
    path: Path, root: Path, model: type[M]
) -> tuple[M | None, Document | None, list[Problem]]:
    display = _display(path, root)
    if not _inside(path, root.resolve().parent):
        # Never parsed: a link to ~/.aws/credentials would print its key names in the errors.
        return None, None, [Problem(display, 1, "-", "symbolic link to a file outside the "
                                    "repository; refused (copy the file in instead)")]
    doc, problems = read_document(path, display)
    if doc is None:
        return None, None, problems
    value, more = parse_model(model, doc, display)
    return value, doc, problems + more


def _display(path: Path, root: Path) -> str:
    """``path`` as users see it, relative to the repository; the link itself, not its target."""
    try:
        return (path.parent.resolve() / path.name).relative_to(root.resolve().parent).as_posix()
    except ValueError:
        return path.as_posix()


def _inside(path: Path, repository: Path) -> bool:
    """Whether ``path``, all symbolic links followed, stays inside ``repository`` (resolved)."""
    return path.resolve().is_relative_to(repository)


def url_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc.lower().removeprefix('www.')}{parts.path.rstrip('/')}?{parts.query}"


class Checker:
    """Cross-file rules: the ones a single model cannot see."""

    def __init__(self, taxonomy: Taxonomy | None, venues: Venues | None) -> None:
        self.problems: list[Problem] = []
        self.subcategories = (
            {c.id: {s.id for s in c.subcategories} for c in taxonomy.categories}
            if taxonomy
            else None
        )
        self.venues = {v.id: v for v in venues.venues} if venues else None
        self.aliases = (
            {a.casefold(): v.id for v in venues.venues for a in (v.id, *v.aliases)}
            if venues
            else {}
        )

    def add(self, display: str, doc: Document, loc: tuple, message: str) -> None:
        self.problems.append(Problem(display, doc.line_of(loc), dotted(loc), message))

    def placement(
        self, display: str, doc: Document, loc: tuple, category: str, sub: str | None
    ) -> None:
        if self.subcategories is None:
            return
        if category not in self.subcategories:
            known = ", ".join(self.subcategories)
            self.add(display, doc, (*loc, "category"), f"unknown category '{category}' "
                     f"(known: {known})")
            return
        subs = self.subcategories[category]
        if sub is None and subs:
            self.add(display, doc, (*loc, "category"), "subcategory is required for "
                     f"'{category}' (one of: {', '.join(sorted(subs))})")
        elif sub is not None and sub not in subs:
            choices = ", ".join(sorted(subs)) or "none"
            self.add(display, doc, (*loc, "subcategory"), f"unknown subcategory '{sub}' of "
                     f"'{category}' (known: {choices})")

    def paper(self, paper: Paper, doc: Document, path: Path, display: str) -> None:
        if paper.id != path.stem:
            self.add(display, doc, ("id",), f"must equal the file name '{path.stem}'")
        self.placement(display, doc, (), paper.category, paper.subcategory)
        seen = {(paper.category, paper.subcategory)}
        for i, place in enumerate(paper.also_in):
            self.placement(display, doc, ("also_in", i), place.category, place.subcategory)
            if (place.category, place.subcategory) in seen:
                self.add(display, doc, ("also_in", i), "repeats a position already listed")
            seen.add((place.category, place.subcategory))
        urls = [c.url for c in paper.code]
        for i, url in enumerate(urls):
            if url in urls[:i]:
                self.add(display, doc, ("code", i, "url"), "the same repository is listed twice")
        if self.venues is None:
            return
        venue = self.venues.get(paper.venue)
        if venue is None:
            canonical = self.aliases.get(paper.venue.casefold())
            hint = f"write '{canonical}'" if canonical else "add it to catalog/venues.yaml"
            self.add(display, doc, ("venue",), f"unknown venue '{paper.venue}'; {hint}")
            return
        if paper.workshop and venue.kind != "workshop":
            self.add(display, doc, ("workshop",), f"venue '{venue.id}' is not a workshop venue")
        if paper.presentation and venue.kind == "preprint":
            self.add(display, doc, ("presentation",), "a preprint has no oral or spotlight")

    def duplicates(self, entries: list[tuple[Paper, Document, str]]) -> None:
        first: dict[tuple[str, str], str] = {}
        for paper, doc, display in entries:
            keys = [("id", paper.id, ("id",)), ("title", normalise_title(paper.title), ("title",))]
            if paper.links.arxiv:
                keys.append(("arXiv id", paper.links.arxiv, ("links", "arxiv")))
            if paper.links.paper:
                keys.append(("paper URL", url_key(paper.links.paper), ("links", "paper")))
            for what, key, loc in keys:
                other = first.setdefault((what, key), display)
                if other != display:
                    self.add(display, doc, loc, f"duplicate paper: same {what} as {other}")


def _validate_tables(taxonomy: Taxonomy, venues: Venues, tax: str, ven: str) -> list[Problem]:
    problems = []
    cats = [c.id for c in taxonomy.categories]
    problems += [Problem(tax, 1, "categories", f"category id '{c}' is used twice")
                 for c in sorted({c for c in cats if cats.count(c) > 1})]
    ids = [v.id for v in venues.venues]
    names = [n.casefold() for v in venues.venues for n in (v.id, *v.aliases)]
    problems += [Problem(ven, 1, "venues", f"venue name '{n}' is used twice")
                 for n in sorted({n for n in names if names.count(n) > 1})]
    problems += [Problem(ven, 1, "venues", f"venue '{v.id}' has unknown parent '{v.parent}'")
                 for v in venues.venues if v.parent and v.parent not in ids]
    return problems


def paper_files(root: Path) -> list[Path]:
    """Every entry file; a stray ``.yml`` or non-YAML file is reported, not silently skipped.

    The temporary files of an interrupted write (:func:`partial_files`) are not entries."""
    papers = root / "papers"
    return sorted(p for p in papers.iterdir() if not is_partial(p)) if papers.is_dir() else []


def partial_files(root: Path) -> list[Path]:
    """Temporary files left in ``papers/`` by a killed ``aladin import`` or ``aladin new``;
    the loader skips them, the CLI mentions them so that someone deletes them."""
    papers = root / "papers"
    return sorted(p for p in papers.iterdir() if is_partial(p)) if papers.is_dir() else []


def collect(root: Path) -> tuple[Catalog | None, list[Problem]]:
    """Read and validate the catalog at ``root``; the catalog is None when any problem exists."""
    problems: list[Problem] = []
    if not (root / "taxonomy.yaml").is_file():
        return None, [Problem(_display(root / "taxonomy.yaml", root), 1, "-", "file is missing")]
    taxonomy, _, found = _read(root / "taxonomy.yaml", root, Taxonomy)
    problems += found
    venues, _, found = _read(root / "venues.yaml", root, Venues)
    problems += found
    if taxonomy and venues:
        problems += _validate_tables(
            taxonomy, venues, _display(root / "taxonomy.yaml", root),
            _display(root / "venues.yaml", root),
        )
    if taxonomy:
        from .keywords import FILE_NAME, read_keywords  # imports this module: import late

        problems += read_keywords(root, taxonomy, _display(root / FILE_NAME, root))[1]
    checker = Checker(taxonomy, venues)
    entries: list[tuple[Paper, Document, str]] = []
    for path in paper_files(root):
        display = _display(path, root)
        if path.suffix != ".yaml" or not path.is_file():
            problems.append(Problem(display, 1, "-", "not an entry: entries are '<id>.yaml' files"))
            continue
        paper, doc, found = _read(path, root, Paper)
        problems += found
        if paper and doc:
            checker.paper(paper, doc, path, display)
            entries.append((paper, doc, display))
    checker.duplicates(entries)
    problems += checker.problems
    if problems or not (taxonomy and venues):
        return None, problems
    sources = {paper.id: display for paper, _, display in entries}
    return Catalog(root, taxonomy, venues, tuple(p for p, _, _ in entries), sources), []


def load_dir(root: Path) -> Catalog:
    """The validated catalog at ``root``; :class:`CatalogError` lists every problem otherwise."""
    catalog, problems = collect(root)
    if catalog is None:
        raise CatalogError(problems)
    return catalog


def problems_text(problems: Iterable[Problem]) -> str:
    return "\n".join(str(p) for p in sorted(problems))
