"""``aladin``: check, build, serve, import, add, list and export the catalog; check its links and
enrich its code links with GitHub data.

Every command acts on the repository containing the current directory (or ``--root DIR``), never
on the copy the package was installed from. Library code raises; only this module prints and
chooses exit codes: 0 success, 1 a problem in the user's data or a stale output, 2 bad usage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .catalog import Catalog, Paper, Venue, collect
from .catalog.problems import Problem
from .network.enrichment import EnrichmentError
from .publish.exports import FORMATS, paper_record
from .publish.readme import render_readme
from .registry import MissingExtraError, by_paper, check_against_catalog, list_methods
from .repo import Repository, RepositoryNotFound, find_repository

if TYPE_CHECKING:
    from .network.metadata import Metadata

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def _out(text: str = "") -> None:
    print(text)


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _load(repo: Repository) -> Catalog:
    """The valid catalog, or every problem printed and exit 1."""
    catalog, problems = collect(repo.catalog)
    problems += check_against_catalog(catalog) if catalog else []
    if problems or catalog is None:
        _report(problems)
        raise SystemExit(EXIT_INVALID)
    return catalog


def _report(problems: Sequence[Problem]) -> None:
    for problem in sorted(problems):
        _out(str(problem))
    files = len({p.path for p in problems})
    _err(f"{len(problems)} problem{'s' * (len(problems) != 1)} in {files} "
         f"file{'s' * (files != 1)}")


# --- check ----------------------------------------------------------------------------------

def cmd_check(args: argparse.Namespace, repo: Repository) -> int:
    catalog = _load(repo)
    _out(f"ok: {len(catalog)} papers, {len(catalog.categories)} categories, "
         f"{len(catalog.venue_table.venues)} venues, {len(list_methods())} zoo methods")
    return EXIT_OK


# --- build ----------------------------------------------------------------------------------

def _generated(repo: Repository, catalog: Catalog) -> dict[Path, str]:
    """Every committed generated file and the text it must have."""
    from .schema import schema_texts

    files = {repo.readme: render_readme(catalog, by_paper())}
    files.update({repo.schema / name: text for name, text in schema_texts().items()})
    return files


def cmd_build(args: argparse.Namespace, repo: Repository) -> int:
    from .catalog.writer import write_atomic

    catalog = _load(repo)
    files = _generated(repo, catalog)
    if args.check:
        stale = [p for p, text in files.items()
                 if not p.is_file() or p.read_text(encoding="utf-8") != text]
        for path in stale:
            old = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
            diff = list(difflib.unified_diff(old, files[path].splitlines(), "committed",
                                             "rendered", lineterm="", n=0))
            _out(f"{path.relative_to(repo.root)}: stale; run `aladin build` and commit it")
            for line in diff[2:22]:
                _out(f"  {line}")
        return EXIT_INVALID if stale else EXIT_OK
    for path, text in files.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_atomic(path, text)
    _out(f"wrote {repo.readme.relative_to(repo.root)} ({len(catalog)} papers) and schema/")
    if args.readme_only:
        return EXIT_OK
    from .site import build_site

    build_site(catalog, repo.root, repo.site_out)
    _out(f"wrote the website to {repo.site_out.relative_to(repo.root)}/")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, repo: Repository) -> int:
    from .site import serve

    _load(repo)  # refuse to serve an invalid catalog; the problems are the useful output
    serve(repo.root, host=args.host, port=args.port)
    return EXIT_OK


# --- import ---------------------------------------------------------------------------------

def cmd_import(args: argparse.Namespace, repo: Repository) -> int:
    from .catalog import CatalogError
    from .importer import ImporterError, ImportMapping, MappingError, import_markdown, load_mapping

    source = Path(args.file)
    if not source.is_file():
        raise CommandError(f"{source}: no such file")
    try:
        mapping = load_mapping(Path(args.mapping)) if args.mapping else None
        if args.default_subcategory:
            mapping = (mapping or ImportMapping()).with_defaults(dict(args.default_subcategory))
        report = import_markdown(source, repo.catalog, mapping=mapping, dry_run=args.dry_run)
    except CatalogError as exc:
        _report(exc.problems)
        raise CommandError("fix the catalog before importing into it") from None
    except (MappingError, ImporterError) as exc:
        raise CommandError(str(exc)) from None
    _out(report.summary())
    return EXIT_INVALID if report.failed else EXIT_OK


def _pair(text: str) -> tuple[str, str]:
    category, sep, sub = text.partition("=")
    if not (sep and category and sub):
        raise argparse.ArgumentTypeError(f"expected CATEGORY=SUBCATEGORY, got {text!r}")
    return category, sub


# --- new ------------------------------------------------------------------------------------

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
    _out("categories: " + "; ".join(
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
    from .network.metadata import identify

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
    from .network.http import NetworkError
    from .network.metadata import PaperIds, lookup

    ids = PaperIds(args.arxiv, args.openreview)
    if not ids or (args.title and args.authors and args.year):
        return None
    try:
        meta = lookup(ids)
    except NetworkError as exc:
        raise CommandError(f"{exc}; nothing written (give --title, --authors and --year to "
                           "add the paper without fetching)") from None
    _err(f"{meta.source}: {meta.title} — {', '.join(meta.authors) or 'no authors listed'}"
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
    from .catalog.ids import paper_id, unique_id
    from .catalog.newentry import build_entry
    from .network.metadata import suggest_venue

    catalog = _load(repo)
    if duplicate := _duplicate_id(args, catalog):
        _out(duplicate)  # refused before any network request
        return EXIT_INVALID
    year_given = bool(args.year)
    meta = _fetch(args)
    venue = suggest_venue(meta.venue_hint, catalog.venue_table) if meta else None
    _ask(args, catalog, {"venue": venue} if venue else None)
    preprint = (found := _venue(catalog, args.venue)) is not None and found.kind == "preprint"
    if meta and meta.month and not args.month and preprint:
        args.month = meta.month  # a preprint's label shows year.month
    if meta and not year_given and not preprint and meta.source.startswith("arXiv"):
        _err(f"note: {args.year} is the year of the first arXiv version; pass --year if "
             f"{args.venue} published the paper later")
    paper, problems = build_entry(vars(args), catalog, added=dt.date.today(),
                                  make_id=lambda year, venue, title: unique_id(
                                      paper_id(year, venue, title), set(catalog.sources)))
    if problems or paper is None:
        for problem in problems:
            _out(f"{problem.field}: {problem.message}")
        return EXIT_INVALID
    from .catalog.writer import dump_paper, write_atomic

    path = repo.papers / f"{paper.id}.yaml"
    text = dump_paper(paper)
    if args.dry_run:
        _out(text.rstrip())
        return EXIT_OK
    write_atomic(path, text)
    _out(f"wrote {path.relative_to(repo.root)}; now run `aladin check` and `aladin build`")
    return EXIT_OK


# --- check-links and enrich -----------------------------------------------------------------

def _progress(label: str) -> Callable[..., None] | None:
    """A one-line counter on a terminal's stderr; nothing when stderr is a pipe or a log."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int, *_: object) -> None:
        sys.stderr.write(f"\r{label} {done}/{total}" + ("\n" if done == total else ""))
        sys.stderr.flush()

    return show


