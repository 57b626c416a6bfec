"""``aladin import``: turn an awesome-list Markdown file into catalog entries."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..repo import Repository
from .common import EXIT_INVALID, EXIT_OK, CommandError, command, out


def cmd_import(args: argparse.Namespace, repo: Repository) -> int:
    from ..catalog import CatalogError
    from ..importer import ImporterError, ImportMapping, MappingError, import_markdown, load_mapping

    source = Path(args.file)
    if not source.is_file():
        raise CommandError(f"{source}: {'is a directory' if source.is_dir() else 'no such file'}")
    try:
        mapping = load_mapping(Path(args.mapping)) if args.mapping else None
        if args.default_subcategory:
            mapping = (mapping or ImportMapping()).with_defaults(dict(args.default_subcategory))
        report = import_markdown(source, repo.catalog, mapping=mapping, dry_run=args.dry_run)
    except CatalogError as exc:
        report(exc.problems)
        raise CommandError("fix the catalog before importing into it") from None
    except (MappingError, ImporterError) as exc:
        raise CommandError(str(exc)) from None
    out(report.summary())
    return EXIT_INVALID if report.failed else EXIT_OK


def _pair(text: str) -> tuple[str, str]:
    category, sep, sub = text.partition("=")
    if not (sep and category and sub):
        raise argparse.ArgumentTypeError(f"expected CATEGORY=SUBCATEGORY, got {text!r}")
    return category, sub


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "import", cmd_import,
                "turn an awesome-list Markdown file into catalog entries")
    p.add_argument("file", metavar="FILE.md")
    p.add_argument("--mapping", metavar="MAP.yaml", help="heading → category mapping")
    p.add_argument("--default-subcategory", type=_pair, action="append", default=[],
                   metavar="CAT=SUB", help="subcategory for papers under a heading that names "
                   "only the category, e.g. pruning=structured (repeatable; marked for review)")
    p.add_argument("--dry-run", action="store_true", help="report, write nothing")
