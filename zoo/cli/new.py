"""``aladin new``: add a paper, fetching what arXiv or OpenReview know about it."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING

from ..catalog import Catalog, Venue
from ..repo import Repository
from .common import EXIT_INVALID, EXIT_OK, CommandError, command, err, load_catalog, out

if TYPE_CHECKING:
    from ..network.metadata import Metadata

_NEW_FIELDS = (  # flag, prompt, required
    ("title", "Title", True),
    ("authors", "Authors, separated by ';'", True),
    ("year", "Year", True),
    ("venue", "Venue (e.g. CVPR, NeurIPS, arXiv)", True),
    ("category", "Category id", True),
    ("subcategory", "Subcategory id (empty if the category has none)", False),
    ("url", "Paper page URL", False),
)


def _ask(args: argparse.Namespace, catalog: Catalog,
         suggested: dict[str, str] | None = None) -> None:
    """Fill missing required flags by prompting (offering ``suggested`` values as defaults), or
    fail listing them when not interactive."""
    missing = [f for f, _, required in _NEW_FIELDS if required and not getattr(args, f)]
    if not missing:
        return
    if not sys.stdin.isatty():
        flags = " ".join(f"--{f}" for f in missing)
        raise CommandError(f"missing {flags} (or run interactively to be asked)")
    out("categories: " + "; ".join(
        f"{c.id} ({', '.join(s.id for s in c.subcategories) or 'no subcategories'})"
        for c in catalog.categories))
    for flag, prompt, _required in _NEW_FIELDS:
        if not getattr(args, flag):
            default = (suggested or {}).get(flag)
            answer = input(f"{prompt}{f' [{default}]' if default else ''}: ").strip()
            setattr(args, flag, answer or default or None)


def _duplicate_id(args: argparse.Namespace, catalog: Catalog) -> str | None:
    """Normalise --arxiv/--openreview (an arxiv.org or openreview.net --url counts as its id);
    the problem line when a paper with that id is already in the catalog."""
    from ..network.metadata import identify

    try:
        ids = identify(args.arxiv, args.openreview, args.url)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    args.arxiv, args.openreview = ids.arxiv, ids.openreview
    for paper in catalog:
        if ids.arxiv and paper.links.arxiv == ids.arxiv:
            return (f"links.arxiv: duplicate paper: same arXiv id as "
                    f"{catalog.sources[paper.id]}")
        if ids.openreview and paper.links.openreview == ids.openreview:
            return (f"links.openreview: duplicate paper: same OpenReview id as "
                    f"{catalog.sources[paper.id]}")
    return None


def _fetch(args: argparse.Namespace) -> Metadata | None:
    """Fill title, authors and year from arXiv or OpenReview when any is missing."""
    from ..network.http import NetworkError
    from ..network.metadata import PaperIds, lookup

    ids = PaperIds(args.arxiv, args.openreview)
    if not ids or (args.title and args.authors and args.year):
        return None
    try:
        meta = lookup(ids)
    except NetworkError as exc:
        raise CommandError(f"{exc}; nothing written (give --title, --authors and --year to "
                           "add the paper without fetching)") from None
    err(f"{meta.source}: {meta.title} — {', '.join(meta.authors) or 'no authors listed'}"
        f"{f' ({meta.year})' if meta.year else ''}")
    args.title = args.title or meta.title
    args.authors = args.authors or "; ".join(meta.authors) or None
    if not args.year and meta.year:
        args.year = str(meta.year)
    return meta


def _venue(catalog: Catalog, name: str | None) -> Venue | None:
    venues = {a.casefold(): v for v in catalog.venue_table.venues for a in (v.id, *v.aliases)}
    return venues.get(str(name or "").casefold())


def cmd_new(args: argparse.Namespace, repo: Repository) -> int:
    from ..catalog.ids import paper_id, unique_id
    from ..catalog.newentry import build_entry
    from ..network.metadata import suggest_venue

    catalog = load_catalog(repo)
    if duplicate := _duplicate_id(args, catalog):
        out(duplicate)  # refused before any network request
        return EXIT_INVALID
    year_given = bool(args.year)
    meta = _fetch(args)
    venue = suggest_venue(meta.venue_hint, catalog.venue_table) if meta else None
    _ask(args, catalog, {"venue": venue} if venue else None)
    preprint = (found := _venue(catalog, args.venue)) is not None and found.kind == "preprint"
    if meta and meta.month and not args.month and preprint:
        args.month = meta.month  # a preprint's label shows year.month
    if meta and not year_given and not preprint and meta.source.startswith("arXiv"):
        err(f"note: {args.year} is the year of the first arXiv version; pass --year if "
            f"{args.venue} published the paper later")
    paper, problems = build_entry(vars(args), catalog, added=dt.date.today(),
                                  make_id=lambda year, venue, title: unique_id(
                                      paper_id(year, venue, title), set(catalog.sources)))
    if problems or paper is None:
        for problem in problems:
            out(f"{problem.field}: {problem.message}")
        return EXIT_INVALID
    from ..catalog.writer import dump_paper, write_atomic

    path = repo.papers / f"{paper.id}.yaml"
    text = dump_paper(paper)
    if args.dry_run:
        out(text.rstrip())
        return EXIT_OK
    write_atomic(path, text)
    out(f"wrote {path.relative_to(repo.root)}; now run `aladin check` and `aladin build`")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "new", cmd_new, "add a paper: writes catalog/papers/<id>.yaml")
    for flag, prompt, _required in _NEW_FIELDS:
        p.add_argument(f"--{flag}", help=prompt)
    p.add_argument("--month", type=int)
    p.add_argument("--arxiv", help="arXiv id or URL, e.g. 1811.00250; fetches title, authors "
                   "and year when they are not given")
    p.add_argument("--openreview", help="OpenReview forum id or URL; fetches like --arxiv when "
                   "there is no arXiv id")
    p.add_argument("--pdf", help="PDF URL")
    p.add_argument("--code", action="append", default=[], help="code repository URL (repeatable)")
    p.add_argument("--oral", action="store_true")
    p.add_argument("--spotlight", action="store_true")
    p.add_argument("--workshop", help="workshop name, for workshop venues")
    p.add_argument("--tag", action="append", default=[], dest="tags", help="tag (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="print the entry, write nothing")