def cmd_check_links(args: argparse.Namespace, repo: Repository) -> int:
    from .network.http import HttpSettings
    from .network.links import PERMANENT, LinkCache, LinkChecker, catalog_links

    catalog = _load(repo)
    if unknown := [p for p in args.papers if p not in catalog]:
        raise CommandError(f"not in the catalog: {', '.join(unknown)}")
    refs = catalog_links(catalog, args.papers or None)
    cache = None if args.no_cache else LinkCache(repo.root / ".aladin-cache" / "links.json")
    checker = LinkChecker(HttpSettings(read_timeout=args.timeout), workers=args.workers,
                          cache=cache)
    start = time.monotonic()
    results = checker.check_all([r.url for r in refs],
                                progress=None if args.json else _progress("checking links"))
    elapsed = time.monotonic() - start
    counts = {state: sum(r.state == state for r in results.values())
              for state in ("ok", "moved", "dead", "unverified")}
    cached = sum(r.cached for r in results.values())
    if results and counts["unverified"] == len(results):
        reason = next(iter(results.values())).message
        raise CommandError(f"could not verify any of the {len(results)} links (first: {reason})")
    if args.json:
        places: dict[str, list[dict]] = {}
        for ref in refs:
            places.setdefault(ref.url, []).append(
                {"path": ref.path, "line": ref.line, "field": ref.field, "paper": ref.paper})
        _out(json.dumps({
            "summary": {"links": len(results), "cached": cached, **counts},
            "links": [{**r.to_json(), "where": places[url]} for url, r in results.items()],
        }, ensure_ascii=False, indent=1))
    else:
        order = {"dead": 0, "moved": 1, "unverified": 2}
        rows = []
        for ref in sorted(refs, key=lambda r: (order.get(results[r.url].state, 3), r.path,
                                               r.line)):
            result = results[ref.url]
            if result.state == "ok":
                continue
            status = next((h.status for h in result.chain if h.status in PERMANENT),
                          result.status) if result.state == "moved" else result.status
            url = f"{ref.url} → {result.final_url}" if result.state == "moved" else ref.url
            note = "" if result.state == "moved" else f"  ({result.message})"
            rows.append((result.state, str(status or "-"), f"{ref.path}:{ref.line} {ref.field}",
                         url + note))
        if rows:
            widths = [max(len(row[i]) for row in rows) for i in range(3)]
            for row in rows:
                _out("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
                     + "  " + row[3])
    _err(f"{len(results)} links checked in {elapsed:.1f} s ({cached} from the cache): "
         + ", ".join(f"{n} {state}" for state, n in counts.items()))
    return EXIT_INVALID if counts["dead"] else EXIT_OK


