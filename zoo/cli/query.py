"""``aladin list``, ``aladin export`` and ``aladin schema``: read the catalog out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..catalog import Catalog, Paper
from ..publish.exports import FORMATS, paper_record
from ..registry import by_paper
from ..repo import Repository
from .common import EXIT_OK, EXIT_USAGE, CommandError, command, err, load_catalog, out


def _year_range(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    try:
        return int(low or 0), int(high or 9999) if _ else int(low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year or range: {text!r}") from None


def select(catalog: Catalog, args: argparse.Namespace) -> list[Paper]:
    """Papers matching the list filters, in the catalog's reading order."""
    from ..catalog import reading_order

    venues = {a.casefold(): v.id for v in catalog.venue_table.venues for a in (v.id, *v.aliases)}
    venue = venues.get(args.venue.casefold(), args.venue) if args.venue else None
    zoo_papers = set(by_paper())
    words = (args.search or "").casefold().split()

    def keep(p: Paper) -> bool:
        places = p.placements
        return all((
            not args.category or any(pl.category == args.category for pl in places),
            not args.subcategory or any(pl.subcategory == args.subcategory for pl in places),
            not args.year or args.year[0] <= p.year <= args.year[1],
            not venue or p.venue == venue,
            not args.has_code or bool(p.code),
            not args.has_zoo or p.id in zoo_papers,
            all(w in f"{p.title} {' '.join(p.authors)} {p.id}".casefold() for w in words),
        ))

    return sorted(filter(keep, catalog), key=reading_order)


def cmd_list(args: argparse.Namespace, repo: Repository) -> int:
    catalog = load_catalog(repo)
    papers = select(catalog, args)
    if args.format == "json":
        out(json.dumps([paper_record(p, catalog) for p in papers], ensure_ascii=False, indent=1))
    elif args.format == "ids":
        for p in papers:
            out(p.id)
    else:
        width = max((len(catalog.label(p)) for p in papers), default=0)
        for p in papers:
            out(f"{catalog.label(p):<{width}}  {p.title}  [{p.id}]")
        err(f"{len(papers)} of {len(catalog)} papers")
    return EXIT_OK


def _write(path: Path, text: str, option: str) -> bool:
    """Write an output the user named; False, having said why, when ``path`` is a directory,
    link, FIFO or device (a wrong ``option``, exit 2). Other failures are one-line errors."""
    from ..catalog.writer import NotARegularFile, write_atomic

    try:
        write_atomic(path, text)
    except NotARegularFile as exc:
        err(f"aladin: {option} {exc}")
        return False
    except OSError as exc:
        raise CommandError(f"{path}: cannot write it ({exc.strerror or exc})") from None
    return True


def cmd_export(args: argparse.Namespace, repo: Repository) -> int:
    catalog = load_catalog(repo)
    text = FORMATS[args.format](catalog)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        if not _write(Path(args.output), text, "-o"):
            return EXIT_USAGE
        err(f"wrote {args.output} ({len(catalog)} papers, {args.format})")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace, repo: Repository) -> int:
    from ..schema import schema_texts

    texts = schema_texts()
    if args.out is None:
        out(texts["paper.schema.json"].rstrip())
        return EXIT_OK
    for name, text in texts.items():
        if not _write(Path(args.out) / name, text, "--out"):
            return EXIT_USAGE
    err(f"wrote {', '.join(texts)} to {args.out}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "list", cmd_list, "list papers, filtered")
    p.add_argument("--category")
    p.add_argument("--subcategory")
    p.add_argument("--year", type=_year_range, help="a year or a range such as 2018-2020")
    p.add_argument("--venue", help="venue id or alias (NIPS = NeurIPS)")
    p.add_argument("--has-code", action="store_true")
    p.add_argument("--has-zoo", action="store_true", help="only papers the zoo implements")
    p.add_argument("--search", help="words that must all appear in title, authors or id")
    p.add_argument("--format", choices=("table", "ids", "json"), default="table")
    p = command(sub, "export", cmd_export, "export the catalog as JSON, BibTeX or CSV")
    p.add_argument("--format", choices=sorted(FORMATS), required=True)
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p = command(sub, "schema", cmd_schema, "print the entry JSON Schema, or write all schemas")
    p.add_argument("--out", help="directory to write paper/taxonomy/venues schemas into")
    for name in ("list", "export", "schema"):  # outside a clone they read the installed catalog
        sub.choices[name].set_defaults(read_only=True)