def cmd_enrich(args: argparse.Namespace, repo: Repository) -> int:
    from .catalog.writer import write_atomic
    from .network.enrichment import (
        EnrichmentError,
        dump_enrichment,
        enrichment_path,
        load_enrichment,
    )
    from .network.github import enrich, merged
    from .network.links import catalog_links

    catalog = _load(repo)
    refs = [r for r in catalog_links(catalog) if r.field.startswith("code[")]
    try:
        old = load_enrichment(repo.catalog)
    except EnrichmentError as exc:
        _err(f"{exc}; starting afresh")
        old = {}
    result = enrich([r.url for r in refs], progress=_progress("asking GitHub"))
    if result.failed and not result.repos:
        raise CommandError(f"{next(iter(result.failed.values()))}; nothing written")
    first = {r.url: r for r in reversed(refs)}  # the first place each URL is written
    for url, why in sorted({**result.gone, **result.failed}.items(),
                           key=lambda item: (first[item[0]].path, first[item[0]].line)):
        ref = first[url]
        _out(f"{ref.path}:{ref.line}: {ref.field}: {why}")
    data = merged(old, result, first)
    text = dump_enrichment(data)
    path = enrichment_path(repo.catalog)
    if args.dry_run:
        _out(text.rstrip())
    elif not path.is_file() or path.read_text(encoding="utf-8") != text:
        write_atomic(path, text)
    fresh = list(result.repos.values())
    _err(f"{len({i.full_name for i in fresh})} repositories fetched "
         f"({sum(i.archived for i in fresh)} archived, "
         f"{sum(i.stale and not i.archived for i in fresh)} without a push for two years), "
         f"{len(result.skipped)} code links not on GitHub"
         + ("" if args.dry_run else
            f"; wrote {path.relative_to(repo.root)}, now run `aladin build`"))
    if result.stopped:
        raise CommandError(f"{result.stopped}; stopped with {len(result.unfetched)} code links "
                           "not asked (their earlier data is kept)")
    return EXIT_OK


# --- list and export ------------------------------------------------------------------------

def _year_range(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    try:
        return int(low or 0), int(high or 9999) if _ else int(low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year or range: {text!r}") from None


def select(catalog: Catalog, args: argparse.Namespace) -> list[Paper]:
    """Papers matching the list filters, in the catalog's reading order."""
    from .catalog import reading_order

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
    catalog = _load(repo)
    papers = select(catalog, args)
    if args.format == "json":
        _out(json.dumps([paper_record(p, catalog) for p in papers], ensure_ascii=False, indent=1))
    elif args.format == "ids":
        for p in papers:
            _out(p.id)
    else:
        width = max((len(catalog.label(p)) for p in papers), default=0)
        for p in papers:
            _out(f"{catalog.label(p):<{width}}  {p.title}  [{p.id}]")
        _err(f"{len(papers)} of {len(catalog)} papers")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, repo: Repository) -> int:
    catalog = _load(repo)
    text = FORMATS[args.format](catalog)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        from .catalog.writer import write_atomic

        write_atomic(Path(args.output), text)
        _err(f"wrote {args.output} ({len(catalog)} papers, {args.format})")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace, repo: Repository) -> int:
    from .schema import schema_texts

    texts = schema_texts()
    if args.out is None:
        _out(texts["paper.schema.json"].rstrip())
        return EXIT_OK
    from .catalog.writer import write_atomic

    for name, text in texts.items():
        write_atomic(Path(args.out) / name, text)
    _err(f"wrote {', '.join(texts)} to {args.out}")
    return EXIT_OK


# --- bench ----------------------------------------------------------------------------------

def cmd_bench(args: argparse.Namespace, repo: Repository) -> int:
    try:
        from .bench.measure import LatencyProtocol
        from .bench.runner import BenchConfig, BenchError, run_benchmark
        from .bench.targets import describe
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in {"torch", "sklearn", "torch_pruning"}:
            raise MissingExtraError("aladin bench needs PyTorch and Torch-Pruning: "
                                    "pip install 'aladin-zoo[zoo]'") from None
        raise
    config = BenchConfig(root=repo.root, quick=args.quick, methods=tuple(args.methods),
                         models=tuple(args.models), seeds=args.seeds,
                         out=Path(args.out) if args.out else None,
                         latency=LatencyProtocol.for_run(quick=args.quick, threads=args.threads),
                         command=shlex.join(["aladin", *args.argv]))
    try:
        results = run_benchmark(config)
    except BenchError as exc:
        _err(f"aladin bench: {exc}")
        return EXIT_USAGE
    for target in results["targets"]:
        for line in describe(target):
            _out(line)
    failed = [r for r in results["rows"] if r["status"] == "failed"]
    _err(f"{len(results['rows'])} rows, {len(failed)} failed, in "
         f"{results['duration_seconds']:.0f} s; wrote {config.path}")
    return EXIT_INVALID if failed else EXIT_OK


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


# --- parser ---------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aladin", description="The Aladin Light-Weight-Model-Zoo catalog tools.")
    parser.add_argument("--version", action="version", version=f"aladin {__version__}")
    parser.add_argument("--root", type=Path, help="repository to act on (default: the one "
                        "containing the current directory)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func: Callable, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    command("check", cmd_check, "validate every catalog file and the zoo registry")
    p = command("build", cmd_build, "render README.md, schema/ and the website (build/site/)")
    p.add_argument("--check", action="store_true",
                   help="only report whether the committed README and schema are stale (exit 1)")
    p.add_argument("--readme-only", action="store_true", help="skip the website")
    p = command("serve", cmd_serve, "preview the website, reloading when the catalog changes")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p = command("import", cmd_import, "turn an awesome-list Markdown file into catalog entries")
    p.add_argument("file", metavar="FILE.md")
    p.add_argument("--mapping", metavar="MAP.yaml", help="heading → category mapping")
    p.add_argument("--default-subcategory", type=_pair, action="append", default=[],
                   metavar="CAT=SUB", help="subcategory for papers under a heading that names "
                   "only the category, e.g. pruning=structured (repeatable; marked for review)")
    p.add_argument("--dry-run", action="store_true", help="report, write nothing")
    p = command("new", cmd_new, "add a paper: writes catalog/papers/<id>.yaml")
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
    p = command("check-links", cmd_check_links,
                "check every URL in the catalog; exit 1 when any is dead")
    p.add_argument("papers", nargs="*", metavar="ID", help="only these papers' links")
    p.add_argument("--json", action="store_true", help="every result as JSON on standard output")
    p.add_argument("--no-cache", action="store_true",
                   help="ignore the day-long cache in .aladin-cache/")
    p.add_argument("--workers", type=int, default=8, help="requests in flight (default 8)")
    p.add_argument("--timeout", type=float, default=15.0,
                   help="seconds to wait for an answer (default 15)")
    p = command("enrich", cmd_enrich, "fetch GitHub stars, last push, archived flag and licence "
                "of the code links into catalog/enrichment/github.json (GITHUB_TOKEN if set)")
    p.add_argument("--dry-run", action="store_true", help="print the data, write nothing")
    p = command("list", cmd_list, "list papers, filtered")
    p.add_argument("--category")
    p.add_argument("--subcategory")
    p.add_argument("--year", type=_year_range, help="a year or a range such as 2018-2020")
    p.add_argument("--venue", help="venue id or alias (NIPS = NeurIPS)")
    p.add_argument("--has-code", action="store_true")
    p.add_argument("--has-zoo", action="store_true", help="only papers the zoo implements")
    p.add_argument("--search", help="words that must all appear in title, authors or id")
    p.add_argument("--format", choices=("table", "ids", "json"), default="table")
    p = command("export", cmd_export, "export the catalog as JSON, BibTeX or CSV")
    p.add_argument("--format", choices=sorted(FORMATS), required=True)
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p = command("schema", cmd_schema, "print the entry JSON Schema, or write all schemas")
    p.add_argument("--out", help="directory to write paper/taxonomy/venues schemas into")
    p = command("bench", cmd_bench, "benchmark every zoo method and its peers on the digits; "
                "writes benchmarks/results/<version>/<mode>.json (needs the zoo extra)")
    p.add_argument("--quick", action="store_true",
                   help="one seed, short recipes, a subset of methods and models (< 5 min)")
    p.add_argument("--methods", nargs="+", default=[], metavar="NAME",
                   help="only these methods or peers (their peers are added)")
    p.add_argument("--models", nargs="+", default=[], metavar="NAME",
                   help="only these models: digits-cnn, resnet20, resnet56, digits-lstm")
    p.add_argument("--seeds", type=_positive, help="seeds per method (default 3; 1 with --quick)")
    p.add_argument("--threads", type=_positive, default=1,
                   help="intra-op threads while timing latency (default 1)")
    p.add_argument("--out", help="directory for the result file (default "
                   "benchmarks/results/<version>/)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # as typed, for result provenance
    try:
        repo = Repository(args.root.resolve()) if args.root else find_repository()
        if args.root and not (repo.catalog / "taxonomy.yaml").is_file():
            raise RepositoryNotFound(f"{args.root}: no catalog/taxonomy.yaml there")
        return args.func(args, repo)
    except (RepositoryNotFound, CommandError, MissingExtraError, EnrichmentError) as exc:
        _err(f"aladin: {exc}")
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `aladin list | head`
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
